import type { Shift } from '@plant-twin/plant-model';
import { WorkCalendar } from './calendar.js';
import { makeInstance, type Instance } from './instance.js';
import { objectiveWeights, ProblemError, type ProblemIssue, type ScheduleMachine, type ScheduleProblem } from './problem.js';
import { isTimeZone, shiftIntervals, subtract } from './shift-calendar.js';

const minute = 60_000;
const maxHorizonDays = 730;

export interface CompileOptions {
  /** per machine id, jobs fixed after its running job in this order (a re-plan's frozen window) */
  frozen?: ReadonlyMap<string, readonly string[]>;
  /** a job whose eligible machines have no working time before its due date: an error (default) or a warning */
  dueWithoutCapacity?: 'error' | 'warning';
}

/** A problem compiled for the optimiser: the numeric instance and the names behind its indices. */
export interface Compiled {
  problem: ScheduleProblem;
  inst: Instance;
  jobIds: string[];
  machineIds: string[];
  /** setup class (part) names by index */
  parts: string[];
  /** wall-time calendars per machine, minutes from the start */
  calendars: WorkCalendar[];
  /** the minimum wall start of non-frozen jobs, minutes from the start */
  frozenUntilMin: number;
  warnings: ProblemIssue[];
}

/** the work of `quantity` good parts on a machine, minutes */
export function processingMinutes(machine: ScheduleMachine, idealCycleS: number, quantity: number): number {
  return (idealCycleS * quantity) / (machine.performance * machine.availability * (1 - machine.scrapRate)) / 60;
}

/** changeover on a machine from part a (undefined: unknown state) to part b, minutes */
export function changeoverMinutes(machine: ScheduleMachine, familyOf: (part: string) => string | undefined, a: string | undefined, b: string): number {
  if (a === undefined) return machine.setupMin;
  if (a === b) return 0;
  const fa = familyOf(a);
  return fa !== undefined && fa === familyOf(b) ? machine.setupSameFamilyMin : machine.setupMin;
}

/** the family of a part: as the machine knows it, else as any machine does */
export function familyLookup(problem: ScheduleProblem): (machine: ScheduleMachine) => (part: string) => string | undefined {
  const global = new Map<string, string>();
  for (const m of problem.machines) for (const p of m.parts) if (!global.has(p.partNumber)) global.set(p.partNumber, p.family);
  return (machine) => {
    const own = new Map(machine.parts.map((p) => [p.partNumber, p.family]));
    return (part) => own.get(part) ?? global.get(part);
  };
}

/** Working intervals of a machine in UTC ms over [fromMs, toMs): its shifts, minus downtime. */
export function machineWorkingIntervals(problem: ScheduleProblem, machine: ScheduleMachine, fromMs: number, toMs: number): [number, number][] {
  const shifts: Shift[] = machine.shifts ?? problem.shifts;
  const raw = shiftIntervals(shifts, problem.timezone, fromMs, toMs);
  return subtract(raw, machine.downtime.map((d) => [d.from, d.to]));
}

/**
 * Checks a parsed problem and compiles it into the optimiser's instance. Throws ProblemError with every error
 * (a job with no eligible machine, a lock on an ineligible machine, no working time before a due date, ...).
 */
export function compileProblem(problem: ScheduleProblem, opts: CompileOptions = {}): Compiled {
  const issues: ProblemIssue[] = [];
  const error = (code: string, path: string, message: string) => issues.push({ severity: 'error', code, path, message });
  const warn = (code: string, path: string, message: string) => issues.push({ severity: 'warning', code, path, message });
  const start = problem.start;
  if (!isTimeZone(problem.timezone)) error('invalid', 'timezone', `unknown time zone "${problem.timezone}"`);

  const machineIndex = new Map<string, number>();
  problem.machines.forEach((m, k) => {
    if (machineIndex.has(m.id)) error('duplicate-machine', `machines[${k}].id`, `duplicate machine id ${m.id}`);
    else machineIndex.set(m.id, k);
    m.downtime.forEach((d, i) => {
      if (d.to <= d.from) error('invalid', `machines[${k}].downtime[${i}]`, 'downtime must end after it starts');
    });
  });
  const jobIndex = new Map<string, number>();
  problem.jobs.forEach((j, i) => {
    if (jobIndex.has(j.id)) error('duplicate-job', `jobs[${i}].id`, `duplicate job id ${j.id}`);
    else jobIndex.set(j.id, i);
  });
  const parts: string[] = [];
  const partIndex = new Map<string, number>();
  const classOf = (part: string) => {
    let c = partIndex.get(part);
    if (c === undefined) {
      c = parts.length;
      parts.push(part);
      partIndex.set(part, c);
    }
    return c;
  };
  for (const m of problem.machines) for (const p of m.parts) classOf(p.partNumber);

  // eligibility and processing times
  const m = problem.machines.length;
  const p: (number | null)[][] = [];
  const runningOn = new Map<number, number>();
  problem.jobs.forEach((job, j) => {
    const row = new Array<number | null>(m).fill(null);
    const at = `jobs[${j}]`;
    if (job.weight !== undefined && job.priority !== undefined) error('invalid', at, 'give weight or priority, not both');
    if (job.eligibleMachines.length === 0) error('no-eligible-machine', `${at}.eligibleMachines`, `job ${job.id} has no eligible machine`);
    job.eligibleMachines.forEach((id, e) => {
      const k = machineIndex.get(id);
      if (k === undefined) return error('unknown-machine', `${at}.eligibleMachines[${e}]`, `job ${job.id}: no machine ${id}`);
      const machine = problem.machines[k]!;
      const part = machine.parts.find((x) => x.partNumber === job.partNumber);
      if (!part) {
        const message = `job ${job.id}: machine ${id} has no part ${job.partNumber} (no cycle time)`;
        return error('part-not-on-machine', `${at}.eligibleMachines[${e}]`, message);
      }
      const qty = job.running && job.running.machineId === id ? (job.running.remainingQuantity ?? job.quantity) : job.quantity;
      row[k] = Math.max(processingMinutes(machine, part.idealCycleS, qty), 1e-6);
    });
    if (job.running) {
      const k = machineIndex.get(job.running.machineId);
      const on = job.running.machineId;
      if (k === undefined) error('unknown-machine', `${at}.running.machineId`, `job ${job.id} runs on unknown machine ${on}`);
      else if (!job.eligibleMachines.includes(on))
        error('running-ineligible', `${at}.running.machineId`, `job ${job.id} runs on ${on}, which is not among its eligible machines`);
      else if (runningOn.has(k)) error('two-running', `${at}.running`, `machine ${on} already runs job ${problem.jobs[runningOn.get(k)!]!.id}`);
      else {
        runningOn.set(k, j);
        // a running job stays where it is: only its machine is eligible
        for (let q = 0; q < m; q++) if (q !== k) row[q] = null;
      }
    }
    p.push(row);
  });

  // heads: running job, then the frozen jobs
  const head: number[][] = Array.from({ length: m }, () => []);
  for (const [k, j] of runningOn) head[k]!.push(j);
  const inHead = new Set<number>(runningOn.values());
  for (const [id, jobs] of opts.frozen ?? []) {
    const k = machineIndex.get(id);
    if (k === undefined) continue;
    for (const jid of jobs) {
      const j = jobIndex.get(jid);
      if (j === undefined || inHead.has(j) || p[j]![k] === null) continue;
      head[k]!.push(j);
      inHead.add(j);
      for (let q = 0; q < m; q++) if (q !== k) p[j]![q] = null;
    }
  }

  // locks
  const locks: { job: number; position: number }[][] = Array.from({ length: m }, () => []);
  const lockedJobs = new Set<number>();
  problem.locks.forEach((l, i) => {
    const at = `locks[${i}]`;
    const j = jobIndex.get(l.jobId);
    const k = machineIndex.get(l.machineId);
    if (j === undefined) return error('unknown-job', `${at}.jobId`, `lock names unknown job ${l.jobId}`);
    if (k === undefined) return error('unknown-machine', `${at}.machineId`, `lock names unknown machine ${l.machineId}`);
    if (lockedJobs.has(j)) return error('duplicate-lock', at, `job ${l.jobId} is locked twice`);
    lockedJobs.add(j);
    const eligible = problem.jobs[j]!.eligibleMachines;
    if (!eligible.includes(l.machineId)) {
      const message = `job ${l.jobId} is locked on ${l.machineId}, which is not among its eligible machines (${eligible.join(', ') || 'none'})`;
      return error('lock-ineligible-machine', at, message);
    }
    if (inHead.has(j)) {
      const where = head.findIndex((h) => h.includes(j));
      if (where !== k) error('lock-conflict', at, `job ${l.jobId} is running or frozen on ${problem.machines[where]!.id}; it cannot be locked on ${l.machineId}`);
      return;
    }
    const position = l.position ?? Number.MAX_SAFE_INTEGER;
    if (position < head[k]!.length)
      return error('lock-inside-frozen', `${at}.position`, `position ${position} on ${l.machineId} is taken by its running or frozen jobs (${head[k]!.length})`);
    if (l.position !== undefined && locks[k]!.some((x) => x.position === position))
      return error('lock-conflict', `${at}.position`, `two jobs are locked at position ${position} of ${l.machineId}`);
    locks[k]!.push({ job: j, position });
    for (let q = 0; q < m; q++) if (q !== k) p[j]![q] = null;
  });
  for (const l of locks) l.sort((a, b) => a.position - b.position);
  if (issues.some((i) => i.severity === 'error')) throw new ProblemError(issues);

  // setups by part family per machine
  const nCls = parts.length;
  if (m * nCls * nCls > 40_000_000) {
    const message = `${nCls} distinct parts on ${m} machines is beyond the scheduler's bound`;
    throw new ProblemError([{ severity: 'error', code: 'too-large', path: 'machines', message }]);
  }
  const families = familyLookup(problem);
  const setup: Float64Array[] = [];
  const setupFirst: Float64Array[] = [];
  problem.machines.forEach((machine, k) => {
    const fam = families(machine);
    const famIdx = parts.map((x) => fam(x));
    const S = new Float64Array(nCls * nCls);
    for (let a = 0; a < nCls; a++)
      for (let b = 0; b < nCls; b++)
        S[a * nCls + b] = a === b ? 0 : famIdx[a] !== undefined && famIdx[a] === famIdx[b] ? machine.setupSameFamilyMin : machine.setupMin;
    setup.push(S);
    const running = runningOn.get(k);
    const current = running !== undefined ? problem.jobs[running]!.partNumber : machine.currentPart;
    const F = new Float64Array(nCls);
    for (let b = 0; b < nCls; b++) F[b] = changeoverMinutes(machine, fam, current, parts[b]!);
    setupFirst.push(F);
  });

  // calendars over a horizon long enough for every job on any machine it may take
  const frozenUntilMin = opts.frozen ? problem.frozenWindowMin : 0;
  // running jobs run now; frozen ones keep their own release; the rest also wait for the frozen window's end
  const running = new Set(runningOn.values());
  const release = problem.jobs.map((job, j) => {
    const own = Math.max(0, ((job.releaseAt ?? start) - start) / minute);
    return running.has(j) ? 0 : inHead.has(j) ? own : Math.max(frozenUntilMin, own);
  });
  const due = problem.jobs.map((job) => (job.dueDate - start) / minute);
  const calendars = buildCalendars(problem, p, release, due);
  calendars.forEach((cal, k) => {
    if (cal.capacity === 0 && p.some((row) => row[k] !== null))
      error('no-capacity', `machines[${k}]`, `machine ${problem.machines[k]!.id} has no working time in the next ${maxHorizonDays} days (shifts and downtime)`);
  });
  problem.jobs.forEach((job, j) => {
    if (inHead.has(j)) return;
    const at = `jobs[${j}].dueDate`;
    // its own release: a frozen window that delays it is the planner's choice, not a data problem
    const from = Math.max(0, ((job.releaseAt ?? start) - start) / minute);
    if (due[j]! <= 0) return warn('overdue', at, `job ${job.id} is already due (${new Date(job.dueDate).toISOString()})`);
    if (due[j]! <= from) return warn('released-after-due', at, `job ${job.id} is released after its due date`);
    const capacity = Math.max(...p[j]!.map((x, k) => (x === null ? 0 : calendars[k]!.workBetween(from, due[j]!))));
    if (capacity === 0) {
      const message = `job ${job.id}: its eligible machines (${job.eligibleMachines.join(', ')}) have no working time between ${new Date(start + from * minute).toISOString()} and its due date ${new Date(job.dueDate).toISOString()} (shift calendar and downtime)`;
      if ((opts.dueWithoutCapacity ?? 'error') === 'error') error('no-capacity-before-due', at, message);
      else warn('no-capacity-before-due', at, message);
    }
  });
  if (issues.some((i) => i.severity === 'error')) throw new ProblemError(issues);

  const weight = problem.jobs.map((job) => job.weight ?? (job.priority !== undefined ? 10 - job.priority : 1));
  const inst = makeInstance({
    m,
    p,
    cls: problem.jobs.map((job) => classOf(job.partNumber)),
    nCls,
    setup,
    setupFirst,
    release,
    due,
    weight,
    calendars,
    head,
    locks,
    cost: objectiveWeights(problem.objective),
    freeFrom: frozenUntilMin,
  });
  return {
    problem,
    inst,
    jobIds: problem.jobs.map((j) => j.id),
    machineIds: problem.machines.map((x) => x.id),
    parts,
    calendars,
    frozenUntilMin,
    warnings: issues.filter((i) => i.severity === 'warning'),
  };
}

/** doubles the horizon until every machine could take all its eligible work after the last release or due date */
function buildCalendars(problem: ScheduleProblem, p: (number | null)[][], release: number[], due: number[]): WorkCalendar[] {
  const m = problem.machines.length;
  const latest = Math.max(0, ...release, ...due.filter(Number.isFinite));
  const need = new Array<number>(m).fill(0);
  for (const row of p)
    row.forEach((x, k) => {
      if (x !== null) need[k]! += x + Math.max(problem.machines[k]!.setupMin, problem.machines[k]!.setupSameFamilyMin);
    });
  let days = Math.min(maxHorizonDays, Math.max(7, Math.ceil(latest / 1440) + 7));
  for (;;) {
    const toMs = problem.start + days * 86_400_000;
    // the plant's shifts once, each machine's own shifts where it has them, minus its downtime
    const plantShifts = shiftIntervals(problem.shifts, problem.timezone, problem.start, toMs);
    const cals = problem.machines.map((machine) => {
      const raw = machine.shifts ? shiftIntervals(machine.shifts, problem.timezone, problem.start, toMs) : plantShifts;
      const working = subtract(raw, machine.downtime.map((d) => [d.from, d.to]));
      return new WorkCalendar(working.map(([a, b]) => [(a - problem.start) / minute, (b - problem.start) / minute] as const));
    });
    const enough = cals.every((cal, k) => need[k] === 0 || cal.capacity - cal.work(latest) >= need[k]!);
    if (enough || days >= maxHorizonDays) return cals;
    days = Math.min(maxHorizonDays, days * 2);
  }
}
