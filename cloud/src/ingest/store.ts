import { sql, type Kysely, type Transaction } from 'kysely';
import { bootOfMessageId, isLastWill, type IngestAck, type IngestBatch, type MachineMessage, type MessageOf } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';
import { dropRollups, lockMachines } from '../oee/store.js';
import { recordArrivals } from './arrivals.js';
import { quarantine, updateClockAlarms, type Quarantined } from './quarantine.js';
import { defaultAcceptWindow, outsideWindow, type AcceptWindow } from './window.js';

const hourMs = 3_600_000;

export interface StoreResult extends IngestAck {
  /** the messages stored by this call (new, not seen before), in batch order, and clock alarm edges: for the live push */
  fresh: MachineMessage[];
  /** messages of this batch newly quarantined (stamped outside the accepted window) */
  quarantinedMessages: Quarantined[];
}

export interface StoreOptions {
  smallStopThresholdS: number;
  /** the cloud's clock (tests) */
  now?: number;
  window?: AcceptWindow;
}

/**
 * Stores one edge batch in one transaction: the batch key (edge id + seq) with its rows, so a
 * resent batch is answered as a duplicate and never stored twice; messages already seen (by id,
 * e.g. re-published by a pod after a restart) are skipped. One `INSERT … SELECT FROM unnest(…)`
 * per table keeps ingestion fast on PGlite and PostgreSQL alike.
 *
 * Messages stamped outside the accepted window are quarantined, the rest of the batch is stored:
 * the batch is still all or nothing (one transaction), and nothing the edge handed over is lost.
 */
export async function storeBatch(db: Kysely<CloudTables>, batch: IngestBatch, opts: StoreOptions): Promise<StoreResult> {
  const now = opts.now ?? Date.now();
  const window = opts.window ?? defaultAcceptWindow;
  return db.transaction().execute(async (trx) => {
    const inserted = await sql<{ seq: number }>`
      insert into edge_batch (edge_id, seq, received_at, messages, stored) values (${batch.edgeId}, ${batch.seq}, ${now}, ${batch.messages.length}, 0)
      on conflict do nothing returning seq`.execute(trx);
    if (inserted.rows.length === 0) return { ack: await maxSeq(trx, batch.edgeId), duplicate: true, stored: 0, fresh: [], quarantinedMessages: [] };

    // a last will carries its pod's connect time: it is judged where it is placed (the boot's last message)
    const outside: Quarantined[] = [];
    const inside = batch.messages.filter((m) => {
      const reason = outsideWindow(m.ts, now, isLastWill(m) ? { ...window, pastMs: Infinity } : window);
      if (reason) outside.push({ message: m, reason });
      return !reason;
    });
    const placed = await placeLastWills(trx, await freshMessages(trx, inside));
    const fresh = placed.messages.filter((m) => {
      const reason = isLastWill(m) ? outsideWindow(m.ts, now, window) : null;
      if (reason) outside.push({ message: m, reason });
      return !reason;
    });
    await insertMessages(trx, fresh, opts.smallStopThresholdS, placed.withdrawn);
    const quarantined = await quarantine(trx, batch.edgeId, batch.seq, outside, now);
    const alarms = await updateClockAlarms(trx, window, quarantined, new Set(fresh.map((m) => m.machineId)), now);
    await sql`update edge_batch set stored = ${fresh.length} where edge_id = ${batch.edgeId} and seq = ${batch.seq}`.execute(trx);
    await recordArrivals(trx, batch.edgeId, [...fresh, ...alarms].map((m) => m.machineId), now);
    return { ack: await maxSeq(trx, batch.edgeId), duplicate: false, stored: fresh.length, fresh: [...fresh, ...alarms], quarantinedMessages: quarantined };
  });
}

async function maxSeq(trx: Transaction<CloudTables>, edgeId: string): Promise<number> {
  const r = await sql<{ m: number | null }>`select max(seq) as m from edge_batch where edge_id = ${edgeId}`.execute(trx);
  return Number(r.rows[0]?.m ?? 0);
}

async function freshMessages(trx: Transaction<CloudTables>, messages: MachineMessage[]): Promise<MachineMessage[]> {
  // ids repeated inside one batch count once
  const byId = new Map<string, MachineMessage>();
  for (const m of messages) if (!byId.has(m.id)) byId.set(m.id, m);
  const ids = [...byId.keys()];
  const r = await sql<{ id: string }>`
    insert into message_seen (id, ts) select * from unnest(${ids}::text[], ${ids.map((id) => byId.get(id)!.ts)}::bigint[])
    on conflict do nothing returning id`.execute(trx);
  const fresh = new Set(r.rows.map((x) => x.id));
  return [...byId.values()].filter((m) => fresh.has(m.id));
}

const bootOf = (m: MachineMessage) => bootOfMessageId(m.id);

/**
 * A pod prepares its last will when it connects, so the will carries the connect time; the broker
 * sends it when the pod's connection ends uncleanly. Placed there it would sort before the pod's own
 * "online" and a dead pod would read online: it is placed at the last time seen from that boot. A boot
 * that says online again was alive all along (the broker went away, not the pod, and its outbox
 * delivers the gap): its will is withdrawn, and `withdrawn` says from when the OEE rollups change.
 */
async function placeLastWills(trx: Transaction<CloudTables>, fresh: MachineMessage[]): Promise<{ messages: MachineMessage[]; withdrawn: Map<string, number> }> {
  const key = (m: MachineMessage) => `${m.machineId}/${bootOf(m)}`;
  const last = new Map<string, { machine: string; boot: string; ts: number }>();
  const onlineAt = new Map<string, number>(); // boot -> index of its last online in this batch
  fresh.forEach((m, i) => {
    if (isLastWill(m)) return;
    const cur = last.get(key(m));
    if (!cur || m.ts > cur.ts) last.set(key(m), { machine: m.machineId, boot: bootOf(m), ts: m.ts });
    if (m.kind === 'pod' && m.status === 'online') onlineAt.set(key(m), i);
  });
  if (last.size) {
    const rows = [...last.values()];
    await sql`insert into boot_seen (machine_id, boot, last_ts)
      select * from unnest(${rows.map((r) => r.machine)}::text[], ${rows.map((r) => r.boot)}::text[], ${rows.map((r) => r.ts)}::bigint[])
      on conflict (machine_id, boot) do update set last_ts = greatest(boot_seen.last_ts, excluded.last_ts)`.execute(trx);
  }
  const withdrawn = new Map<string, number>();
  if (onlineAt.size) {
    const boots = [...onlineAt.keys()].map((k) => last.get(k)!);
    const r = await sql<{ machine_id: string; ts: number }>`
      delete from pod_event p using unnest(${boots.map((b) => b.machine)}::text[], ${boots.map((b) => b.boot)}::text[]) as k(m, boot)
      where p.machine_id = k.m and p.will_boot = k.boot returning p.machine_id, p.ts`.execute(trx);
    for (const x of r.rows) withdrawn.set(x.machine_id, Math.min(withdrawn.get(x.machine_id) ?? Infinity, Number(x.ts)));
  }
  // a will followed in this batch by its boot's online is withdrawn before it is stored
  const kept = fresh.filter((m, i) => !isLastWill(m) || !((onlineAt.get(key(m)) ?? -1) > i));
  const wills = kept.filter(isLastWill);
  if (!wills.length) return { messages: kept, withdrawn };
  const seen = await sql<{ machine_id: string; boot: string; last_ts: number }>`
    select b.machine_id, b.boot, b.last_ts from boot_seen b
    join unnest(${wills.map((m) => m.machineId)}::text[], ${wills.map(bootOf)}::text[]) as k(m, boot) on b.machine_id = k.m and b.boot = k.boot`.execute(trx);
  const lastTs = new Map(seen.rows.map((r) => [`${r.machine_id}/${r.boot}`, Number(r.last_ts)]));
  return { messages: kept.map((m) => (isLastWill(m) ? { ...m, ts: Math.max(m.ts, lastTs.get(key(m)) ?? m.ts) } : m)), withdrawn };
}

function ofKind<K extends MachineMessage['kind']>(ms: MachineMessage[], kind: K): MessageOf<K>[] {
  return ms.filter((m): m is MessageOf<K> => m.kind === kind);
}

/** Bulk inserts of fresh messages (exported for the benchmark's year generator). */
export async function insertMessages(trx: Transaction<CloudTables> | Kysely<CloudTables>, fresh: MachineMessage[], smallStopThresholdS: number, withdrawn: ReadonlyMap<string, number> = new Map()): Promise<void> {
  await insertSamples(trx, ofKind(fresh, 'sample'));

  const states = ofKind(fresh, 'state');
  if (states.length) {
    await sql`insert into state_event (machine_id, ts, state, previous, quality, alarm_code, job_id, part_number)
      select * from unnest(${states.map((m) => m.machineId)}::text[], ${states.map((m) => m.ts)}::bigint[], ${states.map((m) => m.state)}::text[],
        ${states.map((m) => m.previous)}::text[], ${states.map((m) => m.quality)}::text[], ${states.map((m) => m.alarmCode ?? null)}::integer[],
        ${states.map((m) => m.jobId ?? null)}::text[], ${states.map((m) => m.partNumber ?? null)}::text[])`.execute(trx);
  }
  const counters = ofKind(fresh, 'counter');
  if (counters.length) {
    await sql`insert into counter_event (machine_id, ts, good_delta, scrap_delta, good_total, scrap_total, job_id, part_number)
      select * from unnest(${counters.map((m) => m.machineId)}::text[], ${counters.map((m) => m.ts)}::bigint[], ${counters.map((m) => m.goodDelta)}::integer[],
        ${counters.map((m) => m.scrapDelta)}::integer[], ${counters.map((m) => m.goodTotal)}::bigint[], ${counters.map((m) => m.scrapTotal)}::bigint[],
        ${counters.map((m) => m.jobId ?? null)}::text[], ${counters.map((m) => m.partNumber ?? null)}::text[])`.execute(trx);
  }
  const alarms = ofKind(fresh, 'alarm');
  if (alarms.length) {
    await sql`insert into alarm_event (machine_id, ts, code, text, severity, active)
      select * from unnest(${alarms.map((m) => m.machineId)}::text[], ${alarms.map((m) => m.ts)}::bigint[], ${alarms.map((m) => m.code)}::integer[],
        ${alarms.map((m) => m.text)}::text[], ${alarms.map((m) => m.severity)}::text[], ${alarms.map((m) => m.active)}::boolean[])`.execute(trx);
  }
  const jobs = ofKind(fresh, 'job');
  if (jobs.length) {
    await sql`insert into job_event (machine_id, ts, job_id, event, part_number, quantity, good, scrap, message)
      select * from unnest(${jobs.map((m) => m.machineId)}::text[], ${jobs.map((m) => m.ts)}::bigint[], ${jobs.map((m) => m.jobId)}::text[],
        ${jobs.map((m) => m.event)}::text[], ${jobs.map((m) => m.partNumber)}::text[], ${jobs.map((m) => m.quantity)}::integer[],
        ${jobs.map((m) => m.good)}::integer[], ${jobs.map((m) => m.scrap)}::integer[], ${jobs.map((m) => m.message ?? null)}::text[])`.execute(trx);
  }
  const pods = ofKind(fresh, 'pod');
  if (pods.length) {
    await sql`insert into pod_event (machine_id, ts, status, machine_connected, will_boot)
      select * from unnest(${pods.map((m) => m.machineId)}::text[], ${pods.map((m) => m.ts)}::bigint[], ${pods.map((m) => m.status)}::text[],
        ${pods.map((m) => m.machineConnected)}::boolean[], ${pods.map((m) => (isLastWill(m) ? bootOf(m) : null))}::text[])`.execute(trx);
  }

  // what the machine's timeline knows up to, and which rolled-up OEE hours the new facts change
  const lastSeen = new Map<string, number>();
  const earliestFact = new Map<string, number>(withdrawn);
  for (const m of fresh) {
    lastSeen.set(m.machineId, Math.max(lastSeen.get(m.machineId) ?? 0, m.ts));
    if (m.kind === 'state' || m.kind === 'counter' || m.kind === 'pod') earliestFact.set(m.machineId, Math.min(earliestFact.get(m.machineId) ?? Infinity, m.ts));
  }
  if (lastSeen.size) {
    await sql`insert into machine_seen (machine_id, last_ts) select * from unnest(${[...lastSeen.keys()]}::text[], ${[...lastSeen.values()]}::bigint[])
      on conflict (machine_id) do update set last_ts = greatest(machine_seen.last_ts, excluded.last_ts)`.execute(trx);
  }
  if (earliestFact.size) {
    // a new state can turn an earlier stop into a small stop (or not): invalidate from one threshold before it
    const machines = [...earliestFact.keys()].sort();
    await lockMachines(trx, machines);
    await dropRollups(trx, machines, machines.map((id) => earliestFact.get(id)! - smallStopThresholdS * 1000));
  }
}

async function insertSamples(trx: Transaction<CloudTables> | Kysely<CloudTables>, samples: MessageOf<'sample'>[]): Promise<void> {
  if (!samples.length) return;
  const machine: string[] = [], tag: string[] = [], ts: number[] = [], num: (number | null)[] = [], txt: (string | null)[] = [], quality: string[] = [];
  for (const m of samples) {
    for (const v of m.values) {
      machine.push(m.machineId);
      tag.push(v.name);
      ts.push(v.ts);
      num.push(typeof v.value === 'number' && Number.isFinite(v.value) ? v.value : typeof v.value === 'boolean' ? Number(v.value) : null);
      txt.push(typeof v.value === 'string' ? v.value : null);
      quality.push(v.quality);
    }
  }
  // one statement: the arrays are sent and parsed once for the raw rows, both rollups and the latest values
  const rollup = (table: 'sample_1m' | 'sample_1h', size: number) => sql`
    insert into ${sql.table(table)} (machine_id, tag, bucket, min, max, sum, count)
    select m, t, ts - ts % ${size}::bigint, min(n), max(n), sum(n), count(*) from u where q = 'good' and n is not null group by 1, 2, 3
    on conflict (machine_id, tag, bucket) do update set min = least(${sql.table(table)}.min, excluded.min), max = greatest(${sql.table(table)}.max, excluded.max),
      sum = ${sql.table(table)}.sum + excluded.sum, count = ${sql.table(table)}.count + excluded.count`;
  // rollups keep only good numeric values: a stale or bad reading is not a measurement
  await sql`with u as materialized (select * from unnest(${machine}::text[], ${tag}::text[], ${ts}::bigint[], ${num}::float8[], ${txt}::text[], ${quality}::text[]) as u(m, t, ts, n, x, q)),
    raw as (insert into sample (machine_id, tag, ts, num, txt, quality) select m, t, ts, n, x, q from u),
    r1 as (${rollup('sample_1m', 60_000)}),
    r2 as (${rollup('sample_1h', hourMs)}),
    lv as (insert into latest_value (machine_id, tag, ts, num, txt, quality)
      select distinct on (m, t) m, t, ts, n, x, q from u order by m, t, ts desc
      on conflict (machine_id, tag) do update set ts = excluded.ts, num = excluded.num, txt = excluded.txt, quality = excluded.quality
      where excluded.ts >= latest_value.ts)
    select 1`.execute(trx);
}
