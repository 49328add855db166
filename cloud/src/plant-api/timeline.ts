import { sql, type Kysely } from 'kysely';
import { maxTimelineIntervals, type Quality, type TimelineAnswer, type TimelineInterval, type TimelineState } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

type StateRow = { ts: number; state: string; quality: string };
type PodRow = { ts: number; status: string; machine_connected: boolean };

/**
 * A machine's state timeline over [from, to): merged intervals of the same state and quality,
 * `nodata` where the pod was offline or the machine unreachable, and after such an outage until the
 * machine's next state (never the last state drawn on),
 * cut at the machine's latest message. At most `limit` intervals: beyond them the reply ends early
 * with `truncated` (each source is read with a row limit, so a year costs no more than a shift).
 */
export async function stateTimeline(db: Kysely<CloudTables>, machineId: string, from: number, to: number, limit = maxTimelineIntervals): Promise<TimelineAnswer> {
  const seen = await sql<{ last_ts: number }>`select last_ts from machine_seen where machine_id = ${machineId}`.execute(db);
  let end = Math.min(to, Number(seen.rows[0]?.last_ts ?? from));
  const [stateBefore, states, podBefore, pods] = await Promise.all([
    sql<StateRow>`select ts, state, quality from state_event where machine_id = ${machineId} and ts < ${from} order by ts desc limit 1`.execute(db),
    sql<StateRow>`select ts, state, quality from state_event where machine_id = ${machineId} and ts >= ${from} and ts < ${end} order by ts limit ${limit + 1}`.execute(db),
    sql<PodRow>`select ts, status, machine_connected from pod_event where machine_id = ${machineId} and ts < ${from} order by ts desc limit 1`.execute(db),
    sql<PodRow>`select ts, status, machine_connected from pod_event where machine_id = ${machineId} and ts >= ${from} and ts < ${end} order by ts limit ${limit + 1}`.execute(db),
  ]);
  // a source cut at its row limit cuts the whole answer there
  let truncated = false;
  for (const rows of [states.rows, pods.rows]) {
    if (rows.length > limit) {
      truncated = true;
      end = Math.min(end, Number(rows[limit]!.ts));
    }
  }
  type Edge = { ts: number; state?: StateRow; pod?: PodRow };
  const edges: Edge[] = [...states.rows.map((s) => ({ ts: Number(s.ts), state: s })), ...pods.rows.map((p) => ({ ts: Number(p.ts), pod: p }))]
    .filter((e) => e.ts < end)
    .sort((a, b) => a.ts - b.ts);
  // a pod outage forgets the state: after it, the state is unknown until the machine says it again
  const down = (p: PodRow | undefined) => p !== undefined && (p.status !== 'online' || !p.machine_connected);
  let state = stateBefore.rows[0];
  if (state) {
    const outage = await sql<{ n: number }>`select count(*)::int as n from pod_event where machine_id = ${machineId} and ts > ${state.ts} and ts < ${from}
      and (status <> 'online' or not machine_connected)`.execute(db);
    if (Number(outage.rows[0]?.n)) state = undefined;
  }
  let pod = podBefore.rows[0];
  const intervals: TimelineInterval[] = [];
  const current = (): { state: TimelineState; quality: Quality } => {
    if (down(pod) || !state) return { state: 'nodata', quality: 'bad' };
    return { state: state.state as TimelineState, quality: state.quality as Quality };
  };
  let at = from;
  const close = (until: number) => {
    if (until <= at) return;
    const c = current();
    const last = intervals.at(-1);
    if (last && last.state === c.state && last.quality === c.quality && last.to === at) last.to = until;
    else intervals.push({ ...c, from: at, to: until });
    at = until;
  };
  for (const e of edges) {
    close(e.ts);
    if (e.state) state = e.state;
    if (e.pod) pod = e.pod;
    if (down(pod)) state = undefined;
  }
  close(end);
  if (intervals.length > limit) {
    truncated = true;
    intervals.length = limit;
  }
  return { machineId, from, to: Math.max(from, intervals.at(-1)?.to ?? end), intervals, truncated };
}
