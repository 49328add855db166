import { changeoverMinutes, familyLookup, machineWorkingIntervals, processingMinutes } from './compile.js';
import type { Plan } from './plan.js';
import { parseProblem, type ScheduleProblem } from './problem.js';

const minute = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** plan times are whole ms: each segment may be off by rounding */
const tolMs = 2;

export interface CheckOptions {
  /** the plan this one re-plans: its frozen window must be kept */
  previous?: Plan;
}

/**
 * Feasibility of a plan against its problem, recomputed from the plan's own times (not from the optimiser's
 * state): every job once on an eligible machine; setups and runs only in working time, not overlapping, as
 * long as the changeover rules and the processing times say, runs after the release; running jobs first;
 * locks and the frozen window kept; the reported score equal to the recomputed one. Returns the violations.
 */
export function checkPlan(input: unknown, plan: Plan, opts: CheckOptions = {}): string[] {
  const problem: ScheduleProblem = parseProblem(input);
  const v: string[] = [];
  const jobs = new Map(problem.jobs.map((j) => [j.id, j]));
  const seen = new Map<string, string>();
  const families = familyLookup(problem);
  let wt = 0;
  let setupSum = 0;
  let makespan = 0;
  const horizonEnd = Math.max(problem.start, ...plan.machines.flatMap((m) => m.jobs.map((j) => j.end))) + 86_400_000;
  for (const mp of plan.machines) {
    const machine = problem.machines.find((x) => x.id === mp.machineId);
    if (!machine) {
      v.push(`plan has unknown machine ${mp.machineId}`);
      continue;
    }
    const fam = families(machine);
    const working = machineWorkingIntervals(problem, machine, problem.start, horizonEnd);
    const inWorking = (a: number, b: number) => working.some(([x, y]) => a >= x - tolMs && b <= y + tolMs);
    let prevPart = machine.currentPart;
    let prevEnd = problem.start;
    mp.jobs.forEach((pj, pos) => {
      const job = jobs.get(pj.jobId);
      const at = `${mp.machineId}[${pos}] ${pj.jobId}`;
      if (!job) return void v.push(`${at}: not a job of the problem`);
      if (seen.has(pj.jobId)) v.push(`${at}: also planned on ${seen.get(pj.jobId)}`);
      seen.set(pj.jobId, mp.machineId);
      if (!job.eligibleMachines.includes(mp.machineId)) v.push(`${at}: ${mp.machineId} is not eligible`);
      if (pj.position !== pos) v.push(`${at}: position ${pj.position} reported`);
      const part = machine.parts.find((x) => x.partNumber === job.partNumber);
      if (!part) return void v.push(`${at}: machine has no part ${job.partNumber}`);
      const isRunning = job.running?.machineId === mp.machineId;
      if (job.running && !isRunning) v.push(`${at}: runs on ${job.running.machineId}, planned elsewhere`);
      if (isRunning && pos !== 0) v.push(`${at}: the running job is not first`);
      const qty = isRunning ? (job.running!.remainingQuantity ?? job.quantity) : job.quantity;
      const needSetup = isRunning ? 0 : changeoverMinutes(machine, fam, prevPart, job.partNumber);
      const needRun = processingMinutes(machine, part.idealCycleS, qty);
      let setupMs = 0;
      let runMs = 0;
      let last = prevEnd;
      let ranYet = false;
      for (const seg of pj.segments) {
        if (seg.to < seg.from) v.push(`${at}: segment ends before it starts`);
        if (seg.from < last - tolMs) v.push(`${at}: ${seg.kind} at ${iso(seg.from)} overlaps what comes before it`);
        if (!inWorking(seg.from, seg.to)) v.push(`${at}: ${seg.kind} ${iso(seg.from)}-${iso(seg.to)} is outside working time`);
        if (seg.kind === 'setup') {
          if (ranYet) v.push(`${at}: setup after the run started`);
          setupMs += seg.to - seg.from;
        } else {
          ranYet = true;
          runMs += seg.to - seg.from;
        }
        last = seg.to;
      }
      const segTol = tolMs * (pj.segments.length + 1);
      if (Math.abs(setupMs - needSetup * minute) > segTol)
        v.push(`${at}: setup ${(setupMs / minute).toFixed(3)} min, the changeover from ${prevPart ?? 'unknown'} needs ${needSetup}`);
      if (Math.abs(runMs - needRun * minute) > segTol) v.push(`${at}: runs ${(runMs / minute).toFixed(3)} min, needs ${needRun.toFixed(3)}`);
      const firstRun = pj.segments.find((s) => s.kind === 'run');
      if (firstRun && firstRun.from < (job.releaseAt ?? problem.start) - tolMs && !isRunning) v.push(`${at}: runs before its release`);
      if (firstRun && firstRun.from < problem.start - tolMs) v.push(`${at}: runs before the plan starts`);
      const end = pj.segments.length ? pj.segments[pj.segments.length - 1]!.to : prevEnd;
      if (Math.abs(end - pj.end) > tolMs) v.push(`${at}: end ${pj.end} is not its last segment's end ${end}`);
      const weight = job.weight ?? (job.priority !== undefined ? 10 - job.priority : 1);
      const late = Math.max(0, (end - job.dueDate) / minute);
      wt += weight * late;
      setupSum += needSetup;
      makespan = Math.max(makespan, (end - problem.start) / minute);
      prevPart = job.partNumber;
      prevEnd = end;
    });
    // locks: at their position, or at the end of the sequence when fewer jobs precede them
    for (const l of problem.locks.filter((x) => x.machineId === mp.machineId)) {
      const idx = mp.jobs.findIndex((j) => j.jobId === l.jobId);
      if (idx < 0) {
        v.push(`lock ${l.jobId} on ${l.machineId}: not on that machine`);
        continue;
      }
      if (l.position === undefined || idx === l.position) continue;
      const tailLocked = mp.jobs.slice(idx).every((j) => problem.locks.some((x) => x.jobId === j.jobId && x.machineId === mp.machineId));
      if (idx > l.position || !tailLocked) v.push(`lock ${l.jobId} on ${l.machineId}: at position ${idx}, locked at ${l.position}`);
    }
  }
  for (const l of problem.locks) if (seen.get(l.jobId) !== l.machineId) v.push(`lock ${l.jobId} on ${l.machineId}: planned on ${seen.get(l.jobId) ?? 'no machine'}`);
  for (const j of problem.jobs) if (!seen.has(j.id)) v.push(`job ${j.id} is not planned`);
  if (opts.previous) v.push(...frozenViolations(problem, plan, opts.previous));
  const w = plan.objective;
  const total = w.tardiness * wt + w.setup * setupSum + w.makespan * makespan;
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)) + 0.01;
  if (!close(plan.score.weightedTardiness, wt)) v.push(`score: weighted tardiness ${plan.score.weightedTardiness} reported, ${wt} recomputed`);
  if (!close(plan.score.setupMin, setupSum)) v.push(`score: setup ${plan.score.setupMin} reported, ${setupSum} recomputed`);
  if (!close(plan.score.total, total)) v.push(`score: total ${plan.score.total} reported, ${total} recomputed`);
  if (plan.lowerBound.total > plan.score.total + 1e-6 * Math.max(1, plan.score.total)) v.push(`lower bound ${plan.lowerBound.total} above the score ${plan.score.total}`);
  return v;
}

/**
 * The frozen window: each job the previous plan starts before start + window (and still to do) keeps its
 * machine and its order at the head of that machine (after the running job), and no other job starts inside
 * the window.
 */
function frozenViolations(problem: ScheduleProblem, plan: Plan, previous: Plan): string[] {
  const v: string[] = [];
  const windowEnd = problem.start + problem.frozenWindowMin * minute;
  const present = new Map(problem.jobs.map((j) => [j.id, j]));
  const frozenIds = new Set<string>();
  for (const mp of previous.machines) {
    const frozen = mp.jobs
      .filter((pj) => pj.setupStart < windowEnd && present.has(pj.jobId) && !present.get(pj.jobId)!.running)
      .map((pj) => pj.jobId);
    frozen.forEach((id) => frozenIds.add(id));
    const planned = plan.machines.find((x) => x.machineId === mp.machineId)?.jobs ?? [];
    const now = planned.filter((j) => !present.get(j.jobId)?.running).map((j) => j.jobId);
    const headNow = now.slice(0, frozen.length);
    if (headNow.join() !== frozen.join())
      v.push(`frozen window on ${mp.machineId}: was ${frozen.join(', ') || 'empty'}, now starts ${headNow.join(', ') || 'empty'}`);
  }
  for (const mp of plan.machines)
    for (const pj of mp.jobs)
      if (!frozenIds.has(pj.jobId) && !pj.running && pj.setupStart < windowEnd - tolMs && pj.segments.length)
        v.push(`frozen window: ${pj.jobId} starts on ${mp.machineId} at ${iso(pj.setupStart)}, inside the window`);
  return v;
}
