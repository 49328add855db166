import { sql, type Kysely } from 'kysely';
import type { CommandStatus, MaintenanceWindow, MaintenanceWindowRequest, PlanSummary, StoredPlan, WhatIfResult } from '@plant-twin/contracts';
import type { ScheduleProblemInput } from '@plant-twin/scheduler';
import type { CloudTables } from '../db/schema.js';

/**
 * Plans and planned maintenance windows in the cloud's database. Every plan is kept with the problem it
 * was made from (so any plan can be checked, edited or re-planned later) and a summary for lists; its
 * publication is read live from the command it became. Unpublished plans beyond the newest
 * `keepUnpublished` are deleted as new ones come (edits make many).
 */
export const scheduleTablesSql = `
  create table schedule_plan (id text primary key, parent_id text, created_at bigint not null, created_by text not null,
    summary text not null, problem text not null, doc text not null, whatif text, publish_command_id text, published_by text, published_at bigint);
  create index schedule_plan_created on schedule_plan (created_at);
  create table maintenance_window (id serial primary key, machine_id text not null, from_ms bigint not null, to_ms bigint not null,
    reason text not null, created_by text not null, created_at bigint not null);
  create index maintenance_window_machine on maintenance_window (machine_id, to_ms)
`;

export const keepUnpublished = 500;

export type NewPlan = Omit<StoredPlan, 'publication' | 'whatIf'>;

type PlanRow = {
  id: string;
  summary: string;
  doc: string;
  problem: string;
  whatif: string | null;
  publish_command_id: string | null;
  published_by: string | null;
  published_at: number | null;
  command_status: CommandStatus | null;
  command_reason: string | null;
};

export function summaryOf(p: NewPlan): Omit<PlanSummary, 'publication'> {
  const { plan, jobs: _jobs, offShift: _off, rates: _rates, ...rest } = p;
  return { ...rest, score: plan.score, lowerBound: plan.lowerBound.total, gap: plan.gap, jobCount: plan.machines.reduce((n, m) => n + m.jobs.length, 0) };
}

export async function insertPlan(db: Kysely<CloudTables>, p: NewPlan, problem: ScheduleProblemInput): Promise<void> {
  await sql`insert into schedule_plan (id, parent_id, created_at, created_by, summary, problem, doc)
    values (${p.id}, ${p.parentId}, ${p.createdAt}, ${p.createdBy}, ${JSON.stringify(summaryOf(p))}, ${JSON.stringify(problem)}, ${JSON.stringify(p)})`.execute(db);
  await sql`delete from schedule_plan where publish_command_id is null and id in
    (select id from schedule_plan where publish_command_id is null order by created_at desc offset ${keepUnpublished})`.execute(db);
}

const planColumns = sql`p.id, p.summary, p.doc, p.problem, p.whatif, p.publish_command_id, p.published_by, p.published_at, c.status as command_status, c.reason as command_reason`;

function publicationOf(r: PlanRow): StoredPlan['publication'] {
  if (!r.publish_command_id) return null;
  return {
    commandId: r.publish_command_id,
    status: r.command_status ?? 'expired',
    ...(r.command_reason ? { reason: r.command_reason } : {}),
    by: r.published_by ?? '',
    at: Number(r.published_at ?? 0),
  };
}

export async function getPlan(db: Kysely<CloudTables>, id: string): Promise<{ stored: StoredPlan; problem: ScheduleProblemInput } | null> {
  const r = await sql<PlanRow>`select ${planColumns} from schedule_plan p left join command c on c.id = p.publish_command_id where p.id = ${id}`.execute(db);
  const row = r.rows[0];
  if (!row) return null;
  const doc = JSON.parse(row.doc) as NewPlan;
  return { stored: { ...doc, publication: publicationOf(row), whatIf: row.whatif ? (JSON.parse(row.whatif) as WhatIfResult) : null }, problem: JSON.parse(row.problem) as ScheduleProblemInput };
}

export async function listPlans(db: Kysely<CloudTables>, limit: number): Promise<PlanSummary[]> {
  const r = await sql<PlanRow>`select p.id, p.summary, '' as doc, '' as problem, null as whatif, p.publish_command_id, p.published_by, p.published_at,
      c.status as command_status, c.reason as command_reason
    from schedule_plan p left join command c on c.id = p.publish_command_id order by p.created_at desc, p.id limit ${limit}`.execute(db);
  return r.rows.map((row) => ({ ...(JSON.parse(row.summary) as Omit<PlanSummary, 'publication'>), publication: publicationOf(row) }));
}

export async function setWhatIf(db: Kysely<CloudTables>, id: string, whatIf: WhatIfResult): Promise<void> {
  await sql`update schedule_plan set whatif = ${JSON.stringify(whatIf)} where id = ${id}`.execute(db);
}

export async function setPublication(db: Kysely<CloudTables>, id: string, commandId: string, by: string, at: number): Promise<void> {
  await sql`update schedule_plan set publish_command_id = ${commandId}, published_by = ${by}, published_at = ${at} where id = ${id}`.execute(db);
}

type WindowRow = { id: number; machine_id: string; from_ms: number; to_ms: number; reason: string; created_by: string; created_at: number };
const windowOf = (r: WindowRow): MaintenanceWindow => ({
  id: Number(r.id),
  machineId: r.machine_id,
  from: Number(r.from_ms),
  to: Number(r.to_ms),
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
});

/** Windows overlapping [from, to) (at most 5,000, by start). */
export async function listMaintenance(db: Kysely<CloudTables>, q: { from: number; to: number; machineId?: string | undefined }): Promise<MaintenanceWindow[]> {
  const r = await sql<WindowRow>`select * from maintenance_window where to_ms > ${q.from} and from_ms < ${q.to}
    and (${q.machineId ?? null}::text is null or machine_id = ${q.machineId ?? null}) order by from_ms, id limit 5000`.execute(db);
  return r.rows.map(windowOf);
}

export async function insertMaintenance(db: Kysely<CloudTables>, w: MaintenanceWindowRequest, by: string, now = Date.now()): Promise<MaintenanceWindow> {
  const r = await sql<WindowRow>`insert into maintenance_window (machine_id, from_ms, to_ms, reason, created_by, created_at)
    values (${w.machineId}, ${w.from}, ${w.to}, ${w.reason}, ${by}, ${now}) returning *`.execute(db);
  return windowOf(r.rows[0]!);
}

export async function deleteMaintenance(db: Kysely<CloudTables>, id: number): Promise<MaintenanceWindow | null> {
  const r = await sql<WindowRow>`delete from maintenance_window where id = ${id} returning *`.execute(db);
  return r.rows[0] ? windowOf(r.rows[0]) : null;
}
