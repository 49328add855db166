import { sql, type Kysely } from 'kysely';
import type { CloudTables } from './db/schema.js';

export interface SeriesBucket {
  /** bucket start, ms */
  t: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}
export interface Series {
  machineId: string;
  tag: string;
  from: number;
  to: number;
  bucketMs: number;
  /** raw samples, or the 1-minute / 1-hour rollups, whichever is the coarsest that still gives `points` buckets */
  source: 'raw' | '1m' | '1h';
  buckets: SeriesBucket[];
}

const minute = 60_000, hour = 3_600_000;

/**
 * Downsampled history of one tag: at most `points` buckets with min/max/avg/count of the good
 * readings (stale and bad readings are not measurements). Long ranges read the rollups, so a year
 * costs about as much as a day.
 */
export async function querySeries(db: Kysely<CloudTables>, q: { machineId: string; tag: string; from: number; to: number; points: number }): Promise<Series> {
  const span = Math.max(1, q.to - q.from);
  const wanted = Math.ceil(span / q.points);
  const source = wanted >= hour ? '1h' : wanted >= minute ? '1m' : 'raw';
  const res = source === '1h' ? hour : source === '1m' ? minute : 1;
  // rollup buckets must fall whole into one output bucket: align the start and the size to the source resolution
  const from = Math.floor(q.from / res) * res;
  const bucketMs = Math.ceil(Math.ceil((q.to - from) / q.points) / res) * res;
  const rows =
    source === 'raw'
      ? await sql<{ i: number; min: number; max: number; sum: number; count: number }>`
          select floor((ts - ${from}) / ${bucketMs}::float8)::int as i, min(num) as min, max(num) as max, sum(num) as sum, count(*)::int as count
          from sample where machine_id = ${q.machineId} and tag = ${q.tag} and ts >= ${q.from} and ts < ${q.to} and quality = 'good' and num is not null
          group by 1 order by 1`.execute(db)
      : await sql<{ i: number; min: number; max: number; sum: number; count: number }>`
          select floor((bucket - ${from}) / ${bucketMs}::float8)::int as i, min(min) as min, max(max) as max, sum(sum) as sum, sum(count)::float8 as count
          from ${sql.table(source === '1h' ? 'sample_1h' : 'sample_1m')} where machine_id = ${q.machineId} and tag = ${q.tag} and bucket >= ${from} and bucket < ${q.to}
          group by 1 order by 1`.execute(db);
  return {
    machineId: q.machineId,
    tag: q.tag,
    from,
    to: q.to,
    bucketMs,
    source,
    buckets: rows.rows.map((r) => ({ t: from + Number(r.i) * bucketMs, min: Number(r.min), max: Number(r.max), avg: Number(r.sum) / Number(r.count), count: Number(r.count) })),
  };
}

export async function currentValues(db: Kysely<CloudTables>, machineId: string) {
  const r = await sql<{ tag: string; ts: number; num: number | null; txt: string | null; quality: string }>`
    select tag, ts, num, txt, quality from latest_value where machine_id = ${machineId} order by tag`.execute(db);
  return r.rows.map((v) => ({ name: v.tag, value: v.txt ?? v.num, quality: v.quality, ts: Number(v.ts) }));
}

export interface MachineStatus {
  machineId: string;
  state: string | null;
  quality: string | null;
  since: number | null;
  partNumber: string | null;
  jobId: string | null;
  pod: { status: string; machineConnected: boolean; ts: number } | null;
  lastSeen: number | null;
}

/** Latest state, pod status and last message time of every machine (the plant room snapshot). */
export async function machineStatuses(db: Kysely<CloudTables>, machineIds: readonly string[]): Promise<MachineStatus[]> {
  const r = await sql<{ machine_id: string; state: string | null; quality: string | null; ts: number | null; part_number: string | null; job_id: string | null; pod_status: string | null; machine_connected: boolean | null; pod_ts: number | null; last_ts: number | null }>`
    select m as machine_id, s.state, s.quality, s.ts, s.part_number, s.job_id, p.status as pod_status, p.machine_connected, p.ts as pod_ts, ms.last_ts
    from unnest(${[...machineIds]}::text[]) as m
    left join lateral (select state, quality, ts, part_number, job_id from state_event where machine_id = m order by ts desc limit 1) s on true
    left join lateral (select status, machine_connected, ts from pod_event where machine_id = m order by ts desc limit 1) p on true
    left join machine_seen ms on ms.machine_id = m`.execute(db);
  return r.rows.map((x) => ({
    machineId: x.machine_id,
    state: x.state,
    quality: x.quality,
    since: x.ts === null ? null : Number(x.ts),
    partNumber: x.part_number,
    jobId: x.job_id,
    pod: x.pod_status === null ? null : { status: x.pod_status, machineConnected: Boolean(x.machine_connected), ts: Number(x.pod_ts) },
    lastSeen: x.last_ts === null ? null : Number(x.last_ts),
  }));
}

export interface AlarmEpisode {
  machineId: string;
  code: number;
  text: string;
  severity: string;
  raisedAt: number;
  clearedAt: number | null;
}

type AlarmRow = { machine_id: string; code: number; text: string; severity: string; ts: number; cleared_at: number | null };
const episodeOf = (x: AlarmRow): AlarmEpisode => ({ machineId: x.machine_id, code: x.code, text: x.text, severity: x.severity, raisedAt: Number(x.ts), clearedAt: x.cleared_at === null ? null : Number(x.cleared_at) });

/**
 * Alarm episodes (raise to clear): every active one, and at most `limit` of the history raised in
 * [from, to), newest first. Bounded work: the history walks the range newest first and stops at
 * the limit; the active ones are found per (machine, code) through the index, never by a scan of
 * the whole alarm history.
 */
export async function alarmEpisodes(db: Kysely<CloudTables>, q: { machineId?: string | undefined; severity?: readonly string[] | undefined; from: number; to: number; limit: number }): Promise<{ active: AlarmEpisode[]; history: AlarmEpisode[] }> {
  const m = q.machineId ?? null;
  const sev = q.severity ? [...q.severity] : null;
  // a raise is an active edge whose previous edge of the same alarm is not active; it clears at the next inactive edge
  const history = await sql<AlarmRow>`
    select e.machine_id, e.code, e.text, e.severity, e.ts,
      (select min(c.ts) from alarm_event c where c.machine_id = e.machine_id and c.code = e.code and c.ts >= e.ts and not c.active) as cleared_at
    from alarm_event e
    where e.ts >= ${q.from} and e.ts < ${q.to} and e.active and (${m}::text is null or e.machine_id = ${m})
      and (${sev}::text[] is null or e.severity = any(${sev}::text[]))
      and not coalesce((select p.active from alarm_event p where p.machine_id = e.machine_id and p.code = e.code and p.ts < e.ts order by p.ts desc limit 1), false)
    order by e.ts desc limit ${q.limit}`.execute(db);
  return { active: await activeAlarmEpisodes(db, q), history: history.rows.map(episodeOf) };
}

/** Every active alarm episode (of one machine, of some severities), newest first. */
export async function activeAlarmEpisodes(db: Kysely<CloudTables>, q: { machineId?: string | undefined; severity?: readonly string[] | undefined } = {}): Promise<AlarmEpisode[]> {
  const m = q.machineId ?? null;
  const sev = q.severity ? [...q.severity] : null;
  // the distinct (machine, code) pairs by a skip scan of alarm_event_key, then the latest edge of each
  const active = await sql<AlarmRow>`
    with recursive pair(machine_id, code) as (
      (select machine_id, code from alarm_event where ${m}::text is null or machine_id = ${m} order by machine_id, code limit 1)
      union all
      select n.machine_id, n.code from pair p cross join lateral (
        select a.machine_id, a.code from alarm_event a where (a.machine_id, a.code) > (p.machine_id, p.code) and (${m}::text is null or a.machine_id = ${m})
        order by a.machine_id, a.code limit 1) n
    )
    select p.machine_id, p.code, r.text, r.severity, r.ts, null::bigint as cleared_at from pair p
    cross join lateral (select active, ts from alarm_event where machine_id = p.machine_id and code = p.code order by ts desc limit 1) l
    cross join lateral (
      select text, severity, ts from alarm_event where machine_id = p.machine_id and code = p.code and active
        and ts > coalesce((select max(ts) from alarm_event where machine_id = p.machine_id and code = p.code and not active), -1)
      order by ts limit 1) r
    where l.active and (${sev}::text[] is null or r.severity = any(${sev}::text[]))
    order by r.ts desc`.execute(db);
  return active.rows.map(episodeOf);
}
