import { sql, type Kysely } from 'kysely';
import type { AlarmAck } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

/** An alarm episode is known by its machine, code and raise time: one acknowledgement each. */
export interface EpisodeKey {
  machineId: string;
  code: number;
  raisedAt: number;
}
const keyOf = (e: EpisodeKey) => `${e.machineId}|${e.code}|${e.raisedAt}`;

export type AckOutcome = { ok: true; ack: AlarmAck } | { ok: false; status: 404 | 409; error: string };

/** Records who acknowledged the episode, when and why; refuses an unknown or acknowledged one. */
export async function ackAlarm(db: Kysely<CloudTables>, e: EpisodeKey, by: string, comment: string, now = Date.now()): Promise<AckOutcome> {
  const raised = await sql<{ n: number }>`select count(*)::int as n from alarm_event where machine_id = ${e.machineId} and code = ${e.code} and ts = ${e.raisedAt} and active`.execute(db);
  if (!Number(raised.rows[0]?.n)) return { ok: false, status: 404, error: `no alarm ${e.code} of ${e.machineId} raised at ${e.raisedAt}` };
  const r = await sql<{ at: number }>`insert into alarm_ack (machine_id, code, raised_at, by_user, at, comment) values (${e.machineId}, ${e.code}, ${e.raisedAt}, ${by}, ${now}, ${comment})
    on conflict do nothing returning at`.execute(db);
  if (r.rows.length) return { ok: true, ack: { by, at: now, comment } };
  const prior = (await acksFor(db, [e])).get(keyOf(e));
  return { ok: false, status: 409, error: `alarm ${e.code} of ${e.machineId} was acknowledged already${prior ? ` by ${prior.by} at ${new Date(prior.at).toISOString()}` : ''}` };
}

/** The acknowledgements of these episodes, by episode. */
export async function acksFor(db: Kysely<CloudTables>, episodes: readonly EpisodeKey[]): Promise<Map<string, AlarmAck>> {
  if (!episodes.length) return new Map();
  const r = await sql<{ machine_id: string; code: number; raised_at: number; by_user: string; at: number; comment: string }>`
    select a.machine_id, a.code, a.raised_at, a.by_user, a.at, a.comment from alarm_ack a
    join unnest(${episodes.map((e) => e.machineId)}::text[], ${episodes.map((e) => e.code)}::int[], ${episodes.map((e) => e.raisedAt)}::bigint[]) as k(machine_id, code, raised_at)
      on a.machine_id = k.machine_id and a.code = k.code and a.raised_at = k.raised_at`.execute(db);
  return new Map(r.rows.map((a) => [keyOf({ machineId: a.machine_id, code: a.code, raisedAt: Number(a.raised_at) }), { by: a.by_user, at: Number(a.at), comment: a.comment }]));
}

/** The episodes with their acknowledgement (null: none yet). */
export async function withAcks<E extends EpisodeKey>(db: Kysely<CloudTables>, episodes: readonly E[]): Promise<(E & { ack: AlarmAck | null })[]> {
  const acks = await acksFor(db, episodes);
  return episodes.map((e) => ({ ...e, ack: acks.get(keyOf(e)) ?? null }));
}
