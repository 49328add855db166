import { combinatorialBound } from './bounds.js';
import { compileProblem, type CompileOptions, type Compiled } from './compile.js';
import { buildPlan, type Plan } from './plan.js';
import { parseProblem } from './problem.js';
import { Search, type SearchOptions } from './search.js';

export interface ScheduleOptions {
  /** a job whose machines have no working time before its due date: schedule() refuses by default, replan() warns */
  dueWithoutCapacity?: CompileOptions['dueWithoutCapacity'];
  seed?: number;
  /** improvement budget in ms (default 2,000); the first feasible plan is always built */
  timeLimitMs?: number;
  /** budget in ticks: with it (and no time limit reached first) the plan is a pure function of problem and seed */
  maxTicks?: number;
  now?: () => number;
  onImprovement?: SearchOptions['onImprovement'];
}

/** Plans a problem from scratch. Throws ProblemError (every reason) when it cannot be planned. */
export function schedule(input: unknown, opts: ScheduleOptions = {}): Plan {
  const t0 = clock(opts)();
  const compiled = compileProblem(parseProblem(input), opts);
  return solveCompiled(compiled, opts, t0);
}

/**
 * Re-plans after an event (a fault, a rush order, an early finish) from the previous plan: jobs it starts
 * within the frozen window keep their machine and order and nothing new starts inside the window; the rest
 * starts from the previous sequences with new jobs inserted at their best places (the first feasible plan at
 * once), then improves within the budget. Jobs gone from the problem (finished, cancelled) drop out.
 */
export function replan(input: unknown, previous: Plan, opts: ScheduleOptions = {}): Plan {
  const t0 = clock(opts)();
  const problem = parseProblem(input);
  const present = new Map(problem.jobs.map((j) => [j.id, j]));
  const windowEnd = problem.start + problem.frozenWindowMin * 60_000;
  const frozen = new Map<string, string[]>();
  for (const mp of previous.machines) {
    const ids = mp.jobs.filter((pj) => pj.setupStart < windowEnd && present.has(pj.jobId) && !present.get(pj.jobId)!.running).map((pj) => pj.jobId);
    if (ids.length) frozen.set(mp.machineId, ids);
  }
  // an event (a fault) can take the last working time before a due date: a re-plan must still answer
  const compiled = compileProblem(problem, { frozen, dueWithoutCapacity: opts.dueWithoutCapacity ?? 'warning' });
  const jobIndex = new Map(compiled.jobIds.map((id, j) => [id, j]));
  const machineIndex = new Map(compiled.machineIds.map((id, k) => [id, k]));
  const initial: number[][] = compiled.machineIds.map(() => []);
  for (const mp of previous.machines) {
    const k = machineIndex.get(mp.machineId);
    if (k === undefined) continue;
    for (const pj of mp.jobs) {
      const j = jobIndex.get(pj.jobId);
      if (j !== undefined) initial[k]!.push(j);
    }
  }
  return solveCompiled(compiled, opts, t0, initial);
}

function clock(opts: ScheduleOptions): () => number {
  return opts.now ?? (() => performance.now());
}

/** Optimises a compiled problem; t0 is when the caller started (the first-feasible time counts from it). */
export function solveCompiled(compiled: Compiled, opts: ScheduleOptions, t0: number, initial?: number[][]): Plan {
  const bound = combinatorialBound(compiled.inst);
  const search = new Search(
    compiled.inst,
    {
      seed: opts.seed ?? 1,
      timeLimitMs: opts.timeLimitMs ?? 2000,
      ...(opts.maxTicks !== undefined ? { maxTicks: opts.maxTicks } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onImprovement ? { onImprovement: opts.onImprovement } : {}),
      ...(initial ? { initial } : {}),
    },
    bound,
  );
  const r = search.run();
  const t1 = clock(opts)();
  return buildPlan(compiled, search.sched, { total: bound, method: 'combinatorial' }, {
    seed: opts.seed ?? 1,
    ticks: r.ticks,
    iterations: r.iterations,
    stoppedBy: r.stoppedBy,
    initialRule: r.initialRule,
    initialScore: r.initialScore,
    // compile, bound and construction: everything before the first feasible plan
    msFirstFeasible: r.msFirstFeasible + (t1 - t0 - r.ms),
    ms: t1 - t0,
  });
}
