import type { Plan } from './plan.js';
import { parseProblem, type ScheduleProblem } from './problem.js';

/**
 * The problem at instant `at` had the plan run exactly as planned: jobs ended by then are gone (their
 * machine is set up for their part), a job whose run has begun is running with the quantity its remaining
 * run time makes, and the plan starts at `at`. What a re-plan starts from when an event arrives.
 */
export function advanceProblem(input: unknown, plan: Plan, at: number): ScheduleProblem {
  const problem = parseProblem(input);
  const done = new Set<string>();
  const runningNow = new Map<string, { machineId: string; remainingQuantity: number }>();
  const currentPart = new Map<string, string>();
  for (const mp of plan.machines)
    for (const pj of mp.jobs) {
      if (pj.end <= at) {
        done.add(pj.jobId);
        currentPart.set(mp.machineId, pj.partNumber);
        continue;
      }
      const runs = pj.segments.filter((s) => s.kind === 'run');
      if (!runs.length || runs[0]!.from > at) continue;
      const total = runs.reduce((a, s) => a + s.to - s.from, 0);
      const left = runs.reduce((a, s) => a + Math.max(0, s.to - Math.max(s.from, at)), 0);
      const job = problem.jobs.find((j) => j.id === pj.jobId)!;
      const planned = job.running?.remainingQuantity ?? job.quantity;
      runningNow.set(pj.jobId, { machineId: mp.machineId, remainingQuantity: Math.max(1, Math.ceil((planned * left) / total)) });
      currentPart.set(mp.machineId, pj.partNumber);
    }
  return {
    ...problem,
    start: at,
    machines: problem.machines.map((m) => {
      const part = currentPart.get(m.id);
      return part ? { ...m, currentPart: part } : m;
    }),
    jobs: problem.jobs
      .filter((j) => !done.has(j.id))
      .map((j) => {
        const { running: _, ...rest } = j;
        const r = runningNow.get(j.id);
        return r ? { ...rest, running: r } : rest;
      }),
  };
}

export interface FaultEvent {
  machineId: string;
  at: number;
  /** expected repair time, minutes */
  repairMin: number;
}

/** A machine faults: it cannot work from `at` for the expected repair time. */
export function machineFault(problem: ScheduleProblem, fault: FaultEvent): ScheduleProblem {
  if (!problem.machines.some((m) => m.id === fault.machineId)) throw new Error(`no machine ${fault.machineId}`);
  return {
    ...problem,
    machines: problem.machines.map((m) =>
      m.id === fault.machineId
        ? { ...m, downtime: [...m.downtime, { from: fault.at, to: fault.at + fault.repairMin * 60_000, reason: 'fault' }] }
        : m,
    ),
  };
}
