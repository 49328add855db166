import { sql, type Kysely } from 'kysely';
import type { ActiveAlarm, AlarmSeverity, FreshnessTracker, MachineJob, MachineSnapshot, MachineStatus } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';
import { activeAlarmEpisodes, machineStatuses } from '../series.js';
import { withAcks } from './alarm-acks.js';

/**
 * Each machine's live picture as GET /machines and the socket's snapshot give it: latest state and
 * pod status with the cloud's freshness verdict, the pod's latest job message, and the active alarms
 * with their acknowledgement.
 */
export async function machineSnapshots(db: Kysely<CloudTables>, machineIds: readonly string[], freshness: FreshnessTracker, now = Date.now()): Promise<MachineSnapshot[]> {
  const [statuses, jobs, alarms] = await Promise.all([machineStatuses(db, machineIds), latestJobs(db, machineIds), activeAlarmEpisodes(db)]);
  const acked = await withAcks(db, alarms.filter((a) => machineIds.includes(a.machineId)));
  return statuses.map((s) => ({
    machineId: s.machineId,
    status: { ...s, ...freshness.judge(s, now) } as MachineStatus,
    job: jobs.get(s.machineId) ?? null,
    activeAlarms: acked.filter((a) => a.machineId === s.machineId).map((a): ActiveAlarm => ({ code: a.code, text: a.text, severity: a.severity as AlarmSeverity, raisedAt: a.raisedAt, ack: a.ack })),
  }));
}

/** The latest job message of each machine's pod. */
export async function latestJobs(db: Kysely<CloudTables>, machineIds: readonly string[]): Promise<Map<string, MachineJob>> {
  const r = await sql<{ machine_id: string; job_id: string; part_number: string; quantity: number; good: number; scrap: number; event: string; ts: number }>`
    select m as machine_id, j.job_id, j.part_number, j.quantity, j.good, j.scrap, j.event, j.ts
    from unnest(${[...machineIds]}::text[]) as m
    cross join lateral (select job_id, part_number, quantity, good, scrap, event, ts from job_event where machine_id = m order by ts desc limit 1) j`.execute(db);
  return new Map(r.rows.map((j) => [j.machine_id, { jobId: j.job_id, partNumber: j.part_number, quantity: j.quantity, good: j.good, scrap: j.scrap, event: j.event, ts: Number(j.ts) }]));
}
