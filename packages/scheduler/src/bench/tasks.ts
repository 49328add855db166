import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Plant } from '@plant-twin/plant-model';
import { combinatorialBound } from '../bounds.js';
import { atcs, atcsGrid, dispatchInOrder, eddOrder, movableJobs, priorityOrder } from '../construct.js';
import { checkPlan } from '../check.js';
import { compileProblem, type Compiled } from '../compile.js';
import { advanceProblem, machineFault } from '../events.js';
import { lowerBoundHighs, type HighsLike } from '../highs-bound.js';
import { buildPlan, type Plan } from '../plan.js';
import { plantInstance } from '../plant-instances.js';
import { parseProblem } from '../problem.js';
import { Schedule } from '../schedule.js';
import { Search } from '../search.js';
import { replan, schedule, solveCompiled } from '../solve.js';
import { parseOrlibWt } from '../formats/orlib-wt.js';
import { parseValladaRuiz } from '../formats/vallada-ruiz.js';
import { makespanOf, weightedTardinessOf } from './rpd.js';

/** CPU time of this process, ms: budgets hold on a shared machine whatever else runs */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export type Task =
  | { kind: 'vr'; file: string; budgetMs: number; seed: number }
  | { kind: 'vr-highs'; file: string; timeLimitS: number }
  | { kind: 'wt'; file: string; n: number; index: number; budgetMs: number; seed: number }
  | { kind: 'plant'; plantFile: string; jobs: number; seed: number; budgetMs: number; replanBudgetMs: number; highsTimeLimitS: number }
  | { kind: 'large'; plantFile: string; jobs: number; machines: number; seed: number };

export interface VrResult { kind: 'vr'; name: string; budgetMs: number; makespan: number; initial: number; iterations: number; cpuMs: number }

export function runVr(t: Extract<Task, { kind: 'vr' }>): VrResult {
  const inst = parseValladaRuiz(readFileSync(t.file, 'utf8'), t.file);
  const search = new Search(inst, { seed: t.seed, timeLimitMs: t.budgetMs, now: cpuNow }, combinatorialBound(inst));
  const r = search.run();
  const { m, nCls } = inst;
  const makespan = makespanOf((j, k) => inst.p[j * m + k]!, (k, a, b) => inst.setup[k]![a * nCls + b]!, r.free);
  if (Math.abs(makespan - r.score) > 1e-6) throw new Error(`${t.file}: optimiser reports ${r.score}, the sequences make ${makespan}`);
  return { kind: 'vr', name: basename(t.file, '.txt'), budgetMs: t.budgetMs, makespan, initial: r.initialScore, iterations: r.iterations, cpuMs: r.ms };
}

export function runVrHighs(highs: HighsLike, t: Extract<Task, { kind: 'vr-highs' }>) {
  const inst = parseValladaRuiz(readFileSync(t.file, 'utf8'), t.file);
  const b = lowerBoundHighs(highs, inst, t.timeLimitS);
  return { kind: 'vr-highs' as const, name: basename(t.file, '.txt'), bound: b.total, combinatorial: combinatorialBound(inst), status: b.status, ms: b.ms };
}

const wtCache = new Map<string, ReturnType<typeof parseOrlibWt>>();

export function runWt(t: Extract<Task, { kind: 'wt' }>) {
  let all = wtCache.get(t.file);
  if (!all) wtCache.set(t.file, (all = parseOrlibWt(readFileSync(t.file, 'utf8'), t.n)));
  const inst = all[t.index]!;
  const r = new Search(inst, { seed: t.seed, timeLimitMs: t.budgetMs, now: cpuNow }, combinatorialBound(inst)).run();
  const p = Array.from({ length: inst.n }, (_, j) => inst.p[j]!);
  const value = weightedTardinessOf(p, Array.from(inst.weight), Array.from(inst.due), r.free[0]!);
  if (Math.abs(value - r.score) > 1e-6) throw new Error(`wt${t.n} #${t.index + 1}: optimiser reports ${r.score}, the sequence makes ${value}`);
  return { kind: 'wt' as const, n: t.n, index: t.index, value, initial: r.initialScore, iterations: r.iterations, cpuMs: r.ms };
}

/** a constructive rule's plan (the dispatch baselines), scored like the optimiser's */
function rulePlan(c: Compiled, rule: (s: Schedule, jobs: number[]) => number[][]): Plan {
  const s = new Schedule(c.inst);
  s.restore(rule(s, movableJobs(c.inst)));
  const stats = { seed: 0, ticks: 0, iterations: 0, stoppedBy: 'rule', initialRule: 'rule', initialScore: s.total(), msFirstFeasible: 0, ms: 0 };
  return buildPlan(c, s, { total: 0, method: 'none' }, stats);
}

export function runPlant(highs: HighsLike, plant: Plant, t: Extract<Task, { kind: 'plant' }>) {
  const input = plantInstance(plant, { jobs: t.jobs, seed: t.seed });
  // the first feasible plan on the wall clock (what a planner waits for)
  const w0 = performance.now();
  const first = schedule(input, { seed: t.seed, maxTicks: 0 });
  const msFirstFeasible = performance.now() - w0;
  const c = compileProblem(parseProblem(input));
  const edd = rulePlan(c, (s, jobs) => dispatchInOrder(s, eddOrder(c.inst, jobs)));
  const prio = rulePlan(c, (s, jobs) => dispatchInOrder(s, priorityOrder(c.inst, jobs)));
  const atcsPlans = atcsGrid.map(([k1, k2]) => rulePlan(c, (s, jobs) => atcs(s, jobs, k1, k2)));
  const atcsBest = atcsPlans.reduce((a, b) => (b.score.total < a.score.total ? b : a));
  const plan = solveCompiled(c, { seed: t.seed, timeLimitMs: t.budgetMs, now: cpuNow }, cpuNow());
  const violations = checkPlan(input, plan);
  const hb = lowerBoundHighs(highs, c.inst, t.highsTimeLimitS);
  const bound = Math.max(plan.lowerBound.total, hb.total);
  // a fault three hours in on the machine with the most work left, 90 min repair, 2 h frozen window
  const problem = { ...parseProblem(input), frozenWindowMin: 120 };
  const at = problem.start + 3 * 3_600_000;
  const busiest = [...plan.machines].sort((a, b) => work(b, at) - work(a, at) || a.machineId.localeCompare(b.machineId))[0]!.machineId;
  const faulted = machineFault(advanceProblem(problem, plan, at), { machineId: busiest, at, repairMin: 90 });
  const r0 = performance.now();
  const re = replan(faulted, plan, { seed: t.seed, timeLimitMs: t.replanBudgetMs });
  const replanWallMs = performance.now() - r0;
  const replanViolations = checkPlan(faulted, re, { previous: plan });
  return {
    kind: 'plant' as const,
    jobs: t.jobs,
    seed: t.seed,
    msFirstFeasible,
    firstScore: first.score.total,
    edd: edd.score,
    priority: prio.score,
    atcs: atcsBest.score,
    optimiser: plan.score,
    iterations: plan.stats.iterations,
    bound,
    boundCombinatorial: plan.lowerBound.total,
    boundHighs: hb.total,
    highsStatus: hb.status,
    highsMs: hb.ms,
    violations: violations.length,
    firstViolation: violations[0] ?? null,
    replan: { machine: busiest, msFirstFeasible: re.stats.msFirstFeasible, wallMs: replanWallMs, violations: replanViolations.length, firstViolation: replanViolations[0] ?? null },
  };
}

function work(mp: Plan['machines'][number], at: number): number {
  return mp.jobs.reduce((a, j) => a + Math.max(0, j.end - Math.max(j.setupStart, at)), 0);
}

export function runLarge(plant: Plant, t: Extract<Task, { kind: 'large' }>) {
  const input = plantInstance(plant, { jobs: t.jobs, machines: t.machines, seed: t.seed });
  const w0 = performance.now();
  const plan = schedule(input, { seed: t.seed, maxTicks: 0 });
  const ms = performance.now() - w0;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const violations = checkPlan(input, plan).length;
  return { kind: 'large' as const, jobs: t.jobs, machines: t.machines, msFirstFeasible: ms, rssMb, score: plan.score.total, rule: plan.stats.initialRule, violations };
}
