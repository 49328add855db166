import type { Confirmation } from '@plant-twin/contracts';
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { Job, JobDatabase, JobStatus, JobsTable } from './schema.js';

/**
 * The one place that knows which status may follow which. Every status change goes through
 * `transition`, which also writes the event row and, for a finished job that produced parts,
 * the final ERP confirmation into the outbox, all in the caller's transaction.
 */
export const allowedTransitions: Record<JobStatus, readonly JobStatus[]> = {
  planned: ['released', 'held', 'cancelled'],
  released: ['dispatched', 'held', 'cancelled'],
  // back to released: the dispatch did not land, the pod lost it before it started, or it is moved to another machine
  dispatched: ['running', 'held', 'released', 'completed', 'cancelled', 'failed'],
  running: ['held', 'completed', 'cancelled', 'failed'],
  // held on a machine resumes there (running); held off a machine goes back to released
  held: ['released', 'dispatched', 'running', 'completed', 'cancelled', 'failed'],
  completed: [],
  cancelled: [],
  failed: [],
};

export class TransitionError extends Error {
  constructor(
    readonly jobId: string,
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`job ${jobId} cannot go from ${from} to ${to} (allowed: ${allowedTransitions[from].join(', ') || 'none, it is finished'})`);
    this.name = 'TransitionError';
  }
}

export type Db = Kysely<JobDatabase>;
export type Tx = Transaction<JobDatabase>;

export interface TransitionOptions {
  actor: 'erp' | 'orchestrator' | 'api' | 'agent' | 'sync';
  reason: string;
  /** other columns to change with the status */
  set?: Updateable<JobsTable>;
  detail?: Record<string, unknown>;
}

/** The confirmation id is the ERP's idempotency key: the same job always yields the same id. */
export function confirmationId(job: Pick<Job, 'id' | 'operation'>, final: boolean, seq = 0): string {
  return final ? `${job.id}.${job.operation}.final` : `${job.id}.${job.operation}.p${seq}`;
}

/** Changes the job's status (locked row, checked against the table), records the event, fills the outbox. */
export async function transition(trx: Tx, jobId: string, to: JobStatus, opts: TransitionOptions): Promise<Job> {
  const job = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
  if (!job) throw new Error(`no job ${jobId}`);
  if (!allowedTransitions[job.status].includes(to)) throw new TransitionError(jobId, job.status, to);
  const updated = await trx
    .updateTable('jobs')
    .set({ ...opts.set, status: to, updated_at: new Date() })
    .where('id', '=', jobId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('job_events')
    .values({ job_id: jobId, kind: 'transition', from_status: job.status, to_status: to, actor: opts.actor, reason: opts.reason, detail: JSON.stringify(opts.detail ?? {}) })
    .execute();
  // parts made on a cancelled or failed job exist too: the ERP must hear of them
  const finishedWithParts = to === 'completed' || ((to === 'cancelled' || to === 'failed') && updated.good + updated.scrap > 0);
  if (finishedWithParts) await enqueueFinalConfirmation(trx, updated);
  return updated;
}

/** A non-status event (ERP change, progress, note) in the job's history. */
export async function recordEvent(trx: Tx | Db, job: Pick<Job, 'id' | 'status'>, kind: string, actor: string, reason: string, detail: Record<string, unknown> = {}): Promise<void> {
  await trx
    .insertInto('job_events')
    .values({ job_id: job.id, kind, from_status: job.status, to_status: job.status, actor, reason, detail: JSON.stringify(detail) })
    .execute();
}

async function enqueueFinalConfirmation(trx: Tx, job: Job): Promise<void> {
  const end = job.ended_at ?? new Date();
  const payload: Confirmation = {
    confirmationId: confirmationId(job, true),
    orderId: job.order_id,
    operation: job.operation,
    ...(job.machine_id ? { machineId: job.machine_id } : {}),
    goodQuantity: job.good,
    scrapQuantity: job.scrap,
    start: (job.started_at ?? end).toISOString(),
    end: end.toISOString(),
    final: true,
  };
  // on conflict: a final confirmation exists already (cannot happen through the transition table; belt and braces)
  await trx
    .insertInto('outbox')
    .values({ confirmation_id: payload.confirmationId, job_id: job.id, payload: JSON.stringify(payload), status: 'pending', attempts: 0, next_attempt_at: new Date(), last_error: null, erp_result: null, delivered_at: null })
    .onConflict((oc) => oc.column('confirmation_id').doNothing())
    .execute();
}
