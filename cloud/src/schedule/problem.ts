import { sql, type Kysely } from 'kysely';
import type { Plant } from '@plant-twin/plant-model';
import type { JobDto, MachineRates, MaintenanceWindow, PlanJobInfo, PlanObjective, ProblemIssue, ScheduleRefusal, StoredPlan } from '@plant-twin/contracts';
import type { ScheduleProblemInput } from '@plant-twin/scheduler';
import type { CloudTables } from '../db/schema.js';

/**
 * The scheduling problem the cloud hands the optimiser, from what it knows: the open jobs of the edge job
 * manager's mirror (quantity, due date, priority as weight, eligible machines, part), the plant model
 * (machines, parts with family and ideal cycle time, changeover minutes, shift calendar with breaks, time
 * zone), planned maintenance windows, each machine's measured rates (rates.ts) and what it is set up for.
 * Jobs on a machine (dispatched, running, held there) are fixed first on it with what is left to make;
 * a job held off any machine waits for a person and is left out, said so in the plan.
 */
export interface MirrorJob {
  job: JobDto;
  edgeId: string;
}

export type PlanLock = StoredPlan['locks'][number];

/** the job manager's statuses the plan covers: waiting, and on a machine */
const openStatuses = ['planned', 'released', 'dispatched', 'running', 'held'] as const;
const onMachine = new Set<string>(['dispatched', 'running', 'held']);
export const maxPlanJobs = 20_000;

/** The open jobs by due date, at most `maxPlanJobs` (the scheduler's bound); `more`: how many were left out. */
export async function openMirrorJobs(db: Kysely<CloudTables>): Promise<{ jobs: MirrorJob[]; more: number }> {
  const r = await sql<{ doc: string; edge_id: string }>`select doc, edge_id from job_mirror where status = any(${[...openStatuses]}::text[])
    order by due_date, id limit ${maxPlanJobs}`.execute(db);
  const jobs = r.rows.map((x) => ({ job: JSON.parse(x.doc) as JobDto, edgeId: x.edge_id }));
  if (jobs.length < maxPlanJobs) return { jobs, more: 0 };
  const n = await sql<{ n: number }>`select count(*)::int as n from job_mirror where status = any(${[...openStatuses]}::text[])`.execute(db);
  return { jobs, more: Math.max(0, Number(n.rows[0]?.n ?? 0) - maxPlanJobs) };
}

/** per machine, the part of the last job it finished (what it is set up for) */
export async function currentParts(db: Kysely<CloudTables>, machineIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of machineIds) {
    const r = await sql<{ part_number: string }>`select part_number from job_mirror where machine_id = ${id} and status = 'completed'
      order by updated_at desc limit 1`.execute(db);
    if (r.rows[0]) out.set(id, r.rows[0].part_number);
  }
  return out;
}

export interface ProblemSources {
  plant: Plant;
  jobs: readonly MirrorJob[];
  /** open jobs beyond the bound, not planned (said in the plan's notes) */
  more?: number;
  rates: Record<string, MachineRates>;
  maintenance: readonly MaintenanceWindow[];
  currentParts: ReadonlyMap<string, string>;
}

export interface ProblemChoices {
  start: number;
  objective: PlanObjective;
  locks: readonly PlanLock[];
  /** jobs the planner left out */
  exclude: readonly string[];
  /** 0 for a new plan (the window binds re-plans) */
  frozenWindowMin: number;
  /** extra downtime, e.g. a fault a re-plan reacts to */
  downtime?: readonly { machineId: string; from: number; to: number; reason: string }[];
  /** a rush order: the job made urgent (or a job given whole, not yet in the mirror) */
  rush?: { jobId: string; priority: number; dueDate?: number | undefined; newJob?: { partNumber: string; quantity: number; dueDate: number; eligibleMachines: string[] } | undefined } | undefined;
  /** jobs known to be finished although the mirror does not say so yet */
  finished?: readonly string[];
}

export interface BuiltProblem {
  problem: ScheduleProblemInput;
  excluded: StoredPlan['excluded'];
  notes: string[];
  /** the mirror's data on each planned job (eligibility minutes come from the optimiser's worker) */
  info: Record<string, Omit<PlanJobInfo, 'eligible'>>;
}

export function buildProblem(src: ProblemSources, c: ProblemChoices): BuiltProblem {
  const excluded: StoredPlan['excluded'] = [];
  const notes: string[] = [];
  const info: BuiltProblem['info'] = {};
  const leaveOut = new Set(c.exclude);
  const finished = new Set(c.finished ?? []);
  const running = new Map<string, MirrorJob>();
  const parts = new Map(src.currentParts);
  // the newest report wins when the mirror shows two jobs on one machine (one has just left it)
  for (const m of [...src.jobs].sort((a, b) => Date.parse(b.job.updatedAt) - Date.parse(a.job.updatedAt))) {
    const j = m.job;
    if (!onMachine.has(j.status) || !j.machineId || leaveOut.has(j.id) || finished.has(j.id)) continue;
    if (!running.has(j.machineId)) running.set(j.machineId, m);
  }
  const jobs: NonNullable<ScheduleProblemInput['jobs']> = [];
  for (const { job } of src.jobs) {
    if (leaveOut.has(job.id)) {
      excluded.push({ jobId: job.id, reason: 'left out by the planner' });
      continue;
    }
    if (finished.has(job.id)) {
      if (job.machineId) parts.set(job.machineId, job.partNumber);
      continue;
    }
    const on = job.machineId ? running.get(job.machineId) : undefined;
    if (onMachine.has(job.status) && on?.job.id !== job.id) {
      excluded.push({
        jobId: job.id,
        reason: job.machineId
          ? `${job.status} on ${job.machineId} together with ${on?.job.id ?? 'another job'}: the mirror is behind the job manager; plan again shortly`
          : `${job.status} and on no machine: a person must release it first`,
      });
      continue;
    }
    const rush = c.rush?.jobId === job.id ? c.rush : undefined;
    const dueDate = rush?.dueDate ?? Date.parse(job.dueDate);
    jobs.push({
      id: job.id,
      partNumber: job.partNumber,
      quantity: job.quantity,
      dueDate: Number.isFinite(dueDate) ? dueDate : 0,
      priority: rush?.priority ?? job.priority,
      eligibleMachines: [...job.eligibleMachines],
      ...(on?.job.id === job.id ? { running: { machineId: job.machineId!, remainingQuantity: Math.max(0, job.quantity - job.good) } } : {}),
    });
    info[job.id] = { orderId: job.orderId, priority: rush?.priority ?? job.priority, quantity: job.quantity, good: job.good, status: job.status };
  }
  const rush = c.rush;
  if (rush?.newJob && !info[rush.jobId] && !leaveOut.has(rush.jobId)) {
    jobs.push({ id: rush.jobId, ...rush.newJob, priority: rush.priority });
    info[rush.jobId] = { orderId: '', priority: rush.priority, quantity: rush.newJob.quantity, good: 0, status: 'rush' };
  }
  if (src.more) notes.push(`${src.more} open jobs due after the first ${maxPlanJobs} are not in this plan (the scheduler's bound)`);
  const planned = new Set(jobs.map((j) => j.id));
  const locks = c.locks.filter((l) => {
    if (planned.has(l.jobId)) return true;
    notes.push(`lock of ${l.jobId} on ${l.machineId} dropped: the job is no longer open`);
    return false;
  });
  const extra = c.downtime ?? [];
  const problem: ScheduleProblemInput = {
    start: c.start,
    timezone: src.plant.plant.timezone,
    shifts: src.plant.shifts,
    machines: src.plant.machines.map((m) => {
      const r = src.rates[m.id];
      const windows = [
        ...src.maintenance.filter((w) => w.machineId === m.id && w.to > c.start).map((w) => ({ from: w.from, to: w.to, reason: `maintenance: ${w.reason}` })),
        ...extra.filter((d) => d.machineId === m.id).map((d) => ({ from: d.from, to: d.to, reason: d.reason })),
      ].slice(0, 1000);
      const part = parts.get(m.id);
      return {
        id: m.id,
        parts: m.parts,
        setupMin: m.behaviour.setupMin,
        setupSameFamilyMin: m.behaviour.setupSameFamilyMin,
        ...(r ? { performance: r.performance, availability: r.availability, scrapRate: r.scrapRate } : {}),
        ...(part && m.parts.some((p) => p.partNumber === part) ? { currentPart: part } : {}),
        downtime: windows,
      };
    }),
    jobs,
    locks: locks.map((l) => ({ jobId: l.jobId, machineId: l.machineId, ...(l.position !== undefined ? { position: l.position } : {}) })),
    frozenWindowMin: c.frozenWindowMin,
    objective: c.objective,
  };
  return { problem, excluded, notes, info };
}

/**
 * The scheduler's issues with the job and machine they concern (paths name indices: a planner wants
 * names), for a 422 answer.
 */
export function refusal(message: string, issues: readonly ProblemIssue[], problem: ScheduleProblemInput): ScheduleRefusal {
  const named = issues.map((i) => {
    const job = /^jobs\[(\d+)\](?:\.eligibleMachines\[(\d+)\]|\.running)?/.exec(i.path);
    const lock = /^locks\[(\d+)\]/.exec(i.path);
    const machine = /^machines\[(\d+)\]/.exec(i.path);
    const j = job ? problem.jobs?.[Number(job[1])] : undefined;
    const l = lock ? problem.locks?.[Number(lock[1])] : undefined;
    const jobId = j?.id ?? l?.jobId;
    const machineId = job?.[2] !== undefined ? j?.eligibleMachines[Number(job[2])] : (l?.machineId ?? (machine ? problem.machines[Number(machine[1])]?.id : undefined));
    const text = jobId && !i.message.includes(jobId) ? `job ${jobId}: ${i.message}` : i.message;
    return { ...i, message: text, ...(jobId ? { jobId } : {}), ...(machineId ? { machineId } : {}) };
  });
  const errors = named.filter((i) => i.severity === 'error');
  const first = errors[0]?.message ?? message;
  // errors first, at most 200 (a mirror full of broken jobs must not make a huge answer)
  const shown = [...errors, ...named.filter((i) => i.severity !== 'error')].slice(0, 200);
  return { error: errors.length > 1 ? `${first} (and ${errors.length - 1} more)` : first, issues: shown };
}
