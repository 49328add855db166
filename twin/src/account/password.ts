import type { MessageKey } from '../lib/i18n/index.js';

/** The cloud's rule for a new password (contracts passwordChangeRequestSchema): at least this long. */
export const minPasswordLength = 10;

/** What is wrong with a new password before it is sent (the cloud checks again), or null. */
export function passwordProblem(next: string, repeat: string): MessageKey | null {
  if (next.length < minPasswordLength) return 'account.tooShort';
  if (next !== repeat) return 'account.mismatch';
  return null;
}
