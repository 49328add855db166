/** Exponential backoff with full jitter: delay for the n-th consecutive failure (n from 1). */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 30_000, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
