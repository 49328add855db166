import { sql, type Kysely } from 'kysely';
import { checkpoint } from '../bounds.js';
import type { CloudTables } from '../db/schema.js';
import { oeeModelFingerprint, type OeeModel } from './model.js';
import { dayMs, dropRollups, factsFromRawSpans, gaps, hourMs, lastSeen, lockMachines, rolledSpans, rollupDays, writeRollup } from './store.js';

/** Rolled-up hours are only trusted for the model they were computed with. */
export async function resetRollupsIfModelChanged(db: Kysely<CloudTables>, model: OeeModel): Promise<boolean> {
  const fp = oeeModelFingerprint(model);
  const cur = await sql<{ value: string }>`select value from meta where key = 'oee_model'`.execute(db);
  if (cur.rows[0]?.value === fp) return false;
  await db.transaction().execute(async (trx) => {
    await lockMachines(trx, model.machineIds);
    for (const t of ['oee_hour', 'oee_rolled', 'oee_day', 'oee_day_rolled'] as const) await sql`delete from ${sql.table(t)}`.execute(trx);
    await sql`insert into meta (key, value) values ('oee_model', ${fp}) on conflict (key) do update set value = excluded.value`.execute(trx);
  });
  return true;
}

/** Recompute past periods (e.g. after correcting data): drops the rolled hours from `from` on. */
export async function invalidateRollups(db: Kysely<CloudTables>, machineIds: readonly string[], from: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockMachines(trx, machineIds);
    await dropRollups(trx, machineIds, machineIds.map(() => from));
  });
}

/**
 * Rolls up the OEE facts of closed hours: hours that end at least one small-stop threshold (and a
 * minute) before the machine's latest message, so a stop still open at the edge is judged first.
 * Complete UTC days are then summed into day rows, so a year reads ~365 rows per machine.
 * Bounded work per call: at most `maxHoursPerMachine` hours per machine, written in transactions of
 * at most `sliceHours` hours, yielding in between (ingestion, probes, a stop signal); never before
 * `floor` (facts older than the retention are deleted anyway: a stray old fact must not send the job
 * through every hour since 1970). Returns how many hours it wrote; call repeatedly until 0 to catch up.
 */
export async function rollupOee(db: Kysely<CloudTables>, model: OeeModel, opts: { maxHoursPerMachine?: number; sliceHours?: number; floor?: number; signal?: AbortSignal } = {}): Promise<number> {
  const maxHours = opts.maxHoursPerMachine ?? 48;
  const sliceHours = opts.sliceHours ?? 6;
  const seen = await lastSeen(db, model.machineIds);
  let written = 0;
  for (const machineId of model.machineIds) {
    const last = seen.get(machineId);
    if (last === undefined) continue;
    const first = await sql<{ ts: number | null }>`select least((select min(ts) from state_event where machine_id = ${machineId}), (select min(ts) from counter_event where machine_id = ${machineId})) as ts`.execute(db);
    const firstTs = first.rows[0]?.ts;
    if (firstTs === null || firstTs === undefined) continue;
    // from the start of the first fact's UTC day, so that day can be summed into a day row too
    const start = Math.floor(Math.max(Number(firstTs), opts.floor ?? -Infinity) / dayMs) * dayMs;
    const end = Math.floor((last - model.smallStopMs - 60_000) / hourMs) * hourMs;
    if (end <= start) continue;
    const todo = gaps(start, end, (await rolledSpans(db, 'hour', [{ machineId, from: start, to: end }]))[0]!);
    let budget = maxHours;
    for (const [a0, b0] of todo) {
      for (let a = a0; a < b0 && budget > 0; ) {
        const b = Math.min(b0, a + Math.min(budget, sliceHours) * hourMs);
        budget -= (b - a) / hourMs;
        await checkpoint(opts.signal);
        written += await rollupHours(db, model, machineId, a, b, last);
        a = b;
      }
      if (budget <= 0) break;
    }
    await db.transaction().execute(async (trx) => {
      await lockMachines(trx, [machineId]);
      await rollupDays(trx, machineId);
    });
  }
  return written;
}

/** Rolls the hours [a, b) of one machine in one transaction, unless an ingest rolled or dropped them meanwhile. */
async function rollupHours(db: Kysely<CloudTables>, model: OeeModel, machineId: string, a: number, b: number, last: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockMachines(trx, [machineId]);
    // the lock is taken before reading, so facts committed by an ingest that invalidated these hours are seen
    const still = await sql<{ n: number }>`select count(*)::int as n from oee_rolled where machine_id = ${machineId} and bucket >= ${a} and bucket < ${b}`.execute(trx);
    if (Number(still.rows[0]?.n) > 0) return 0;
    const lastNow = (await lastSeen(trx, [machineId])).get(machineId) ?? last;
    const [rows] = await factsFromRawSpans(trx, model, [{ machineId, from: a, to: b, end: lastNow }]);
    const buckets: number[] = [];
    for (let t = a; t < b; t += hourMs) buckets.push(t);
    await writeRollup(trx, machineId, buckets, rows!);
    return buckets.length;
  });
}
