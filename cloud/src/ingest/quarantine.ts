import { sql, type Kysely, type Transaction } from 'kysely';
import type { MachineMessage, QuarantinedMessage } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';
import { clockAlarm, clockAlarmText, type AcceptWindow, type QuarantineReason } from './window.js';

type Q = Transaction<CloudTables> | Kysely<CloudTables>;

export interface Quarantined {
  message: MachineMessage;
  reason: QuarantineReason;
}

/**
 * Keeps messages stamped outside the accepted window where an engineer can look at them (table
 * `quarantine`, whole message as JSON, why, and which batch brought it), once per message id.
 * Returns the newly quarantined ones.
 */
export async function quarantine(trx: Q, edgeId: string, seq: number, items: readonly Quarantined[], now: number): Promise<Quarantined[]> {
  if (!items.length) return [];
  const byId = new Map(items.map((q) => [q.message.id, q]));
  const rows = [...byId.values()];
  const r = await sql<{ id: string }>`
    insert into quarantine (id, received_at, edge_id, seq, machine_id, kind, ts, reason, message)
    select u.id, ${now}::bigint, ${edgeId}::text, ${seq}::integer, u.m, u.k, u.ts, u.r, u.msg
    from unnest(${rows.map((q) => q.message.id)}::text[], ${rows.map((q) => q.message.machineId)}::text[], ${rows.map((q) => q.message.kind)}::text[],
      ${rows.map((q) => q.message.ts)}::bigint[], ${rows.map((q) => q.reason)}::text[], ${rows.map((q) => JSON.stringify(q.message))}::text[]) as u(id, m, k, ts, r, msg)
    on conflict (id) do nothing returning id`.execute(trx);
  return r.rows.map((x) => byId.get(x.id)!);
}

/**
 * Raises the clock alarm on machines that just had messages quarantined (unless it is active) and
 * clears it on machines that sent only in-window messages and have had none quarantined for
 * `clockAlarm.clearAfterMs`. Returns the alarm edges written, as messages for the live push.
 */
export async function updateClockAlarms(trx: Q, window: AcceptWindow, quarantined: readonly Quarantined[], inWindow: ReadonlySet<string>, now: number): Promise<MachineMessage[]> {
  const reasons = new Map<string, Set<QuarantineReason>>();
  for (const q of quarantined) reasons.set(q.message.machineId, (reasons.get(q.message.machineId) ?? new Set()).add(q.reason));
  const machines = [...new Set([...reasons.keys(), ...inWindow])];
  if (!machines.length) return [];
  const state = await sql<{ m: string; active: boolean | null; last_q: number | null }>`
    select u.m, (select active from alarm_event a where a.machine_id = u.m and a.code = ${clockAlarm.code} order by ts desc limit 1) as active,
      (select max(received_at) from quarantine q where q.machine_id = u.m) as last_q
    from unnest(${machines}::text[]) as u(m)`.execute(trx);
  const edges: MachineMessage[] = [];
  for (const s of state.rows) {
    const rs = reasons.get(s.m);
    if (rs && !s.active) edges.push(edge(s.m, now, true, clockAlarmText(window, rs)));
    else if (!rs && s.active && (s.last_q === null || now - Number(s.last_q) >= clockAlarm.clearAfterMs)) edges.push(edge(s.m, now, false, 'Machine messages are stamped inside the accepted window again'));
  }
  if (edges.length) {
    const alarms = edges as Extract<MachineMessage, { kind: 'alarm' }>[];
    await sql`insert into alarm_event (machine_id, ts, code, text, severity, active)
      select * from unnest(${alarms.map((a) => a.machineId)}::text[], ${alarms.map((a) => a.ts)}::bigint[], ${alarms.map((a) => a.code)}::integer[],
        ${alarms.map((a) => a.text)}::text[], ${alarms.map((a) => a.severity)}::text[], ${alarms.map((a) => a.active)}::boolean[])`.execute(trx);
  }
  return edges;
}

const edge = (machineId: string, ts: number, active: boolean, text: string): MachineMessage => ({
  v: 1, id: `cloud/clock/${machineId}/${ts}/${active ? 'raise' : 'clear'}`, machineId, ts, seq: 0, kind: 'alarm', code: clockAlarm.code, text, severity: clockAlarm.severity, active,
});

/** Quarantined messages received in [from, to), newest first (for an engineer: what came, from where, why). */
export async function listQuarantine(db: Q, q: { machineId?: string | undefined; from: number; to: number; limit: number }): Promise<QuarantinedMessage[]> {
  const m = q.machineId ?? null;
  const r = await sql<{ id: string; received_at: number; edge_id: string; seq: number; machine_id: string; kind: string; ts: number; reason: QuarantineReason; message: string }>`
    select * from quarantine where received_at >= ${q.from} and received_at < ${q.to} and (${m}::text is null or machine_id = ${m})
    order by received_at desc, id limit ${q.limit}`.execute(db);
  return r.rows.map((x) => ({ id: x.id, receivedAt: Number(x.received_at), edgeId: x.edge_id, seq: x.seq, machineId: x.machine_id, kind: x.kind, ts: Number(x.ts), reason: x.reason, message: JSON.parse(x.message) as unknown }));
}
