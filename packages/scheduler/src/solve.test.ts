import { describe, expect, it } from 'vitest';
import { checkPlan } from './check.js';
import { compileProblem } from './compile.js';
import { advanceProblem, machineFault } from './events.js';
import { lowerBoundHighs } from './highs-bound.js';
import { loadHighs } from './highs-load.js';
import { makeInstance } from './instance.js';
import { ProblemError, parseProblem, type ScheduleProblemInput } from './problem.js';
import { Schedule } from './schedule.js';
import { Search } from './search.js';
import { replan, schedule } from './solve.js';
import { makespanOf } from './bench/rpd.js';
import { minute, monday6, smallProblem } from './testing/problems.js';

/** every assignment of jobs to eligible machines and every order on each: the best free lists' score */
function bruteForce(eligible: number[][], m: number, evaluate: (lists: number[][]) => number): number {
  let best = Infinity;
  const lists: number[][] = Array.from({ length: m }, () => []);
  const place = (j: number) => {
    if (j === eligible.length) {
      best = Math.min(best, evaluate(lists));
      return;
    }
    for (const k of eligible[j]!)
      for (let q = 0; q <= lists[k]!.length; q++) {
        lists[k]!.splice(q, 0, j);
        place(j + 1);
        lists[k]!.splice(q, 1);
      }
  };
  place(0);
  return best;
}

function expectErrorCodes(fn: () => unknown, codes: string[]): ProblemError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProblemError);
    const err = e as ProblemError;
    expect(err.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(codes);
    return err;
  }
  throw new Error('expected a ProblemError');
}

const highs = await loadHighs();

describe('schedule', () => {
  it('finds the optimum of small plant problems (brute force over every assignment and order); both lower bounds stay below it', () => {
    for (const objective of ['tardiness+setup', 'makespan', { tardiness: 1, setup: 3, makespan: 0.5 }] as const) {
      const input: ScheduleProblemInput = { ...smallProblem(6), objective };
      const c = compileProblem(parseProblem(input));
      const s = new Schedule(c.inst);
      const optimum = bruteForce(
        Array.from(c.inst.eligible, (e) => [...e]),
        c.inst.m,
        (lists) => {
          s.restore(lists);
          return s.total();
        },
      );
      const plan = schedule(input, { seed: 7, maxTicks: 3000, timeLimitMs: 60_000 });
      expect(checkPlan(input, plan)).toEqual([]);
      expect(plan.score.total).toBeCloseTo(optimum, 6);
      expect(plan.lowerBound.total).toBeLessThanOrEqual(optimum + 1e-9);
      const hb = lowerBoundHighs(highs, c.inst, 5);
      expect(hb.total).toBeGreaterThan(0);
      expect(hb.total).toBeLessThanOrEqual(optimum + 1e-6);
    }
  });

  it('finds the optimum makespan of small unrelated-machine instances with sequence-dependent setups', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return 1 + (seed % n);
    };
    for (let t = 0; t < 4; t++) {
      const n = 6;
      const m = 2;
      const p = Array.from({ length: n }, () => Array.from({ length: m }, () => rand(20)));
      const setup = Array.from({ length: m }, () => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 0 : rand(15))));
      const inst = makeInstance({ m, p, cls: [...Array(n).keys()], nCls: n, setup, cost: { tardiness: 0, setup: 0, makespan: 1 } });
      const ms = (lists: number[][]) => makespanOf((j, k) => p[j]![k]!, (k, a, b) => setup[k]![a * n + b]!, lists);
      const optimum = bruteForce(Array.from({ length: n }, () => [0, 1]), m, ms);
      const r = new Search(inst, { seed: t, maxTicks: 2000 }).run();
      expect(ms(r.free)).toBe(r.score);
      expect(r.score).toBe(optimum);
    }
  });

  it('is deterministic under a seed, and a time-limited run replays exactly from its tick count', () => {
    const input = smallProblem(7);
    const strip = (p: ReturnType<typeof schedule>) => ({ machines: p.machines, score: p.score });
    const a = schedule(input, { seed: 5, maxTicks: 400, timeLimitMs: 60_000 });
    const b = schedule(input, { seed: 5, maxTicks: 400, timeLimitMs: 60_000 });
    expect(strip(a)).toEqual(strip(b));
    const timed = schedule(input, { seed: 9, timeLimitMs: 30 });
    const replay = schedule(input, { seed: 9, maxTicks: timed.stats.ticks, timeLimitMs: 60_000 });
    expect(strip(replay)).toEqual(strip(timed));
  });

  it('reports each job and machine part of the score and never plans over the break', () => {
    const plan = schedule(smallProblem(6), { seed: 1, maxTicks: 500 });
    const jobs = plan.machines.flatMap((m) => m.jobs);
    expect(jobs).toHaveLength(6);
    expect(plan.score.weightedTardiness).toBeCloseTo(jobs.reduce((a, j) => a + j.weightedTardiness, 0), 9);
    expect(plan.score.setupMin).toBeCloseTo(plan.machines.reduce((a, m) => a + m.setupMin, 0), 9);
    const breakFrom = monday6 + 3 * 60 * minute;
    for (const j of jobs) for (const s of j.segments) expect(s.to <= breakFrom || s.from >= breakFrom + 15 * minute).toBe(true);
    expect(plan.gap).toBeGreaterThanOrEqual(0);
    expect(plan.gap).toBeLessThanOrEqual(1);
  });

  it('keeps a running job first on its machine with no changeover', () => {
    const input = smallProblem(6);
    input.jobs![2]!.running = { machineId: 'M-1', remainingQuantity: 40 };
    const plan = schedule(input, { seed: 2, maxTicks: 300 });
    expect(checkPlan(input, plan)).toEqual([]);
    const first = plan.machines.find((m) => m.machineId === 'M-1')!.jobs[0]!;
    expect(first).toMatchObject({ jobId: 'J3', running: true, setupMin: 0, start: monday6 });
  });
});

describe('replan', () => {
  it('keeps the frozen window and the locks after a fault and a rush order, and answers at once', () => {
    const input: ScheduleProblemInput = { ...smallProblem(7), frozenWindowMin: 90, locks: [{ jobId: 'J7', machineId: 'M-2', position: 1 }] };
    const plan = schedule(input, { seed: 3, maxTicks: 500 });
    expect(checkPlan(input, plan)).toEqual([]);
    const at = monday6 + 60 * minute;
    let next = machineFault(advanceProblem(input, plan, at), { machineId: 'M-1', at, repairMin: 45 });
    next = {
      ...next,
      jobs: [...next.jobs, { id: 'RUSH', partNumber: 'C-1', quantity: 15, dueDate: at + 120 * minute, weight: 20, eligibleMachines: ['M-1', 'M-2'] }],
    };
    const re = replan(next, plan, { seed: 3, maxTicks: 500 });
    expect(checkPlan(next, re, { previous: plan })).toEqual([]);
    // what the previous plan started in the window stays where it was, in its order
    const windowEnd = at + 90 * minute;
    for (const mp of plan.machines) {
      const frozen = mp.jobs.filter((j) => j.setupStart < windowEnd && j.end > at).map((j) => j.jobId);
      const now = re.machines.find((x) => x.machineId === mp.machineId)!.jobs.map((j) => j.jobId);
      expect(now.slice(0, frozen.length)).toEqual(frozen);
    }
    const rush = re.machines.flatMap((m) => m.jobs).find((j) => j.jobId === 'RUSH')!;
    expect(rush.setupStart).toBeGreaterThanOrEqual(windowEnd);
    const m2 = re.machines.find((m) => m.machineId === 'M-2')!.jobs;
    expect(m2.findIndex((j) => j.jobId === 'J7')).toBeLessThanOrEqual(1);
    expect(re.stats.initialRule).toBe('repair');
  });
});

describe('bad input', () => {
  it('names a job with no eligible machine, a lock on an ineligible machine, unknown machines and parts', () => {
    const input = smallProblem(4);
    input.jobs![0]!.eligibleMachines = [];
    input.jobs![2]!.eligibleMachines = ['M-1', 'M-9'];
    input.machines![1]!.parts = input.machines![1]!.parts.filter((p) => p.partNumber !== 'A-1');
    input.locks = [{ jobId: 'J2', machineId: 'M-1', position: 0 }];
    const err = expectErrorCodes(() => schedule(input), ['no-eligible-machine', 'unknown-machine', 'part-not-on-machine', 'lock-ineligible-machine']);
    expect(err.message).toContain('job J1 has no eligible machine');
    expect(err.message).toContain('locks[0]: job J2 is locked on M-1, which is not among its eligible machines (M-2)');
  });

  it('refuses a calendar with no working time before a due date, or warns when asked to', () => {
    const input = smallProblem(3);
    input.shifts = [{ name: 'sunday', start: '06:00', end: '14:00', days: [7] }];
    const err = expectErrorCodes(() => schedule(input), ['no-capacity-before-due', 'no-capacity-before-due', 'no-capacity-before-due']);
    expect(err.issues[0]!.path).toBe('jobs[0].dueDate');
    expect(err.message).toMatch(/no working time between .* and its due date/);
    const plan = schedule(input, { dueWithoutCapacity: 'warning', maxTicks: 100 });
    expect(plan.warnings.map((w) => w.code)).toContain('no-capacity-before-due');
    expect(checkPlan(input, plan)).toEqual([]);
    expect(plan.machines.flatMap((m) => m.jobs).every((j) => new Date(j.start).getUTCDay() === 0)).toBe(true);
  });

  it('answers malformed fields with their path, and conflicting locks', () => {
    const input = smallProblem(3);
    input.jobs![1]!.quantity = -5;
    input.timezone = 'Mars/Olympus';
    const err = expectErrorCodes(() => schedule(input), ['invalid']);
    expect(err.issues[0]!.path).toBe('jobs[1].quantity');
    const locked = smallProblem(4);
    locked.locks = [
      { jobId: 'J1', machineId: 'M-2', position: 0 },
      { jobId: 'J3', machineId: 'M-2', position: 0 },
      { jobId: 'J4', machineId: 'M-7' },
    ];
    expectErrorCodes(() => schedule(locked), ['lock-conflict', 'unknown-machine']);
    const tz = smallProblem(2);
    tz.timezone = 'Mars/Olympus';
    expectErrorCodes(() => schedule(tz), ['invalid']);
  });
});
