import type { Plant } from '@plant-twin/plant-model';
import type { Spread, WhatIfResult } from '@plant-twin/contracts';
import { PlantSim, type MachineSim } from '@plant-twin/machine-sim/model';
import { compileProblem, parseProblem, type Plan, type ScheduleProblem, type ScheduleProblemInput } from '@plant-twin/scheduler';

/**
 * What-if: a plan run through the simulators' machine behaviour model (faults, micro-stops, starved and
 * blocked episodes, cycle-time spread, scrap, changeovers; seeded), faster than real time, several runs with
 * different seeds. Each machine takes its jobs in the plan's order as the job manager would: the next one as
 * soon as the last is done, not before its release, only in working time (a setup or run is held over
 * breaks, shift ends and maintenance and resumed after). The runs give each job's completion and tardiness
 * and each machine's OEE as p10 / p50 / p90. Two plans simulated with the same seeds meet the same machine
 * luck (common random numbers), so their comparison shows the plans' difference, not the dice.
 */
export interface WhatIfOptions {
  seeds: number;
  /** simulated time ends here (ms since the epoch) */
  horizonEnd: number;
  /** runs are seeded `${seedBase}-${run}` */
  seedBase: number;
}

interface QueuedJob {
  jobId: string;
  partNumber: string;
  quantity: number;
  release: number;
}

interface Run {
  completion: Map<string, number>;
  machines: Map<string, { pbtMs: number; aptMs: number; idealMs: number; good: number; produced: number; end: number }>;
}

const minute = 60_000;

export function simulatePlan(plant: Plant, input: ScheduleProblemInput, plan: Plan, opts: WhatIfOptions): WhatIfResult {
  const t0 = performance.now();
  const problem = parseProblem(input);
  const compiled = compileProblem({ ...problem, locks: [] }, { dueWithoutCapacity: 'warning' });
  const start = problem.start;
  const horizonEnd = Math.max(start + minute, opts.horizonEnd);
  const machineIds = plan.machines.filter((m) => m.jobs.length > 0).map((m) => m.machineId);
  const working = new Map(
    machineIds.map((id) => {
      const cal = compiled.calendars[compiled.machineIds.indexOf(id)]!;
      const out: [number, number][] = [];
      for (let i = 0; i < cal.starts.length; i++) {
        const a = start + cal.starts[i]! * minute;
        if (a >= horizonEnd) break;
        out.push([a, Math.min(horizonEnd, start + cal.ends[i]! * minute)]);
      }
      return [id, out] as const;
    }),
  );
  const runs: Run[] = [];
  for (let s = 0; s < opts.seeds; s++) runs.push(runOnce(plant, problem, plan, machineIds, working, horizonEnd, `${opts.seedBase}-${s}`));
  return summarise(problem, plan, runs, horizonEnd, performance.now() - t0);
}

function runOnce(plant: Plant, problem: ScheduleProblem, plan: Plan, machineIds: string[], working: Map<string, [number, number][]>, horizonEnd: number, seed: string): Run {
  const start = problem.start;
  const sim = new PlantSim({ plant, seed, startMs: start, machines: machineIds });
  const jobs = new Map(problem.jobs.map((j) => [j.id, j]));
  const completion = new Map<string, number>();
  const drivers = machineIds.map((id) => {
    const m = sim.machine(id);
    const planned = plan.machines.find((x) => x.machineId === id)!.jobs;
    const queue: QueuedJob[] = planned.map((pj) => {
      const job = jobs.get(pj.jobId)!;
      const quantity = job.running?.machineId === id ? (job.running.remainingQuantity ?? job.quantity) : job.quantity;
      return { jobId: pj.jobId, partNumber: pj.partNumber, quantity: Math.max(1, quantity), release: pj.running ? start : (job.releaseAt ?? start) };
    });
    // the state the plan starts from: a running job goes on without a changeover
    const setUp = planned[0]?.running ? planned[0].partNumber : problem.machines.find((x) => x.id === id)?.currentPart;
    if (setUp) m.assumeSetUp(setUp);
    return { id, m, queue, next: 0, current: null as string | null, held: false, retry: false, intervals: working.get(id)! };
  });
  type Driver = (typeof drivers)[number];
  const inWorkingTime = (d: Driver, t: number) => d.intervals.some(([a, b]) => t >= a && t < b);
  const startNext = (d: Driver, t: number) => {
    if (d.current || d.next >= d.queue.length || !inWorkingTime(d, t)) return;
    const q = d.queue[d.next]!;
    if (q.release > t) return;
    if (d.m.jobView()) d.m.clear();
    if (d.m.load(q.jobId, q.partNumber, q.quantity) !== 'ok') {
      // the machine does not take it (a part it cannot make): the job stays unfinished, the rest goes on
      d.next++;
      return startNext(d, t);
    }
    d.current = q.jobId;
    d.retry = d.m.start() !== 'ok';
  };
  for (const d of drivers) {
    d.m.on('job', (view) => {
      if (view.state !== 'completed' || view.jobId !== d.current) return;
      completion.set(view.jobId, d.m.time);
      d.current = null;
      d.next++;
      startNext(d, d.m.time);
    });
    startNext(d, start);
  }
  // decisions happen at working-time boundaries, releases and retries of a refused start or resume
  const nextDecision = (d: Driver, t: number): number => {
    let next = Infinity;
    for (const [a, b] of d.intervals) {
      if (a > t) next = Math.min(next, a);
      if (b > t) next = Math.min(next, b);
      if (a > t) break;
    }
    const q = d.queue[d.next];
    if (!d.current && q && q.release > t) next = Math.min(next, q.release);
    // a refused start or resume is tried again when the machine's stop ends (or in five minutes)
    if (d.retry) next = Math.min(next, Math.max(t + 1, Math.min(d.m.nextEventAt(), t + 5 * minute)));
    return next;
  };
  let t = start;
  while (t < horizonEnd && drivers.some((d) => d.current || d.next < d.queue.length)) {
    const next = Math.min(horizonEnd, ...drivers.map((d) => nextDecision(d, t)));
    sim.advanceTo(next);
    sim.truth.cycles.length = 0; // only job records and state intervals are read: keep memory flat
    t = next;
    for (const d of drivers) {
      const on = inWorkingTime(d, t);
      if (d.current && !on && !d.held) {
        d.held = d.m.hold() === 'ok';
      } else if (d.current && on && (d.held || d.retry)) {
        const view = d.m.jobView();
        const r = view?.state === 'loaded' ? d.m.start() : d.m.resume();
        d.retry = r !== 'ok';
        d.held = d.held && d.retry;
      }
      startNext(d, t);
    }
  }
  sim.advanceTo(horizonEnd);
  return { completion, machines: machineFigures(sim, plant, drivers, completion, start, horizonEnd) };
}

function machineFigures(
  sim: PlantSim,
  plant: Plant,
  drivers: { id: string; m: MachineSim; queue: QueuedJob[]; intervals: [number, number][] }[],
  completion: Map<string, number>,
  start: number,
  horizonEnd: number,
): Run['machines'] {
  const out: Run['machines'] = new Map();
  for (const d of drivers) {
    const done = d.queue.every((q) => completion.has(q.jobId));
    const end = done && d.queue.length ? Math.max(...d.queue.map((q) => completion.get(q.jobId)!)) : horizonEnd;
    const overlap = (a: number, b: number) => Math.max(0, Math.min(b, end) - Math.max(a, start));
    const pbtMs = d.intervals.reduce((acc, [a, b]) => acc + overlap(a, b), 0);
    const aptMs = sim.truth.intervals.filter((i) => i.machineId === d.id && i.state === 'running').reduce((acc, i) => acc + overlap(i.from, i.to ?? horizonEnd), 0);
    const cycleOf = new Map(plant.machines.find((m) => m.id === d.id)!.parts.map((p) => [p.partNumber, p.idealCycleS * 1000]));
    let idealMs = 0, good = 0, produced = 0;
    for (const j of sim.truth.jobs.filter((x) => x.machineId === d.id)) {
      idealMs += (cycleOf.get(j.partNumber) ?? 0) * (j.good + j.scrap);
      good += j.good;
      produced += j.good + j.scrap;
    }
    out.set(d.id, { pbtMs, aptMs, idealMs, good, produced, end });
  }
  return out;
}

/** p10 / p50 / p90 by linear interpolation between the closest ranks */
export function spread(values: readonly number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    if (!v.length) return NaN;
    const x = q * (v.length - 1);
    const lo = Math.floor(x);
    const hi = Math.min(v.length - 1, lo + 1);
    return v[lo]! + (v[hi]! - v[lo]!) * (x - lo);
  };
  return { p10: at(0.1), p50: at(0.5), p90: at(0.9) };
}

const spreadOrNull = (values: (number | null)[]) => {
  const known = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return known.length ? spread(known) : null;
};

function summarise(problem: ScheduleProblem, plan: Plan, runs: Run[], horizonEnd: number, ms: number): WhatIfResult {
  const weight = new Map(problem.jobs.map((j) => [j.id, j.weight ?? (j.priority !== undefined ? 10 - j.priority : 1)]));
  const jobs: WhatIfResult['jobs'] = {};
  const planned = plan.machines.flatMap((m) => m.jobs);
  for (const pj of planned) {
    const ends = runs.map((r) => r.completion.get(pj.jobId) ?? horizonEnd);
    jobs[pj.jobId] = {
      machineId: pj.machineId,
      plannedEnd: pj.end,
      dueDate: pj.dueDate,
      completion: spread(ends),
      tardinessMin: spread(ends.map((e) => Math.max(0, (e - pj.dueDate) / minute))),
      lateShare: ends.filter((e) => e > pj.dueDate).length / runs.length,
      unfinishedShare: runs.filter((r) => !r.completion.has(pj.jobId)).length / runs.length,
    };
  }
  const machines: WhatIfResult['machines'] = {};
  for (const id of new Set(runs.flatMap((r) => [...r.machines.keys()]))) {
    const figures = runs.map((r) => r.machines.get(id)!);
    const ratio = (f: (x: (typeof figures)[number]) => [number, number]) => spreadOrNull(figures.map((x) => (f(x)[1] > 0 ? f(x)[0] / f(x)[1] : null)));
    machines[id] = {
      oee: ratio((x) => [x.produced > 0 ? (x.idealMs * x.good) / x.produced : 0, x.pbtMs]),
      availability: ratio((x) => [x.aptMs, x.pbtMs]),
      effectiveness: ratio((x) => [x.idealMs, x.aptMs]),
      quality: ratio((x) => [x.good, x.produced]),
      completion: spread(figures.map((x) => x.end)),
    };
  }
  const perRun = runs.map((r) => {
    let wt = 0, late = 0, last = problem.start;
    for (const pj of planned) {
      const end = r.completion.get(pj.jobId) ?? horizonEnd;
      const tard = Math.max(0, (end - pj.dueDate) / minute);
      wt += weight.get(pj.jobId)! * tard;
      if (tard > 0) late++;
      last = Math.max(last, end);
    }
    let goodIdeal = 0, pbt = 0;
    for (const f of r.machines.values()) {
      goodIdeal += f.produced > 0 ? (f.idealMs * f.good) / f.produced : 0;
      pbt += f.pbtMs;
    }
    return { wt, late, makespan: (last - problem.start) / minute, oee: pbt > 0 ? goodIdeal / pbt : null };
  });
  return {
    seeds: runs.length,
    horizonEnd,
    ms: Math.round(ms),
    jobs,
    machines,
    plant: {
      weightedTardiness: spread(perRun.map((x) => x.wt)),
      lateJobs: spread(perRun.map((x) => x.late)),
      makespanMin: spread(perRun.map((x) => x.makespan)),
      oee: spreadOrNull(perRun.map((x) => x.oee)),
    },
  };
}
