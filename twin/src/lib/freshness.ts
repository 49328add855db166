/**
 * Live or not, always visible (issue 14): decides whether a machine's state may be shown, or whether it
 * is "no data since hh:mm:ss". The cloud decides freshness on its clock (`freshness`: live, stale,
 * offline); the twin adds what only the browser knows: its own live connection is down, so nothing it
 * shows is live any more. Values are judged the same way: quality first, then age.
 */
import type { CurrentValue, MachineState, MachineStatus } from './api/types.js';
import type { LiveStatus } from './live/connection.svelte.js';

export type NoDataReason = 'never' | 'offline' | 'stale' | 'disconnected';

export type Condition =
  | { kind: 'nodata'; reason: NoDataReason; since: number | null }
  | { kind: 'state'; state: MachineState; since: number | null };

export interface LiveContext {
  status: LiveStatus;
  downSince: number | null;
}

/** What may be shown for a machine: its state, or no data since the last time anything good was heard. */
export function machineCondition(status: MachineStatus | null | undefined, live: LiveContext): Condition {
  const lastGood = status ? (status.staleSince ?? status.lastSeen ?? status.since ?? null) : null;
  if (!status || !status.state) return { kind: 'nodata', reason: 'never', since: lastGood };
  if (live.status === 'down') {
    const since = live.downSince === null ? lastGood : Math.min(live.downSince, lastGood ?? live.downSince);
    return { kind: 'nodata', reason: 'disconnected', since };
  }
  if (status.freshness !== 'live') return { kind: 'nodata', reason: status.freshness, since: lastGood };
  return { kind: 'state', state: status.state, since: status.since };
}

export type ValueStanding = 'good' | 'stale' | 'bad';

/**
 * A value's standing: its own quality, made stale when older than `staleAfterMs` or when the machine
 * itself has no live data.
 */
export function valueStanding(v: Pick<CurrentValue, 'quality' | 'ts'>, now: number, staleAfterMs: number, machineLive: boolean): ValueStanding {
  if (v.quality === 'bad') return 'bad';
  if (v.quality !== 'good' || !machineLive || now - v.ts > staleAfterMs) return 'stale';
  return 'good';
}

/** Outside the tag's engineering limits (a numeric value only). */
export function outOfLimits(value: unknown, limits: { min?: number | undefined; max?: number | undefined } | undefined): boolean {
  if (typeof value !== 'number' || !limits) return false;
  return (limits.min !== undefined && value < limits.min) || (limits.max !== undefined && value > limits.max);
}
