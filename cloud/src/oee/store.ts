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

export interface RawSpan {
  machineId: string;
  from: number;
  to: number;
  /** the machine's timeline is known up to here */
  end: number;
}

/**
 * OEE facts over spans of several machines computed from the stored raw facts, by hour bucket:
 * four queries whatever the number of spans (each query per span is an index range scan).
 */
export async function factsFromRawSpans(db: Q, model: OeeModel, spans: readonly RawSpan[]): Promise<FactsRow[][]> {
  if (!spans.length) return [];
  const ctx = model.smallStopMs;
  const ids = spans.map((s) => s.machineId);
  const a = spans.map((s) => s.from - ctx), b = spans.map((s) => s.to + ctx);
  const from = spans.map((s) => s.from), to = spans.map((s) => s.to);
  const states = await sql<{ k: number; ts: number; state: string; quality: string; part_number: string | null }>`
    select s.k, x.ts, x.state, x.quality, x.part_number
    from unnest(${ids}::text[], ${a}::bigint[], ${b}::bigint[]) with ordinality as s(m, a, b, k)
    cross join lateral (
      (select ts, state, quality, part_number from state_event where machine_id = s.m and ts < s.a order by ts desc limit 1)
      union all (select ts, state, quality, part_number from state_event where machine_id = s.m and ts >= s.a and ts < s.b)
      union all (select ts, state, quality, part_number from state_event where machine_id = s.m and ts >= s.b order by ts limit 1)
    ) x order by s.k, x.ts`.execute(db);
  // the part in force may have been set by a state message long before the span
  const parts = await sql<{ k: number; part_number: string }>`
    select s.k, x.part_number from unnest(${ids}::text[], ${a}::bigint[]) with ordinality as s(m, a, k)
    cross join lateral (select part_number from state_event where machine_id = s.m and ts < s.a and part_number is not null order by ts desc limit 1) x`.execute(db);
  const pods = await sql<{ k: number; ts: number; status: string; machine_connected: boolean }>`
    select s.k, x.ts, x.status, x.machine_connected
    from unnest(${ids}::text[], ${a}::bigint[], ${b}::bigint[]) with ordinality as s(m, a, b, k)
    cross join lateral (
      (select ts, status, machine_connected from pod_event where machine_id = s.m and ts < s.a order by ts desc limit 1)
      union all (select ts, status, machine_connected from pod_event where machine_id = s.m and ts >= s.a and ts < s.b)
    ) x order by s.k, x.ts`.execute(db);
  // counts summed per minute and part, at the minute's first count: shift and break boundaries are
  // whole minutes, so their attribution stays exact while a second-by-second counter returns 60x fewer rows
  const counts = await sql<{ k: number; ts: number; good_delta: number; scrap_delta: number; part_number: string | null }>`
    select s.k, min(c.ts) as ts, sum(c.good_delta)::int as good_delta, sum(c.scrap_delta)::int as scrap_delta, c.part_number
    from unnest(${ids}::text[], ${from}::bigint[], ${to}::bigint[]) with ordinality as s(m, a, b, k)
    cross join lateral (select ts, good_delta, scrap_delta, part_number from counter_event where machine_id = s.m and ts >= s.a and ts < s.b) c
    group by s.k, c.ts - c.ts % 60000, c.part_number order by s.k, 2`.execute(db);

  const per = spans.map(() => ({ states: [] as StateFact[], pods: [] as PodFact[], counts: [] as CountFact[] }));
  for (const r of states.rows) per[Number(r.k) - 1]!.states.push({ ts: Number(r.ts), state: r.state, quality: r.quality, partNumber: r.part_number });
  for (const r of parts.rows) {
    const first = per[Number(r.k) - 1]!.states[0];
    if (first && first.partNumber === null) first.partNumber = r.part_number;
  }
  for (const r of pods.rows) per[Number(r.k) - 1]!.pods.push({ ts: Number(r.ts), ok: r.status === 'online' && r.machine_connected });
  for (const r of counts.rows) per[Number(r.k) - 1]!.counts.push({ ts: Number(r.ts), good: r.good_delta, scrap: r.scrap_delta, partNumber: r.part_number });
  return spans.map((span, i) =>
    machineFacts(
      { ...per[i]!, end: span.end },
      {
        from: span.from,
        to: span.to,
        windows: plannedWindows(model.shifts, model.timezone, span.from, span.to),
        smallStopMs: model.smallStopMs,
        idealCycleS: model.idealCycleS.get(span.machineId) ?? new Map(),
        bucketMs: hourMs,
      },
    ),
  );
}

export const dayMs = 86_400_000;
/** Rollup levels: facts per machine x hour and per machine x UTC day, each with its table of rolled buckets. */
export const levels = {
  hour: { facts: 'oee_hour', rolled: 'oee_rolled', unit: hourMs },
  day: { facts: 'oee_day', rolled: 'oee_day_rolled', unit: dayMs },
} as const;
export type Level = keyof typeof levels;

export interface Range {
  machineId: string;
  from: number;
  to: number;
}

/** Contiguous runs of rolled buckets of a level inside each range: [start, end) spans per range index. */
export async function rolledSpans(db: Q, level: Level, ranges: readonly Range[]): Promise<[number, number][][]> {
  const out: [number, number][][] = ranges.map(() => []);
  if (!ranges.length) return out;
  const { rolled, unit } = levels[level];
  const r = await sql<{ k: number; a: number; b: number }>`
    select k, min(bucket) as a, max(bucket) + ${unit}::bigint as b from (
      select r.k, o.bucket, o.bucket - ${unit}::bigint * row_number() over (partition by r.k order by o.bucket) as grp
      from unnest(${ranges.map((x) => x.machineId)}::text[], ${ranges.map((x) => x.from)}::bigint[], ${ranges.map((x) => x.to)}::bigint[]) with ordinality as r(m, a, b, k)
      cross join lateral (select bucket from ${sql.table(rolled)} where machine_id = r.m and bucket >= r.a and bucket < r.b and bucket + ${unit}::bigint <= r.b) o
    ) x group by k, grp order by k, a`.execute(db);
  for (const x of r.rows) out[Number(x.k) - 1]!.push([Number(x.a), Number(x.b)]);
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

/** Sums of rolled-up facts of a level per machine, shift and part over the whole buckets inside the ranges. */
export async function rolledFacts(db: Q, level: Level, ranges: readonly Range[]): Promise<GroupedFacts[]> {
  if (!ranges.length) return [];
  const { facts: table, unit } = levels[level];
  const sums = factFields.map((f) => sql`sum(o.${sql.ref(factColumns[f])}) as ${sql.ref(factColumns[f])}`);
  const r = await sql<Record<string, unknown>>`
    select o.machine_id, o.shift, o.part, ${sql.join(sums)}
    from unnest(${ranges.map((x) => x.machineId)}::text[], ${ranges.map((x) => x.from)}::bigint[], ${ranges.map((x) => x.to)}::bigint[]) as r(m, a, b)
    cross join lateral (select * from ${sql.table(table)} where machine_id = r.m and bucket >= r.a and bucket < r.b and bucket + ${unit}::bigint <= r.b) o
    group by o.machine_id, o.shift, o.part`.execute(db);
  return r.rows.map((row) => {
    const facts = emptyFacts();
    for (const f of factFields) facts[f] = Number(row[factColumns[f]] ?? 0);
    return { machineId: row.machine_id as string, shift: row.shift as string, part: row.part as string, facts };
  });
}

/** Rolls complete UTC days (all 24 hours rolled) of a machine up from its hours; returns the number of days. */
export async function rollupDays(trx: Q, machineId: string): Promise<number> {
  const days = await sql<{ d: number }>`
    select d from (select bucket - bucket % ${dayMs}::bigint as d, count(*) as n from oee_rolled where machine_id = ${machineId} group by 1) x
    where n = 24 and not exists (select 1 from oee_day_rolled r where r.machine_id = ${machineId} and r.bucket = x.d) order by d`.execute(trx);
  const ds = days.rows.map((x) => Number(x.d));
  if (!ds.length) return 0;
  const cols = factFields.map((f) => sql.ref(factColumns[f]));
  const sums = factFields.map((f) => sql`sum(${sql.ref(factColumns[f])})`);
  await sql`insert into oee_day (machine_id, bucket, shift, part, ${sql.join(cols)})
    select machine_id, bucket - bucket % ${dayMs}::bigint, shift, part, ${sql.join(sums)} from oee_hour
    where machine_id = ${machineId} and bucket - bucket % ${dayMs}::bigint = any(${ds}::bigint[]) group by 1, 2, 3, 4`.execute(trx);
  await sql`insert into oee_day_rolled (machine_id, bucket) select ${machineId}::text, * from unnest(${ds}::bigint[])`.execute(trx);
  return ds.length;
}

/** Drops rolled hours (and the days holding them) of machines from `from` on: new facts changed them. */
export async function dropRollups(trx: Q, machineIds: readonly string[], from: readonly number[]): Promise<void> {
  const ids = [...machineIds];
  const hours = from.map((f) => Math.floor(f / hourMs) * hourMs);
  const days = from.map((f) => Math.floor(f / dayMs) * dayMs);
  for (const [level, starts] of [['hour', hours], ['day', days]] as const) {
    for (const table of [levels[level].facts, levels[level].rolled]) {
      await sql`delete from ${sql.table(table)} o using unnest(${ids}::text[], ${starts}::bigint[]) as d(machine_id, bucket)
        where o.machine_id = d.machine_id and o.bucket >= d.bucket`.execute(trx);
    }
  }
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
