import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CloudTables } from './db/schema.js';
import type { OeeModel } from './oee/model.js';
import { defaultAcceptWindow, type AcceptWindow } from './ingest/window.js';
import { rollupOee } from './oee/rollup.js';

export interface Retention {
  /** raw samples */
  rawDays: number;
  /** 1-minute sample rollups */
  minuteDays: number;
  /** state/counter/alarm/job/pod messages; 0 = forever. Hourly rollups (samples and OEE) are kept forever. */
  eventDays: number;
  /** quarantined messages (stamped outside the accepted window), by arrival; default 30 */
  quarantineDays?: number;
}
export const defaultRetention: Retention = { rawDays: 7, minuteDays: 90, eventDays: 400, quarantineDays: 30 };
/** at most this many quarantined messages are kept (the newest): a machine with a dead clock battery must not fill the disk */
export const quarantineMaxRows = 100_000;

const day = 86_400_000;

export async function applyRetention(db: Kysely<CloudTables>, r: Retention, now = Date.now(), window: AcceptWindow = defaultAcceptWindow): Promise<void> {
  await sql`delete from sample where ts < ${now - r.rawDays * day}`.execute(db);
  // the deduplication horizon is the accepted window: an id is forgotten only once a message with that
  // time would be quarantined anyway, so a replay, however late and under whatever batch seq, counts once
  await sql`delete from message_seen where ts < ${now - window.pastMs}`.execute(db);
  await sql`delete from quarantine where received_at < ${now - (r.quarantineDays ?? 30) * day}`.execute(db);
  await sql`delete from quarantine where id in (select id from quarantine order by received_at desc, id offset ${quarantineMaxRows})`.execute(db);
  await sql`delete from sample_1m where bucket < ${now - r.minuteDays * day}`.execute(db);
  if (r.eventDays > 0) {
    const before = now - r.eventDays * day;
    for (const t of ['state_event', 'counter_event', 'alarm_event', 'job_event', 'pod_event'] as const) await sql`delete from ${sql.table(t)} where ts < ${before}`.execute(db);
    await sql`delete from boot_seen where last_ts < ${before}`.execute(db);
  }
}

/**
 * Periodic background work: OEE hour rollups (until caught up, in bounded slices) and retention; one
 * run at a time. `stop` aborts a rollup between slices, so SIGTERM is honoured within one slice.
 */
export function startJobs(
  db: Kysely<CloudTables>,
  model: OeeModel,
  retention: Retention,
  log: Logger,
  opts: { rollupMs: number; retentionMs: number; window?: AcceptWindow | undefined },
): { stop: () => Promise<void>; runRollups: () => Promise<number> } {
  let running: Promise<unknown> = Promise.resolve();
  const stopping = new AbortController();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = running.then(f, f);
    running = next.catch(() => undefined);
    return next;
  };
  const runRollups = () =>
    serial(async () => {
      let total = 0;
      // facts older than the event retention are deleted anyway: the rollups do not go back further
      const floor = retention.eventDays > 0 ? Date.now() - retention.eventDays * day : undefined;
      for (let n = -1; n !== 0 && !stopping.signal.aborted; total += n) n = await rollupOee(db, model, { signal: stopping.signal, ...(floor ? { floor } : {}) });
      return total;
    });
  const quiet = (what: string) => (err: unknown) => {
    if (!stopping.signal.aborted) log.error({ err }, `${what} failed`);
  };
  const rollTimer = setInterval(() => void runRollups().catch(quiet('OEE rollup')), opts.rollupMs);
  const retTimer = setInterval(() => void serial(() => applyRetention(db, retention, Date.now(), opts.window)).catch(quiet('retention')), opts.retentionMs);
  rollTimer.unref();
  retTimer.unref();
  return {
    runRollups,
    stop: async () => {
      stopping.abort(new Error('stopping'));
      clearInterval(rollTimer);
      clearInterval(retTimer);
      await running;
    },
  };
}
