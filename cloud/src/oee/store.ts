import { sql, type Kysely, type Transaction } from 'kysely';
import type { CloudTables } from '../db/schema.js';
import { plannedWindows } from './calendar.js';
import { emptyFacts, factFields, machineFacts, type CountFact, type FactsRow, type OeeFacts, type PodFact, type StateFact } from './facts.js';
import { factColumns, type OeeModel } from './model.js';

export const hourMs = 3_600_000;
type Q = Kysely<CloudTables> | Transaction<CloudTables>;

/** Latest message time per machine: the machine's timeline is known up to there. */
export async function lastSeen(db: Q, machineIds: readonly string[]): Promise<Map<string, number>> {
  const r = await sql<{ machine_id: string; last_ts: number }>`select machine_id, last_ts from machine_seen where machine_id = any(${[...machineIds]}::text[])`.execute(db);
  return new Map(r.rows.map((x) => [x.machine_id, Number(x.last_ts)]));
}

/** OEE facts of one machine over [from, to) computed from the stored raw facts, by hour bucket. */
export async function factsFromRaw(db: Q, model: OeeModel, machineId: string, from: number, to: number, end: number): Promise<FactsRow[]> {
  const ctx = model.smallStopMs;
  const states = await sql<{ ts: number; state: string; quality: string; part_number: string | null }>`
    select ts, state, quality, part_number from (
      (select ts, state, quality, part_number from state_event where machine_id = ${machineId} and ts < ${from - ctx} order by ts desc limit 1)
      union all (select ts, state, quality, part_number from state_event where machine_id = ${machineId} and ts >= ${from - ctx} and ts < ${to + ctx})
      union all (select ts, state, quality, part_number from state_event where machine_id = ${machineId} and ts >= ${to + ctx} order by ts limit 1)
    ) s order by ts`.execute(db);
  // the part in force may have been set by a state message long before the range
  const lastPart = await sql<{ part_number: string }>`select part_number from state_event where machine_id = ${machineId} and ts < ${from - ctx} and part_number is not null order by ts desc limit 1`.execute(db);
  const pods = await sql<{ ts: number; status: string; machine_connected: boolean }>`
    select ts, status, machine_connected from (
      (select ts, status, machine_connected from pod_event where machine_id = ${machineId} and ts < ${from - ctx} order by ts desc limit 1)
      union all (select ts, status, machine_connected from pod_event where machine_id = ${machineId} and ts >= ${from - ctx} and ts < ${to + ctx})
    ) p order by ts`.execute(db);
  const counts = await sql<{ ts: number; good_delta: number; scrap_delta: number; part_number: string | null }>`
    select ts, good_delta, scrap_delta, part_number from counter_event where machine_id = ${machineId} and ts >= ${from} and ts < ${to} order by ts`.execute(db);

  const stateFacts: StateFact[] = states.rows.map((r) => ({ ts: Number(r.ts), state: r.state, quality: r.quality, partNumber: r.part_number }));
  if (stateFacts[0] && stateFacts[0].partNumber === null && lastPart.rows[0]) stateFacts[0].partNumber = lastPart.rows[0].part_number;
  const podFacts: PodFact[] = pods.rows.map((r) => ({ ts: Number(r.ts), ok: r.status === 'online' && r.machine_connected }));
  const countFacts: CountFact[] = counts.rows.map((r) => ({ ts: Number(r.ts), good: r.good_delta, scrap: r.scrap_delta, partNumber: r.part_number }));
  return machineFacts(
    { states: stateFacts, pods: podFacts, counts: countFacts, end },
    {
      from,
      to,
      windows: plannedWindows(model.shifts, model.timezone, from, to),
      smallStopMs: model.smallStopMs,
      idealCycleS: model.idealCycleS.get(machineId) ?? new Map(),
      bucketMs: hourMs,
    },
  );
}

/** Contiguous runs of rolled-up hours of each machine within [from, to): [start, end) spans. */
export async function rolledSpans(db: Q, machineIds: readonly string[], from: number, to: number): Promise<Map<string, [number, number][]>> {
  const r = await sql<{ machine_id: string; a: number; b: number }>`
    select machine_id, min(bucket) as a, max(bucket) + ${hourMs} as b from (
      select machine_id, bucket, bucket - ${hourMs}::bigint * row_number() over (partition by machine_id order by bucket) as grp
      from oee_rolled where machine_id = any(${[...machineIds]}::text[]) and bucket >= ${from} and bucket + ${hourMs} <= ${to}
    ) x group by machine_id, grp order by machine_id, a`.execute(db);
  const out = new Map<string, [number, number][]>();
  for (const x of r.rows) {
    const spans = out.get(x.machine_id) ?? [];
    spans.push([Number(x.a), Number(x.b)]);
    out.set(x.machine_id, spans);
  }
  return out;
}

/** [from, to) minus the covered spans (sorted, inside [from, to)). */
export function gaps(from: number, to: number, covered: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let cursor = from;
  for (const [a, b] of covered) {
    if (a > cursor) out.push([cursor, a]);
    cursor = Math.max(cursor, b);
  }
  if (cursor < to) out.push([cursor, to]);
  return out;
}

export interface GroupedFacts {
  machineId: string;
  shift: string;
  part: string;
  facts: OeeFacts;
}

/** Sums of rolled-up facts per machine, shift and part over whole hours of [from, to). */
export async function rolledFacts(db: Q, machineIds: readonly string[], from: number, to: number): Promise<GroupedFacts[]> {
  const sums = factFields.map((f) => sql`sum(${sql.ref(factColumns[f])}) as ${sql.ref(factColumns[f])}`);
  const r = await sql<Record<string, unknown>>`
    select machine_id, shift, part, ${sql.join(sums)} from oee_hour
    where machine_id = any(${[...machineIds]}::text[]) and bucket >= ${from} and bucket + ${hourMs} <= ${to}
    group by machine_id, shift, part`.execute(db);
  return r.rows.map((row) => {
    const facts = emptyFacts();
    for (const f of factFields) facts[f] = Number(row[factColumns[f]] ?? 0);
    return { machineId: row.machine_id as string, shift: row.shift as string, part: row.part as string, facts };
  });
}

/** Writes the facts of whole hours and marks them rolled (hours without any row are marked too). */
export async function writeRollup(trx: Q, machineId: string, buckets: readonly number[], rows: readonly FactsRow[]): Promise<void> {
  if (rows.length) {
    const cols = factFields.map((f) => factColumns[f]);
    const arrays = factFields.map((f) => sql`${rows.map((r) => r[f])}::float8[]`);
    await sql`insert into oee_hour (machine_id, bucket, shift, part, ${sql.join(cols.map((c) => sql.ref(c)))})
      select ${machineId}::text, * from unnest(${rows.map((r) => r.bucket)}::bigint[], ${rows.map((r) => r.shift)}::text[], ${rows.map((r) => r.part)}::text[], ${sql.join(arrays)})`.execute(trx);
  }
  await sql`insert into oee_rolled (machine_id, bucket) select ${machineId}::text, * from unnest(${[...buckets]}::bigint[]) on conflict do nothing`.execute(trx);
}

/** Serialises OEE rollup writes and their invalidation per machine (PostgreSQL; PGlite is one connection anyway). */
export async function lockMachines(trx: Q, machineIds: readonly string[]): Promise<void> {
  const ids = [...new Set(machineIds)].sort();
  if (ids.length) await sql`select pg_advisory_xact_lock(hashtext('oee:' || m)) from unnest(${ids}::text[]) as u(m) order by m`.execute(trx);
}
