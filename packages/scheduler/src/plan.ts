import type { Compiled } from './compile.js';
import type { CostWeights } from './instance.js';
import type { ProblemIssue } from './problem.js';
import type { Schedule } from './schedule.js';

const minute = 60_000;

export interface PlanSegment {
  kind: 'setup' | 'run';
  /** ms since the epoch */
  from: number;
  to: number;
}

/** One job in the plan, with its part of the score: why it is where it is. */
export interface PlannedJob {
  jobId: string;
  machineId: string;
  /** 0-based position in the machine's sequence */
  position: number;
  partNumber: string;
  /** part the machine changes over from (null: unknown state, a full changeover) */
  setupFrom: string | null;
  setupMin: number;
  processingMin: number;
  /** first setup instant (or the run start when there is no setup), run start, end: ms since the epoch */
  setupStart: number;
  start: number;
  end: number;
  /** working pieces: setups and runs pause over breaks, shift ends and downtime */
  segments: PlanSegment[];
  dueDate: number;
  tardinessMin: number;
  weight: number;
  weightedTardiness: number;
  running: boolean;
  frozen: boolean;
  locked: boolean;
}

export interface MachinePlan {
  machineId: string;
  jobs: PlannedJob[];
  setupMin: number;
  processingMin: number;
  weightedTardiness: number;
  /** end of its last job, ms since the epoch (null: no job) */
  completion: number | null;
}

export interface PlanScore {
  /** the objective: weights x (weighted tardiness, changeover minutes, makespan minutes) */
  total: number;
  weightedTardiness: number;
  tardinessMin: number;
  lateJobs: number;
  setupMin: number;
  makespanMin: number;
}

export interface Plan {
  start: number;
  objective: CostWeights;
  score: PlanScore;
  /** a bound no plan can beat, and the share of the score above it: (total - bound) / total */
  lowerBound: { total: number; method: string };
  gap: number;
  machines: MachinePlan[];
  warnings: ProblemIssue[];
  stats: {
    seed: number;
    ticks: number;
    iterations: number;
    stoppedBy: string;
    initialRule: string;
    initialScore: number;
    msFirstFeasible: number;
    ms: number;
  };
}

/** Turns an evaluated schedule into the plan a planner reads (times in ms, score parts per job and machine). */
export function buildPlan(
  c: Compiled,
  s: Schedule,
  lowerBound: { total: number; method: string },
  stats: Plan['stats'],
): Plan {
  const { inst, problem } = c;
  const start = problem.start;
  const at = (min: number) => Math.round(start + min * minute);
  const locked = new Set(inst.locks.flatMap((l) => l.map((x) => x.job)));
  const running = new Set(problem.jobs.flatMap((j, i) => (j.running ? [i] : [])));
  const machines: MachinePlan[] = [];
  let wt = 0;
  let tard = 0;
  let late = 0;
  let setupSum = 0;
  let makespan = 0;
  for (let k = 0; k < inst.m; k++) {
    const cal = c.calendars[k]!;
    const headSet = new Set(inst.head[k]);
    const jobs: PlannedJob[] = [];
    let prevPart: string | null = problem.machines[k]!.currentPart ?? null;
    for (const [position, t] of s.timeline(k).entries()) {
      const job = problem.jobs[t.job]!;
      const setupSegs = cal.segments(t.setupStartW, t.setupStartW + t.setup).map(([a, b]) => ({ kind: 'setup' as const, from: at(a), to: at(b) }));
      const runSegs = cal.segments(t.startW, t.endW).map(([a, b]) => ({ kind: 'run' as const, from: at(a), to: at(b) }));
      const endMin = cal.endAt(t.endW);
      const tardinessMin = Math.max(0, endMin - inst.due[t.job]!);
      const weighted = inst.weight[t.job]! * tardinessMin;
      const isRunning = running.has(t.job);
      jobs.push({
        jobId: job.id,
        machineId: problem.machines[k]!.id,
        position,
        partNumber: job.partNumber,
        setupFrom: isRunning ? job.partNumber : position === 0 ? prevPart : problem.jobs[s.full[k]![position - 1]!]!.partNumber,
        setupMin: t.setup,
        processingMin: inst.p[t.job * inst.m + k]!,
        setupStart: setupSegs[0]?.from ?? runSegs[0]!.from,
        start: runSegs[0]!.from,
        end: at(endMin),
        segments: [...setupSegs, ...runSegs],
        dueDate: job.dueDate,
        tardinessMin,
        weight: inst.weight[t.job]!,
        weightedTardiness: weighted,
        running: isRunning,
        frozen: headSet.has(t.job) && !isRunning,
        locked: locked.has(t.job),
      });
      wt += weighted;
      tard += tardinessMin;
      if (tardinessMin > 0) late++;
      setupSum += t.setup;
      makespan = Math.max(makespan, endMin);
      prevPart = job.partNumber;
    }
    machines.push({
      machineId: problem.machines[k]!.id,
      jobs,
      setupMin: jobs.reduce((a, j) => a + j.setupMin, 0),
      processingMin: jobs.reduce((a, j) => a + j.processingMin, 0),
      weightedTardiness: jobs.reduce((a, j) => a + j.weightedTardiness, 0),
      completion: jobs.length ? jobs[jobs.length - 1]!.end : null,
    });
  }
  const w = inst.cost;
  const total = w.tardiness * wt + w.setup * setupSum + w.makespan * makespan;
  return {
    start,
    objective: w,
    score: { total, weightedTardiness: wt, tardinessMin: tard, lateJobs: late, setupMin: setupSum, makespanMin: makespan },
    lowerBound,
    gap: total > 0 ? Math.max(0, (total - lowerBound.total) / total) : 0,
    machines,
    warnings: c.warnings,
    stats,
  };
}
