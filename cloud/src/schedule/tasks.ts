import type { Plant } from '@plant-twin/plant-model';
import type { PlanJobInfo, StoredPlan, WhatIfResult } from '@plant-twin/contracts';
import {
  checkPlan,
  compileProblem,
  lowerBoundHighs,
  parseProblem,
  ProblemError,
  replan,
  schedule,
  type Compiled,
  type HighsLike,
  type Plan,
  type ProblemIssue,
  type ScheduleProblemInput,
} from '@plant-twin/scheduler';
import { simulatePlan } from './whatif.js';

/**
 * The work the scheduling worker does (worker.ts runs it off the cloud's event loop; tests may call it
 * directly): plan, re-plan or repair a problem, check the result with the scheduler's feasibility checker,
 * and simulate a plan on the machines' behaviour model.
 */
export interface SolveOptions {
  seed: number;
  timeLimitMs?: number | undefined;
  maxTicks?: number | undefined;
  /** seconds HiGHS may spend on a stronger lower bound (0 or unset: the scheduler's own bound only) */
  boundS?: number | undefined;
}

export type PlanTask =
  | { op: 'schedule'; problem: ScheduleProblemInput; opts: SolveOptions }
  /** a re-plan after an event, or an edit of a plan (move, lock, optimise) from its sequences */
  | { op: 'replan'; problem: ScheduleProblemInput; previous: Plan; opts: SolveOptions }
  | { op: 'whatif'; plant: Plant; problem: ScheduleProblemInput; plan: Plan; seeds: number; horizonEnd: number; seedBase: number };

export interface Planned {
  kind: 'plan';
  plan: Plan;
  /** the problem as planned (locks dropped where a re-plan could not keep them) */
  problem: ScheduleProblemInput;
  violations: string[];
  jobs: Record<string, Pick<PlanJobInfo, 'eligible'>>;
  offShift: StoredPlan['offShift'];
  notes: string[];
}
export type PlanTaskResult = Planned | { kind: 'whatif'; whatIf: WhatIfResult } | { kind: 'refused'; message: string; issues: ProblemIssue[] };

const minute = 60_000;
/** lock problems a re-plan resolves by keeping the lock's machine and dropping its position */
const lockPositionCodes = new Set(['lock-inside-frozen', 'lock-conflict']);

/** `highs`: the HiGHS solver when the worker has it (a stronger lower bound where the task asks for one) */
export function runTask(task: PlanTask, highs?: HighsLike): PlanTaskResult {
  try {
    if (task.op === 'whatif') return { kind: 'whatif', whatIf: simulatePlan(task.plant, task.problem, task.plan, { seeds: task.seeds, horizonEnd: task.horizonEnd, seedBase: task.seedBase }) };
    return solve(task, highs);
  } catch (e) {
    if (e instanceof ProblemError) return { kind: 'refused', message: e.message, issues: e.issues };
    throw e;
  }
}

function solve(task: Extract<PlanTask, { op: 'schedule' | 'replan' }>, highs: HighsLike | undefined): Planned {
  const notes: string[] = [];
  let problem = task.problem;
  const opts = { seed: task.opts.seed, ...(task.opts.timeLimitMs !== undefined ? { timeLimitMs: task.opts.timeLimitMs } : {}), ...(task.opts.maxTicks !== undefined ? { maxTicks: task.opts.maxTicks } : {}) };
  const run = () => (task.op === 'schedule' ? schedule(problem, opts) : replan(problem, task.previous, opts));
  let plan: Plan;
  try {
    plan = run();
  } catch (e) {
    // a re-plan's frozen jobs may now hold the position a planner locked: the job keeps its machine
    const positional = e instanceof ProblemError && task.op === 'replan' ? lockIssues(e.issues) : null;
    if (!positional) throw e;
    const locks = (problem.locks ?? []).map((l, i) => {
      if (!positional.has(i)) return l;
      notes.push(`lock of ${l.jobId} at position ${l.position} on ${l.machineId}: that place is inside the frozen window now; kept on the machine, not the position`);
      return { jobId: l.jobId, machineId: l.machineId };
    });
    problem = { ...problem, locks };
    plan = run();
  }
  const parsed = parseProblem(problem);
  if (highs && task.opts.boundS) strengthenBound(plan, highs, compileProblem(parsed, { dueWithoutCapacity: 'warning' }), task.opts.boundS);
  // the alternatives a planner may choose from: every eligible machine, whatever locks and running jobs fix now
  const open = compileProblem({ ...parsed, locks: [], jobs: parsed.jobs.map(({ running: _, ...j }) => j) }, { dueWithoutCapacity: 'warning' });
  const violations = checkPlan(problem, plan, task.op === 'replan' ? { previous: task.previous } : {});
  return { kind: 'plan', plan, problem, violations, jobs: eligibility(open), offShift: offShift(open, plan), notes };
}

/**
 * HiGHS's bound of the problem's mixed-integer relaxation (without the re-plan's frozen window: a bound of a
 * looser problem holds for this one), when it beats the scheduler's own; the gap follows. Never above the
 * plan's score (a solver's tolerance must not claim a plan beats the optimum).
 */
function strengthenBound(plan: Plan, highs: HighsLike, c: Compiled, seconds: number): void {
  const hb = lowerBoundHighs(highs, c.inst, seconds);
  const total = Math.min(hb.total, plan.score.total);
  if (!(total > plan.lowerBound.total)) return;
  plan.lowerBound = { total, method: `highs (${hb.status}, ${Math.round(hb.ms)} ms)` };
  plan.gap = plan.score.total > 0 ? Math.max(0, (plan.score.total - total) / plan.score.total) : 0;
}

/** indices of the locks whose only problem is their position; null when anything else is wrong */
function lockIssues(issues: readonly ProblemIssue[]): Set<number> | null {
  const errors = issues.filter((i) => i.severity === 'error');
  const at = new Set<number>();
  for (const i of errors) {
    const m = /^locks\[(\d+)\]/.exec(i.path);
    if (!m || !lockPositionCodes.has(i.code)) return null;
    at.add(Number(m[1]));
  }
  return at.size ? at : null;
}

/** processing minutes of each job on each machine it may take */
function eligibility(c: Compiled): Planned['jobs'] {
  const { inst } = c;
  const out: Planned['jobs'] = {};
  c.problem.jobs.forEach((job, j) => {
    out[job.id] = {
      eligible: job.eligibleMachines.flatMap((id) => {
        const k = c.machineIds.indexOf(id);
        const p = k < 0 ? NaN : inst.p[j * inst.m + k]!;
        return Number.isNaN(p) ? [] : [{ machineId: id, processingMin: p }];
      }),
    };
  });
  return out;
}

/** per machine, the non-working time within the plan's span (what the Gantt greys out), at most 2,000 pieces */
function offShift(c: Compiled, plan: Plan): StoredPlan['offShift'] {
  const start = c.problem.start;
  const lastEnd = Math.max(start, ...plan.machines.map((m) => m.completion ?? start));
  const to = lastEnd + 12 * 60 * minute;
  const out: StoredPlan['offShift'] = {};
  c.calendars.forEach((cal, k) => {
    const machine = c.problem.machines[k]!;
    const pieces: StoredPlan['offShift'][string] = [];
    let cursor = start;
    for (let i = 0; i < cal.starts.length && cursor < to && pieces.length < 2000; i++) {
      const a = start + cal.starts[i]! * minute;
      const b = start + cal.ends[i]! * minute;
      if (a > cursor) pieces.push(...label(cursor, Math.min(a, to), machine.downtime));
      cursor = Math.max(cursor, b);
    }
    if (cursor < to) pieces.push(...label(cursor, to, machine.downtime));
    out[machine.id] = pieces.slice(0, 2000);
  });
  return out;
}

/** a gap in working time, split where planned maintenance (a downtime window) covers it */
function label(from: number, to: number, downtime: readonly { from: number; to: number; reason?: string | undefined }[]): StoredPlan['offShift'][string] {
  const out: StoredPlan['offShift'][string] = [];
  let cursor = from;
  for (const d of [...downtime].sort((x, y) => x.from - y.from)) {
    if (d.to <= cursor || d.from >= to) continue;
    if (d.from > cursor) out.push({ from: cursor, to: d.from, kind: 'off' });
    const end = Math.min(to, d.to);
    out.push({ from: Math.max(cursor, d.from), to: end, kind: 'maintenance', ...(d.reason ? { reason: d.reason } : {}) });
    cursor = end;
  }
  if (cursor < to) out.push({ from: cursor, to, kind: 'off' });
  return out;
}
