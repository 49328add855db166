import { partSchema, shiftSchema } from '@plant-twin/plant-model';
import * as z from 'zod';

/** An instant: ms since the Unix epoch, or an ISO 8601 date-time with an offset. */
export const instantSchema = z
  .union([z.number().int().min(0).max(8.64e15), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const machineId = z.string().min(1).max(64);
const jobId = z.string().min(1).max(128);

export const scheduleMachineSchema = z.strictObject({
  id: machineId,
  /** the parts it makes, with their family and ideal cycle time (the plant model's parts) */
  parts: z.array(partSchema).min(1).max(1000),
  /** changeover between part families, and between parts of one family, minutes (the plant model's behaviour) */
  setupMin: z.number().min(0).max(10_080),
  setupSameFamilyMin: z.number().min(0).max(10_080).default(0),
  /** measured speed against the ideal cycle (OEE performance), 0-2 */
  performance: z.number().gt(0).max(2).default(1),
  /** share of planned time expected to run (OEE availability): less than 1 plans for unplanned stops */
  availability: z.number().gt(0).max(1).default(1),
  /** measured scrap share: quantity / (1 - scrapRate) parts are started for quantity good ones */
  scrapRate: z.number().min(0).max(0.95).default(0),
  /** part it is set up for now (no changeover into it); unknown: a full changeover first */
  currentPart: z.string().min(1).max(24).optional(),
  /** its own shift calendar, when it differs from the plant's */
  shifts: z.array(shiftSchema).min(1).max(20).optional(),
  /** planned maintenance and known outages: no production inside */
  downtime: z
    .array(z.strictObject({ from: instantSchema, to: instantSchema, reason: z.string().max(200).optional() }))
    .max(1000)
    .default([]),
});

export const scheduleJobSchema = z.strictObject({
  id: jobId,
  partNumber: z.string().min(1).max(24),
  quantity: z.number().int().min(1).max(10_000_000),
  dueDate: instantSchema,
  /** weight of its tardiness; or priority 1 (most urgent) - 9 as the job manager has it, weight 10 - priority */
  weight: z.number().positive().max(1000).optional(),
  priority: z.number().int().min(1).max(9).optional(),
  /** not before (material arrives); default: now */
  releaseAt: instantSchema.optional(),
  eligibleMachines: z.array(machineId).max(500),
  /** running now on this machine: fixed first there, no changeover; remainingQuantity defaults to quantity */
  running: z.strictObject({ machineId, remainingQuantity: z.number().int().min(0).max(10_000_000).optional() }).optional(),
});

export const objectiveSchema = z
  .union([
    z.enum(['tardiness+setup', 'makespan']),
    z.strictObject({ tardiness: z.number().min(0).max(1e6), setup: z.number().min(0).max(1e6), makespan: z.number().min(0).max(1e6) }),
  ])
  .default('tardiness+setup');

export const scheduleProblemSchema = z.strictObject({
  /** the plan's start: now */
  start: instantSchema,
  /** the plant's IANA time zone: shifts and breaks are local times */
  timezone: z.string().min(1).max(64).default('UTC'),
  shifts: z.array(shiftSchema).min(1).max(20),
  machines: z.array(scheduleMachineSchema).min(1).max(500),
  jobs: z.array(scheduleJobSchema).max(20_000),
  /** planner locks: the job on this machine, at this 0-based position of its sequence when given */
  locks: z
    .array(z.strictObject({ jobId, machineId, position: z.number().int().min(0).max(20_000).optional() }))
    .max(20_000)
    .default([]),
  /** a re-plan keeps every job the previous plan starts within this window where it was, and starts nothing new in it */
  frozenWindowMin: z.number().min(0).max(10_080).default(0),
  /** weighted tardiness (weight x minutes) + changeover minutes (default), makespan, or weights of the three */
  objective: objectiveSchema,
});

export type ScheduleProblemInput = z.input<typeof scheduleProblemSchema>;
export type ScheduleProblem = z.output<typeof scheduleProblemSchema>;
export type ScheduleJob = z.output<typeof scheduleJobSchema>;
export type ScheduleMachine = z.output<typeof scheduleMachineSchema>;

export interface ProblemIssue {
  severity: 'error' | 'warning';
  code: string;
  /** where in the problem, e.g. jobs[3].eligibleMachines */
  path: string;
  message: string;
}

/** A problem the scheduler cannot plan, with every reason. */
export class ProblemError extends Error {
  constructor(readonly issues: ProblemIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(
      errors.length === 1
        ? `${errors[0]!.path}: ${errors[0]!.message}`
        : `${errors.length} problems:\n${errors.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ProblemError';
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(root)';
}

/** Validates a planner's problem; throws ProblemError naming every malformed field. */
export function parseProblem(input: unknown): ScheduleProblem {
  const r = scheduleProblemSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ProblemError(r.error.issues.map((i) => ({ severity: 'error', code: 'invalid', path: pathOf(i.path), message: i.message })));
}

export function objectiveWeights(objective: ScheduleProblem['objective']): { tardiness: number; setup: number; makespan: number } {
  if (objective === 'tardiness+setup') return { tardiness: 1, setup: 1, makespan: 0 };
  if (objective === 'makespan') return { tardiness: 0, setup: 0, makespan: 1 };
  return objective;
}
