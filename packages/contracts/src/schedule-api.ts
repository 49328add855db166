import * as z from 'zod';
import type { MachinePlan, Plan, PlannedJob, PlanScore, PlanSegment, ProblemIssue } from '@plant-twin/scheduler';
import { jobIdSchema } from './job-agent.js';
import type { Command } from './twin-api.js';

/**
 * The production schedule (issue 16) under `/api/v1/schedule`: plans made by the cloud from the jobs
 * mirror and the plant model, edited by planners (move, lock, re-optimise), re-planned after events,
 * simulated (what-if) and published to the edge job manager as a `schedule.publish` command. The plan
 * itself is the scheduler's `Plan` (packages/scheduler, imported here as a type only: the job manager
 * reads this file at run time and must not load the optimiser). Times are ms since the epoch (UTC).
 */

export type { MachinePlan, Plan, PlannedJob, PlanScore, PlanSegment, ProblemIssue };

const epochMs = z.number().int().min(0);
const machineId = z.string().regex(/^[A-Z]{2,4}-\d{2}$/, 'must be a machine id like PRS-01');
const uuid = z.uuid('not a plan id');

/** weighted tardiness + changeover minutes (default), makespan, or weights of the three */
export const planObjectiveSchema = z.union([
  z.enum(['tardiness+setup', 'makespan']),
  z.strictObject({ tardiness: z.number().min(0).max(1e6), setup: z.number().min(0).max(1e6), makespan: z.number().min(0).max(1e6) }).refine((w) => w.tardiness + w.setup + w.makespan > 0, 'give at least one weight above 0'),
]);
export type PlanObjective = z.infer<typeof planObjectiveSchema>;

/** the optimiser's budget: wall time, or ticks (a plan is then a pure function of its problem and seed) */
export const maxPlanBudgetMs = 60_000;
const budget = {
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  timeLimitMs: z.number().int().min(0).max(maxPlanBudgetMs).optional(),
  maxTicks: z.number().int().min(0).max(10_000_000).optional(),
};
/** seconds HiGHS may spend on a stronger lower bound of a new or re-optimised plan (default 3; 0: none) */
const boundS = { boundS: z.number().min(0).max(10).optional() };

/** POST /schedule/plans (planner, admin) -> 201 { plan } */
export const createPlanRequestSchema = z.strictObject({
  label: z.string().max(80).optional(),
  objective: planObjectiveSchema.default('tardiness+setup'),
  /** the plan's start (default now): from an hour ago to a week ahead */
  start: epochMs.optional(),
  /** a re-plan of this plan keeps every job it starts within this window where it is (default 120 min) */
  frozenWindowMin: z.number().int().min(0).max(1440).default(120),
  /** open jobs of the mirror left out of this plan (each listed in the plan's `excluded`) */
  exclude: z.array(jobIdSchema).max(1000).default([]),
  ...budget,
  ...boundS,
});
export type CreatePlanRequest = z.input<typeof createPlanRequestSchema>;

/** POST /schedule/plans/:id/move: the job to that machine and 0-based position (locked there), the rest repaired around it */
export const movePlanJobRequestSchema = z.strictObject({ jobId: jobIdSchema, machineId, position: z.number().int().min(0).max(20_000) });
export type MovePlanJobRequest = z.infer<typeof movePlanJobRequestSchema>;
/** POST /schedule/plans/:id/lock: where it is now unless a machine (and position) is given */
export const lockPlanJobRequestSchema = z.strictObject({ jobId: jobIdSchema, machineId: machineId.optional(), position: z.number().int().min(0).max(20_000).optional() });
export type LockPlanJobRequest = z.infer<typeof lockPlanJobRequestSchema>;
export const unlockPlanJobRequestSchema = z.strictObject({ jobId: jobIdSchema });
/** POST /schedule/plans/:id/optimise: improve around the locks */
export const optimisePlanRequestSchema = z.strictObject({ ...budget, ...boundS });
export type OptimisePlanRequest = z.input<typeof optimisePlanRequestSchema>;

/** What happened, for a re-plan from the jobs mirror as it is now. */
export const planEventSchema = z.discriminatedUnion('kind', [
  /** the mirror changed (jobs finished, new orders): plan again from it */
  z.strictObject({ kind: z.literal('refresh') }),
  /** a machine faults now and is expected back after repairMin */
  z.strictObject({ kind: z.literal('fault'), machineId, repairMin: z.number().min(1).max(10_080) }),
  /** a rush order: a job already in the mirror made urgent, or one given here (taken into this plan only) */
  z.strictObject({
    kind: z.literal('rush'),
    jobId: jobIdSchema,
    partNumber: z.string().min(1).max(24).optional(),
    quantity: z.number().int().min(1).max(10_000_000).optional(),
    dueDate: epochMs.optional(),
    priority: z.number().int().min(1).max(9).default(1),
    eligibleMachines: z.array(machineId).min(1).max(64).optional(),
  }),
  /** a job finished before its planned end (its machine is free for the next one) */
  z.strictObject({ kind: z.literal('finished'), jobId: jobIdSchema }),
]);
export type PlanEvent = z.infer<typeof planEventSchema>;
/** POST /schedule/plans/:id/replan: the first feasible plan at once, improved within the budget (default 2 s) */
export const replanRequestSchema = z.strictObject({ event: planEventSchema, ...budget });
export type ReplanRequest = z.input<typeof replanRequestSchema>;

/** POST /schedule/plans/:id/whatif: the plan run through the machines' behaviour model */
export const maxWhatIfSeeds = 20;
export const maxWhatIfHorizonH = 336;
export const whatIfRequestSchema = z.strictObject({
  seeds: z.number().int().min(1).max(maxWhatIfSeeds).default(5),
  /** simulated hours from the plan's start (default: the plan's makespan and half again, at least 8 h) */
  horizonH: z.number().min(1).max(maxWhatIfHorizonH).optional(),
});
export type WhatIfRequest = z.input<typeof whatIfRequestSchema>;

/** POST /schedule/plans/:id/publish -> 202 { command, plan } */
export const publishPlanRequestSchema = z.strictObject({ reason: z.string().max(200).optional() });

/** GET /schedule/plans?limit= */
export const plansQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
/** GET /schedule/compare?a=&b= */
export const compareQuerySchema = z.strictObject({ a: uuid, b: uuid });

/** Planned maintenance: no production on the machine inside the window (engineers and planners declare them). */
export const maintenanceWindowRequestSchema = z
  .strictObject({ machineId, from: epochMs, to: epochMs, reason: z.string().min(1).max(200) })
  .refine((w) => w.to > w.from, { path: ['to'], message: 'must be after from' })
  .refine((w) => w.to - w.from <= 14 * 86_400_000, { path: ['to'], message: 'a window lasts at most 14 days' });
export type MaintenanceWindowRequest = z.infer<typeof maintenanceWindowRequestSchema>;
export const maintenanceQuerySchema = z.strictObject({ from: z.coerce.number().int().min(0).optional(), to: z.coerce.number().int().min(0).optional(), machineId: machineId.optional() });
export interface MaintenanceWindow extends MaintenanceWindowRequest {
  id: number;
  createdBy: string;
  createdAt: number;
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** How a machine's processing times were derived (ideal cycle / (performance x availability x (1 - scrap))). */
export interface MachineRates {
  performance: number;
  availability: number;
  scrapRate: number;
  /** machine: its own OEE history; plant: the plant's (too little of its own); ideal: no history at all */
  source: 'machine' | 'plant' | 'ideal';
  /** production time the figures come from, hours */
  hours: number;
}

/** What the planner reads beside each job: the mirror's order data and the alternatives it had. */
export interface PlanJobInfo {
  orderId: string;
  priority: number;
  quantity: number;
  good: number;
  status: string;
  /** processing minutes on each eligible machine */
  eligible: { machineId: string; processingMin: number }[];
}

export type PlanOperation =
  | { kind: 'create' }
  | { kind: 'move'; jobId: string; machineId: string; position: number }
  | { kind: 'lock'; jobId: string; machineId: string; position?: number | undefined }
  | { kind: 'unlock'; jobId: string }
  | { kind: 'optimise' }
  | { kind: 'replan'; event: PlanEvent };

export interface PlanPublication {
  commandId: string;
  status: 'pending' | 'delivered' | 'applied' | 'refused' | 'expired';
  reason?: string;
  by: string;
  at: number;
}

/** A plan as the cloud keeps it: the scheduler's plan with where it came from. */
export interface StoredPlan {
  id: string;
  /** the plan this one was made from (an edit or a re-plan), null for a new plan */
  parentId: string | null;
  operation: PlanOperation;
  label: string | null;
  createdBy: string;
  createdAt: number;
  objective: PlanObjective;
  seed: number;
  frozenWindowMin: number;
  /** planner locks in force */
  locks: { jobId: string; machineId: string; position?: number | undefined }[];
  rates: Record<string, MachineRates>;
  /** jobs the planner left out (kept by edits and re-plans) */
  exclude: string[];
  excluded: { jobId: string; reason: string }[];
  /** what the cloud changed in the planner's input to plan it (a lock kept on its machine only, a lock dropped) */
  notes: string[];
  jobs: Record<string, PlanJobInfo>;
  /** per machine, its non-working time within the plan's span (breaks, shift gaps, maintenance) */
  offShift: Record<string, { from: number; to: number; kind: 'off' | 'maintenance'; reason?: string | undefined }[]>;
  plan: Plan;
  /** the feasibility checker's findings on this plan (empty: feasible) */
  violations: string[];
  publication: PlanPublication | null;
  whatIf: WhatIfResult | null;
}

export type PlanSummary = Omit<StoredPlan, 'plan' | 'jobs' | 'offShift' | 'whatIf' | 'rates'> & { score: PlanScore; lowerBound: number; gap: number; jobCount: number };
export interface PlanAnswer {
  plan: StoredPlan;
}
export interface PlansAnswer {
  plans: PlanSummary[];
}

/** p10 / p50 / p90 over the simulated runs */
export interface Spread {
  p10: number;
  p50: number;
  p90: number;
}

export interface WhatIfResult {
  seeds: number;
  horizonEnd: number;
  /** ms of computation */
  ms: number;
  jobs: Record<string, {
    machineId: string;
    plannedEnd: number;
    dueDate: number;
    /** a run that did not finish it within the horizon counts the horizon's end (a lower bound) */
    completion: Spread;
    tardinessMin: Spread;
    /** share of runs in which it was late (unfinished at the horizon after its due date counts as late) */
    lateShare: number;
    unfinishedShare: number;
  }>;
  machines: Record<string, { oee: Spread | null; availability: Spread | null; effectiveness: Spread | null; quality: Spread | null; completion: Spread }>;
  plant: { weightedTardiness: Spread; lateJobs: Spread; makespanMin: Spread; oee: Spread | null };
}
/** POST /schedule/plans/:id/publish: one command per edge (the first as `command`), and the plan with its publication */
export interface PublishAnswer {
  command: Command;
  commands: Command[];
  plan: StoredPlan;
}
export interface WhatIfAnswer {
  planId: string;
  whatIf: WhatIfResult;
}

export interface PlanMove {
  jobId: string;
  from: { machineId: string; position: number; start: number } | null;
  to: { machineId: string; position: number; start: number } | null;
}
/** GET /schedule/compare: the two scores side by side and the jobs placed differently */
export interface CompareAnswer {
  a: PlanSummary;
  b: PlanSummary;
  /** b minus a, per part of the score */
  delta: PlanScore;
  moved: PlanMove[];
  /** each plan's simulated plant figures, where its what-if was run (same seeds: the same machine luck) */
  whatIf: { a: (WhatIfResult['plant'] & { seeds: number }) | null; b: (WhatIfResult['plant'] & { seeds: number }) | null };
}

/** An input the scheduler cannot plan, each reason named (the job and the machine where there is one). */
export interface ScheduleRefusal {
  error: string;
  issues: (ProblemIssue & { jobId?: string; machineId?: string })[];
}

// ---------------------------------------------------------------------------------------------
// The command to the edge
// ---------------------------------------------------------------------------------------------

/**
 * `schedule.publish` arguments (command target: the plan id): per machine, the job ids in the order the
 * machine is to run them (jobs already on a machine left out), and the frozen window's end.
 */
export const schedulePublishArgsSchema = z.strictObject({
  planId: uuid,
  planCreatedAt: epochMs,
  machines: z.record(machineId, z.array(jobIdSchema).max(5000)).refine((m) => Object.keys(m).length <= 500, 'at most 500 machines'),
  frozenUntil: epochMs,
  publishedBy: z.string().max(64),
});
export type SchedulePublishArgs = z.infer<typeof schedulePublishArgsSchema>;
