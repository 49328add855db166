import { describe, expect, it } from 'vitest';
import { checkPlan } from './check.js';
import type { Plan } from './plan.js';
import type { ScheduleProblemInput } from './problem.js';
import { replan, schedule } from './solve.js';
import { minute, monday6, smallProblem } from './testing/problems.js';

const clone = (p: Plan): Plan => structuredClone(p);
const input = smallProblem(6);
const plan = schedule(input, { seed: 4, maxTicks: 400 });
const busy = () => plan.machines.find((m) => m.jobs.length >= 2)!;

/** the plan with one change: the checker must name it */
function violationsAfter(change: (p: Plan) => void, problem: ScheduleProblemInput = input, previous?: Plan): string[] {
  const p = clone(plan);
  change(p);
  return checkPlan(problem, p, previous ? { previous } : {});
}

describe('checkPlan', () => {
  it('passes the optimiser plan', () => {
    expect(checkPlan(input, plan)).toEqual([]);
  });

  it('finds an ineligible machine, a missing and a doubled job', () => {
    expect(
      violationsAfter((p) => {
        const j2 = p.machines.flatMap((m) => m.jobs).find((j) => j.jobId === 'J2')!;
        j2.machineId = 'M-1';
        const m2 = p.machines.find((m) => m.machineId === 'M-2')!;
        m2.jobs = m2.jobs.filter((j) => j.jobId !== 'J2');
        const m1 = p.machines.find((m) => m.machineId === 'M-1')!;
        m1.jobs.push({ ...j2, position: m1.jobs.length });
      }).join('\n'),
    ).toMatch(/J2: M-1 is not eligible/);
    const dropped = violationsAfter((p) => {
      p.machines.find((m) => m.machineId === busy().machineId)!.jobs.pop();
    });
    expect(dropped.join('\n')).toMatch(/is not planned/);
    expect(
      violationsAfter((p) => {
        const other = p.machines.find((m) => m.machineId !== busy().machineId)!;
        const j = p.machines.find((m) => m.machineId === busy().machineId)!.jobs[0]!;
        other.jobs.push({ ...j, machineId: other.machineId, position: other.jobs.length });
      }).join('\n'),
    ).toMatch(/also planned on/);
  });

  it('finds work outside working time, overlaps, short setups and short runs', () => {
    const breakFrom = monday6 + 180 * minute;
    expect(
      violationsAfter((p) => {
        const j = p.machines.find((m) => m.machineId === busy().machineId)!.jobs.at(-1)!;
        j.segments = [{ kind: 'run', from: breakFrom, to: breakFrom + 10 * minute }];
      }).join('\n'),
    ).toMatch(/outside working time/);
    expect(
      violationsAfter((p) => {
        const jobs = p.machines.find((m) => m.machineId === busy().machineId)!.jobs;
        const shift = jobs[1]!.segments[0]!.from - jobs[0]!.segments[0]!.from;
        for (const s of jobs[1]!.segments) {
          s.from -= shift;
          s.to -= shift;
        }
      }).join('\n'),
    ).toMatch(/overlaps what comes before it/);
    expect(
      violationsAfter((p) => {
        const j = p.machines.flatMap((m) => m.jobs).find((x) => x.segments.some((s) => s.kind === 'setup'))!;
        j.segments = j.segments.filter((s) => s.kind !== 'setup');
      }).join('\n'),
    ).toMatch(/setup 0.000 min, the changeover from .* needs/);
    expect(
      violationsAfter((p) => {
        const j = p.machines[0]!.jobs[0]!;
        const run = j.segments.find((s) => s.kind === 'run')!;
        run.to -= 5 * minute;
      }).join('\n'),
    ).toMatch(/runs .* min, needs/);
  });

  it('finds a wrong score, a lock not kept, a running job not first, and a bound above the score', () => {
    expect(violationsAfter((p) => void (p.score.total -= 10)).join('\n')).toMatch(/score: total/);
    expect(violationsAfter((p) => void (p.lowerBound.total = p.score.total + 1)).join('\n')).toMatch(/lower bound/);
    const m = busy();
    const lastId = m.jobs.at(-1)!.jobId;
    const locked: ScheduleProblemInput = { ...input, locks: [{ jobId: lastId, machineId: m.machineId, position: 0 }] };
    expect(checkPlan(locked, plan).join('\n')).toMatch(new RegExp(`lock ${lastId} on ${m.machineId}: at position`));
    const running = structuredClone(input);
    running.jobs!.find((j) => j.id === lastId)!.running = { machineId: m.machineId };
    expect(checkPlan(running, plan).join('\n')).toMatch(/the running job is not first/);
  });

  it('finds a re-plan that changes the frozen window or starts a job inside it', () => {
    const frozenInput: ScheduleProblemInput = { ...input, frozenWindowMin: 120 };
    const re = replan(frozenInput, plan, { seed: 1, maxTicks: 200 });
    expect(checkPlan(frozenInput, re, { previous: plan })).toEqual([]);
    const swapped = clone(re);
    const jobs = swapped.machines.find((x) => x.jobs.length >= 2 && x.jobs[0]!.frozen && x.jobs[1]!.frozen)?.jobs;
    expect(jobs).toBeDefined();
    [jobs![0], jobs![1]] = [jobs![1]!, jobs![0]!];
    expect(checkPlan(frozenInput, swapped, { previous: plan }).join('\n')).toMatch(/frozen window on .*: was/);
  });
});
