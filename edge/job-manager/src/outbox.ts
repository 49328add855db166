import type { Confirmation } from '@plant-twin/contracts';
import { backoffDelay, type Logger } from '@plant-twin/runtime';
import type { ErpClient } from './erp-client.js';
import { Unreachable } from './http-client.js';
import type { Db } from './lifecycle.js';
import type { OutboxRow } from './schema.js';

export interface OutboxHooks {
  /** called after the ERP answered and before the answer is recorded (fault injection: crash here) */
  afterSend?: (row: OutboxRow) => void | Promise<void>;
}

/**
 * Delivers confirmations in the order they were written. A row leaves `pending` only after the ERP
 * said it has that confirmation id (201, or 409 for one it had already), so a crash at any point
 * makes the next run send the same id again and the ERP's duplicate check keeps it exactly once.
 */
export class OutboxSender {
  constructor(
    private readonly db: Db,
    private readonly erp: ErpClient,
    private readonly log: Logger,
    private readonly hooks: OutboxHooks = {},
    private readonly backoff = { baseMs: 500, maxMs: 30_000 },
  ) {}

  async runOnce(limit = 50): Promise<{ delivered: number; failed: number }> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('status', '=', 'pending').where('next_attempt_at', '<=', new Date()).orderBy('id').limit(limit).execute();
    let delivered = 0;
    let failed = 0;
    for (const row of rows) {
      let outcome: Awaited<ReturnType<ErpClient['confirm']>>;
      try {
        outcome = await this.erp.confirm(row.payload as Confirmation);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        outcome = { kind: 'retry', status: 0, error: err.message };
      }
      await this.hooks.afterSend?.(row);
      if (outcome.kind === 'created' || outcome.kind === 'duplicate') {
        await this.db.updateTable('outbox').set({ status: 'delivered', erp_result: outcome.kind, delivered_at: new Date(), attempts: row.attempts + 1, last_error: null }).where('id', '=', row.id).execute();
        delivered++;
        this.log.info({ confirmationId: row.confirmation_id, result: outcome.kind }, 'confirmation delivered');
      } else if (outcome.kind === 'rejected') {
        await this.db.updateTable('outbox').set({ status: 'rejected', attempts: row.attempts + 1, last_error: `${outcome.status}: ${outcome.error}` }).where('id', '=', row.id).execute();
        this.log.error({ confirmationId: row.confirmation_id, status: outcome.status, error: outcome.error }, 'ERP rejected the confirmation; needs a person');
        failed++;
      } else {
        const attempts = row.attempts + 1;
        const next = new Date(Date.now() + backoffDelay(attempts, this.backoff.baseMs, this.backoff.maxMs));
        await this.db.updateTable('outbox').set({ attempts, next_attempt_at: next, last_error: outcome.error }).where('id', '=', row.id).execute();
        this.log.warn({ confirmationId: row.confirmation_id, attempts, error: outcome.error, retryAt: next }, 'confirmation not delivered, will retry');
        failed++;
        break; // keep the order of delivery: the ERP is not taking anything now
      }
    }
    return { delivered, failed };
  }
}
