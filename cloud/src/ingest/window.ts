import { cloudClockAlarmCode, type QuarantineReason } from '@plant-twin/contracts';

export type { QuarantineReason };

/**
 * Which message times the cloud takes into its history: [now - pastMs, now + futureMs] by the cloud's
 * clock. A message outside it (a PLC whose clock battery died stamps 1970; a clock running ahead
 * stamps next year) would rewrite history: the rollups would run through every hour since 1970, a
 * future state would stretch the machine's last state up to that date. It is quarantined instead.
 * The window is also the deduplication horizon: message ids are remembered until they leave it.
 */
export interface AcceptWindow {
  /** how old a message may be (CLOUD_ACCEPT_PAST_DAYS): above the edge's replay horizon (publisher buffer + pod outbox) */
  pastMs: number;
  /** how far ahead of the cloud's clock (CLOUD_ACCEPT_FUTURE_S): clock skew allowed */
  futureMs: number;
}
export const defaultAcceptWindow: AcceptWindow = { pastMs: 7 * 86_400_000, futureMs: 5 * 60_000 };


export function outsideWindow(ts: number, now: number, w: AcceptWindow): QuarantineReason | null {
  if (ts < now - w.pastMs) return 'too_old';
  if (ts > now + w.futureMs) return 'future';
  return null;
}

/**
 * The alarm the cloud raises on a machine whose messages it quarantined (the twin shows it like a
 * machine alarm); cleared once the machine has sent in-window messages for `clearAfterMs` with none quarantined.
 */
export const clockAlarm = { code: cloudClockAlarmCode, severity: 'warn' as const, clearAfterMs: 10 * 60_000 };

export function clockAlarmText(w: AcceptWindow, reasons: ReadonlySet<QuarantineReason>): string {
  const what = [...reasons].map((r) => (r === 'too_old' ? `older than ${Math.round(w.pastMs / 3_600_000)} h` : `more than ${Math.round(w.futureMs / 1000)} s ahead of the cloud's clock`)).join(' or ');
  return `Messages stamped ${what} were quarantined: check the machine's clock (or a late replay)`;
}

