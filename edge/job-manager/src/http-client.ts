/** What a JSON HTTP call came back with; transport failures are thrown as Unreachable. */
export interface HttpResult {
  status: number;
  body: unknown;
}

/**
 * The request never got an answer: refused, dropped or timed out. `maybeDelivered` is true when
 * the request may have reached the server (only a refused connection proves it did not).
 */
export class Unreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: unknown,
    readonly maybeDelivered: boolean,
  ) {
    super(`${url}: ${describe(reason)}`);
    this.name = 'Unreachable';
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

export async function requestJson(url: string, init: { method: string; headers: Record<string, string>; body?: unknown; timeoutMs: number }): Promise<HttpResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    throw new Unreachable(url, err, code !== 'ECONNREFUSED' && code !== 'ENOTFOUND');
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new Unreachable(url, err, true);
  }
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: text.slice(0, 200) };
    }
  }
  return { status: res.status, body };
}
