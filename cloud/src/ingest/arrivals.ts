import { sql, type Kysely, type Transaction } from 'kysely';
import type { Arrival } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

type Q = Kysely<CloudTables> | Transaction<CloudTables>;

/**
 * When each machine's messages last arrived (the cloud's clock) and through which edge: what the
 * freshness verdict counts from. Kept in the store with every batch, so a restarted cloud takes them
 * back (FreshnessTracker.restore) and a machine heard a moment before the restart reads live, not
 * stale until its next message.
 */
export async function recordArrivals(trx: Q, edgeId: string, machineIds: Iterable<string>, now: number): Promise<void> {
  const ids = [...new Set(machineIds)];
  if (!ids.length) return;
  await sql`insert into machine_arrival (machine_id, edge_id, received_at) select m, ${edgeId}::text, ${now}::bigint from unnest(${ids}::text[]) as u(m)
    on conflict (machine_id) do update set edge_id = excluded.edge_id, received_at = excluded.received_at
    where machine_arrival.received_at <= excluded.received_at`.execute(trx);
}

/** Every machine's latest arrival, as stored. */
export async function storedArrivals(db: Q): Promise<Arrival[]> {
  const r = await sql<{ machine_id: string; edge_id: string; received_at: number }>`select machine_id, edge_id, received_at from machine_arrival`.execute(db);
  return r.rows.map((x) => ({ machineId: x.machine_id, edgeId: x.edge_id, at: Number(x.received_at) }));
}
