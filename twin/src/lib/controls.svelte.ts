/**
 * May this user change things now? Controls that change the plant (acknowledge, release, hold, …) ask
 * here: they are disabled while the live connection is down (what the user sees may be old) and for
 * roles the cloud would refuse, and their title says why.
 */
import type { Role } from './api/types.js';
import { t } from './i18n/index.js';
import { live, type LiveConnection } from './live/connection.svelte.js';
import { session, type Session } from './session.svelte.js';

export interface Gate {
  allowed: boolean;
  /** why not, for the control's title / tooltip (empty when allowed) */
  reason: string;
}

export function changeGate(roles: readonly Role[], conn: LiveConnection = live, who: Session = session): Gate {
  if (!who.has(...roles)) return { allowed: false, reason: t('live.needsRole', { roles: roles.join(', ') }) };
  if (!conn.up) return { allowed: false, reason: t('live.disabledWhileDown') };
  return { allowed: true, reason: '' };
}
