import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CloudTables } from './db/schema.js';
import type { OeeModel } from './oee/model.js';
import { rollupOee } from './oee/rollup.js';

export interface Retention {
  /** raw samples and the message ids kept for deduplication */
  rawDays: number;
  /** 1-minute sample rollups */
  minuteDays: number;
  /** state/counter/alarm/job/pod messages; 0 = forever. Hourly rollups (samples and OEE) are kept forever. */
  eventDays: number;
}
export const defaultRetention: Retention = { rawDays: 7, minuteDays: 90, eventDays: 400 };

const day = 86_400_000;

export async function applyRetention(db: Kysely<CloudTables>, r: Retention, now = Date.now()): Promise<void> {
  await sql`delete from sample where ts < ${now - r.rawDays * day}`.execute(db);
  // message ids only catch re-published messages (a pod restart, a broker redelivery), which come soon;
  // a publisher's replay of whole batches, however late, is caught by the batch key (edge_batch)
  await sql`delete from message_seen where ts < ${now - r.rawDays * day}`.execute(db);
  await sql`delete from sample_1m where bucket < ${now - r.minuteDays * day}`.execute(db);
  if (r.eventDays > 0) {
    const before = now - r.eventDays * day;
    for (const t of ['state_event', 'counter_event', 'alarm_event', 'job_event', 'pod_event'] as const) await sql`delete from ${sql.table(t)} where ts < ${before}`.execute(db);
    await sql`delete from boot_seen where last_ts < ${before}`.execute(db);
  }
}

/** Periodic background work: OEE hour rollups (until caught up) and retention; one run at a time. */
export function startJobs(db: Kysely<CloudTables>, model: OeeModel, retention: Retention, log: Logger, opts: { rollupMs: number; retentionMs: number }): { stop: () => Promise<void>; runRollups: () => Promise<number> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = running.then(f, f);
    running = next.catch(() => undefined);
    return next;
  };
  const runRollups = () =>
    serial(async () => {
      let total = 0;
      for (let n = -1; n !== 0 && !stopped; total += n) n = await rollupOee(db, model);
      return total;
    });
  const rollTimer = setInterval(() => void runRollups().catch((err) => log.error({ err }, 'OEE rollup failed')), opts.rollupMs);
  const retTimer = setInterval(() => void serial(() => applyRetention(db, retention)).catch((err) => log.error({ err }, 'retention failed')), opts.retentionMs);
  rollTimer.unref();
  retTimer.unref();
  return {
    runRollups,
    stop: async () => {
      stopped = true;
      clearInterval(rollTimer);
      clearInterval(retTimer);
      await running;
    },
  };
}
