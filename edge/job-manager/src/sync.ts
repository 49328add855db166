import type { ProductionOrder } from '@plant-twin/contracts';
import type { Logger } from '@plant-twin/runtime';
import { recordEvent, transition, type Db, type Tx } from './lifecycle.js';
import type { ErpClient } from './erp-client.js';
import { finishedStatuses, onMachineStatuses, type Job } from './schema.js';

export const jobIdOf = (o: Pick<ProductionOrder, 'orderId' | 'operation'>) => `${o.orderId}-${o.operation}`;
const cursorKey = 'erp.orders.cursor';

export type ApplyResult = 'created' | 'updated' | 'unchanged' | 'ignored';

/**
 * Applies one ERP order (its latest version) to the job table, idempotently: a version the job has
 * already seen changes nothing. Quantity changes on a job already on a machine do not reach the
 * machine (the job agent has no "change quantity"): the machine keeps the dispatched quantity; if the
 * ERP lowered it, the orchestrator stops the job once the new quantity is good; if raised, the job
 * completes with the dispatched quantity and the final confirmation tells the ERP what was made.
 */
export async function applyOrder(trx: Tx, o: ProductionOrder, autoRelease: boolean): Promise<ApplyResult> {
  const id = jobIdOf(o);
  const job = await trx.selectFrom('jobs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!job) {
    if (o.status !== 'released') return 'ignored'; // cancelled or confirmed before we ever saw it
    await trx
      .insertInto('jobs')
      .values({
        id,
        order_id: o.orderId,
        operation: o.operation,
        order_version: o.version,
        part_number: o.partNumber,
        work_center: o.workCenter,
        quantity: o.quantity,
        dispatched_quantity: null,
        due_date: new Date(o.dueDate),
        priority: o.priority,
        eligible_machines: o.eligibleMachines,
        status: 'planned',
        machine_id: null,
        good: 0,
        scrap: 0,
        cancel_requested: false,
        dispatch_attempts: 0,
        next_dispatch_at: null,
        avoid_machines: [],
        started_at: null,
        ended_at: null,
        message: null,
      })
      .execute();
    await trx
      .insertInto('job_events')
      .values({ job_id: id, kind: 'transition', from_status: null, to_status: 'planned', actor: 'erp', reason: `order ${o.orderId} version ${o.version}`, detail: JSON.stringify({ order: o }) })
      .execute();
    if (autoRelease) await transition(trx, id, 'released', { actor: 'sync', reason: 'released by the ERP' });
    return 'created';
  }
  if (o.version <= job.order_version) return 'unchanged';
  if (finishedStatuses.includes(job.status)) {
    // a finished job keeps what it was run with; the ERP's later versions are history only
    await trx.updateTable('jobs').set({ order_version: o.version, updated_at: new Date() }).where('id', '=', id).execute();
    await recordEvent(trx, job, 'change', 'erp', `order version ${o.version} (status ${o.status}) after the job finished; not applied`);
    return 'updated';
  }
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const diff = (k: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[k] = { from, to };
  };
  diff('quantity', job.quantity, o.quantity);
  diff('dueDate', job.due_date.toISOString(), new Date(o.dueDate).toISOString());
  diff('priority', job.priority, o.priority);
  diff('eligibleMachines', job.eligible_machines, o.eligibleMachines);
  diff('erpStatus', 'released', o.status);
  await trx
    .updateTable('jobs')
    .set({ order_version: o.version, quantity: o.quantity, due_date: new Date(o.dueDate), priority: o.priority, eligible_machines: o.eligibleMachines, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
  await recordEvent(trx, job, 'change', 'erp', `order version ${o.version}`, changes);
  if (o.status === 'cancelled') await cancelJob(trx, job, 'erp', 'order cancelled in the ERP');
  return 'updated';
}

/** Cancels at once when the job is off the machines; otherwise asks the orchestrator to cancel it on its machine first. */
export async function cancelJob(trx: Tx, job: Job, actor: 'erp' | 'api', reason: string): Promise<'cancelled' | 'requested'> {
  if (job.machine_id && onMachineStatuses.includes(job.status)) {
    await trx.updateTable('jobs').set({ cancel_requested: true, updated_at: new Date() }).where('id', '=', job.id).execute();
    await recordEvent(trx, job, 'note', actor, `${reason}: cancel requested on ${job.machine_id}`);
    return 'requested';
  }
  await transition(trx, job.id, 'cancelled', { actor, reason, set: { ended_at: new Date() } });
  return 'cancelled';
}

export async function readCursor(db: Db | Tx): Promise<string> {
  const row = await db.selectFrom('sync_state').select('value').where('key', '=', cursorKey).executeTakeFirst();
  return row?.value ?? '0';
}

/** Pulls order changes page by page; each page and the cursor after it commit together. */
export class ErpSync {
  constructor(
    private readonly db: Db,
    private readonly erp: ErpClient,
    private readonly log: Logger,
    private readonly autoRelease = true,
  ) {}

  async runOnce(): Promise<{ pages: number; counts: Record<ApplyResult, number> }> {
    const counts: Record<ApplyResult, number> = { created: 0, updated: 0, unchanged: 0, ignored: 0 };
    let pages = 0;
    for (;;) {
      const cursor = await readCursor(this.db);
      const page = await this.erp.ordersAfter(cursor);
      pages++;
      if (page.orders.length > 0) {
        await this.db.transaction().execute(async (trx) => {
          for (const o of page.orders) counts[await applyOrder(trx, o, this.autoRelease)]++;
          await trx
            .insertInto('sync_state')
            .values({ key: cursorKey, value: page.nextCursor })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value: page.nextCursor, updated_at: new Date() }))
            .execute();
        });
      }
      if (!page.hasMore) break;
    }
    if (counts.created || counts.updated) this.log.info({ ...counts, pages }, 'ERP orders synchronised');
    return { pages, counts };
  }
}
