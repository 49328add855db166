import { sql, type Kysely } from 'kysely';
import type { Command, SchedulePublishArgs, StoredPlan } from '@plant-twin/contracts';
import { HttpError } from '@plant-twin/runtime';
import { audit } from '../auth/users.js';
import { createCommand } from '../commands/store.js';
import type { CloudTables } from '../db/schema.js';
import { setPublication } from './store.js';

/**
 * Publishing a plan: per edge, one `schedule.publish` command carrying each machine's job sequence (jobs
 * already on a machine left out: the machine has them) and the frozen window's end, through the command
 * channel the edge polls. The job manager applies it once per command id, or refuses it (expired, a job it
 * does not know, a machine the job may not run on); the result comes back as the command's status.
 * Audited with the machines' queues before (as the edge last reported them) and the published ones.
 */
export interface Publication {
  commands: { command: Command; edgeId: string }[];
  before: Record<string, string[]>;
  after: Record<string, string[]>;
}

export async function publishPlan(db: Kysely<CloudTables>, stored: StoredPlan, by: string, opts: { lifetimeMs: number; reason?: string | undefined; now?: number }): Promise<Publication> {
  const now = opts.now ?? Date.now();
  if (stored.violations.length) throw new HttpError(409, `plan ${stored.id} is not feasible (${stored.violations[0]}): re-plan or re-optimise it first`);
  const jobIds = stored.plan.machines.flatMap((m) => m.jobs.map((j) => j.jobId));
  const mirror = await sql<{ id: string; edge_id: string; status: string }>`select id, edge_id, status from job_mirror where id = any(${jobIds}::text[])`.execute(db);
  const edgeOfJob = new Map(mirror.rows.map((r) => [r.id, r.edge_id]));
  const unknown = jobIds.filter((id) => !edgeOfJob.has(id));
  if (unknown.length) throw new HttpError(409, `the job manager does not know ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} yet: publish once the order has reached it (then re-plan)`);
  const queues = await sql<{ machine_id: string; edge_id: string; job_ids: string }>`select machine_id, edge_id, job_ids from job_queue`.execute(db);
  const edgeOfMachine = new Map(queues.rows.map((r) => [r.machine_id, r.edge_id]));
  const reported = new Map(queues.rows.map((r) => [r.machine_id, JSON.parse(r.job_ids) as string[]]));
  const byEdge = new Map<string, Record<string, string[]>>();
  for (const m of stored.plan.machines) {
    const sequence = m.jobs.filter((j) => !j.running).map((j) => j.jobId);
    const edge = edgeOfMachine.get(m.machineId) ?? m.jobs.map((j) => edgeOfJob.get(j.jobId)).find(Boolean);
    if (!edge) continue; // a machine no edge reports and without jobs: nothing to tell anyone
    const machines = byEdge.get(edge) ?? {};
    machines[m.machineId] = sequence;
    byEdge.set(edge, machines);
  }
  if (!byEdge.size) throw new HttpError(409, `plan ${stored.id} has no machine any edge reports: nothing to publish`);
  const frozenUntil = now + stored.frozenWindowMin * 60_000;
  const commands: Publication['commands'] = [];
  const before: Record<string, string[]> = {};
  const after: Record<string, string[]> = {};
  for (const [edgeId, machines] of [...byEdge].sort(([a], [b]) => a.localeCompare(b))) {
    const args: SchedulePublishArgs = { planId: stored.id, planCreatedAt: stored.createdAt, machines, frozenUntil, publishedBy: by };
    const command = await createCommand(db, { edgeId, type: 'schedule.publish', target: stored.id, args, createdBy: by, lifetimeMs: opts.lifetimeMs }, now);
    const was = Object.fromEntries(Object.keys(machines).map((id) => [id, reported.get(id) ?? []]));
    await audit(db, by, 'schedule.publish', stored.id, { commandId: command.id, edgeId, frozenUntil, before: was, after: machines, ...(opts.reason ? { reason: opts.reason } : {}) });
    commands.push({ command, edgeId });
    Object.assign(before, was);
    Object.assign(after, machines);
  }
  await setPublication(db, stored.id, commands[0]!.command.id, by, now);
  return { commands, before, after };
}
