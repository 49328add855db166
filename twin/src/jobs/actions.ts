import type { Command, CommandStatus, JobCommandAction, JobDto, JobStatus, Role } from '@plant-twin/contracts';
import { t } from '../lib/i18n/index.js';

/**
 * Which job actions the twin offers, and why one is not available. The edge job manager decides
 * (it applies each command through its own lifecycle and refuses what does not fit); the twin only
 * greys out what cannot apply, always with the reason, and never hides an action.
 */

/** Who may send job commands (POST /jobs/:id/commands). */
export const jobCommandRoles: readonly Role[] = ['planner', 'admin'];

export const finishedJobStatuses: readonly JobStatus[] = ['completed', 'cancelled', 'failed'];

/** The statuses an action can start from, as the job manager's lifecycle allows them. */
const allowedFrom: Record<JobCommandAction, readonly JobStatus[]> = {
  // held: resumes on its machine, or goes back to released off a machine
  release: ['planned', 'held'],
  hold: ['planned', 'released', 'dispatched', 'running'],
  cancel: ['planned', 'released', 'dispatched', 'running', 'held'],
  priority: ['planned', 'released', 'dispatched', 'running', 'held'],
};

export type ActionBlock = { why: 'status'; status: JobStatus } | { why: 'pending'; command: Command };

/**
 * Why `action` does not fit `job` now (its status, or a command of the job still open), or null when
 * it does. Who may act and whether the live connection is up is the app's change gate (lib/controls).
 */
export function actionBlock(job: Pick<JobDto, 'status'>, action: JobCommandAction, open: readonly Command[]): ActionBlock | null {
  if (!allowedFrom[action].includes(job.status)) return { why: 'status', status: job.status };
  const first = open[0];
  if (first) return { why: 'pending', command: first };
  return null;
}

export const openCommandStatuses: readonly CommandStatus[] = ['pending', 'delivered'];
export const isOpen = (c: Pick<Command, 'status'>) => openCommandStatuses.includes(c.status);

/**
 * The commands of a job as the twin shows them: what the REST API answered, updated by live
 * `command` events (each status change) whichever comes first, newest first. A later status never goes
 * back (a late REST answer after a live result keeps the result).
 */
export function mergeCommand(list: readonly Command[], c: Command): Command[] {
  const i = list.findIndex((x) => x.id === c.id);
  if (i < 0) return [c, ...list].sort((a, b) => b.seq - a.seq);
  const old = list[i]!;
  if (rank(c.status) < rank(old.status)) return [...list];
  const next = [...list];
  next[i] = { ...old, ...c };
  return next;
}

const rank = (s: CommandStatus) => (s === 'pending' ? 0 : s === 'delivered' ? 1 : 2);

/** The command type an action becomes. */
export const commandTypeOf = (action: JobCommandAction) => `job.${action}` as const;

/**
 * What a command changed, from the edge's before/after snapshots: the fields whose values differ
 * (`status: running → held`), or the two values as they are when they are not records.
 */
export function describeChange(before: unknown, after: unknown): string {
  const text = (v: unknown) => (v === undefined || v === null ? t('value.none') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const change = (b: unknown, a: unknown) => t('cmd.change', { before: text(b), after: text(a) });
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(before) || !isRecord(after)) return change(before, after);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return keys.map((k) => `${k}: ${change(before[k], after[k])}`).join(', ');
}
