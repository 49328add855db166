import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import {
  compareQuerySchema,
  createPlanRequestSchema,
  lockPlanJobRequestSchema,
  maintenanceQuerySchema,
  maintenanceWindowRequestSchema,
  maxPlanBudgetMs,
  maxWhatIfHorizonH,
  movePlanJobRequestSchema,
  optimisePlanRequestSchema,
  plansQuerySchema,
  publishPlanRequestSchema,
  replanRequestSchema,
  unlockPlanJobRequestSchema,
  whatIfRequestSchema,
  type PlanAnswer,
  type PlanOperation,
  type PlansAnswer,
  type PublishAnswer,
  type StoredPlan,
} from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { HttpError, validate, type Logger } from '@plant-twin/runtime';
import type { ScheduleProblemInput } from '@plant-twin/scheduler';
import { anyRole, planners, principalOf, type AuthedRequest, type Endpoint } from '../auth/guard.js';
import { audit } from '../auth/users.js';
import type { HistoryReads } from '../bounds.js';
import type { CommandSignals } from '../commands/signals.js';
import type { CloudTables } from '../db/schema.js';
import type { LiveHub } from '../live/hub.js';
import type { OeeModel } from '../oee/model.js';
import { comparePlans } from './compare.js';
import { PlanningPool, type Lane } from './pool.js';
import { buildProblem, currentParts, openMirrorJobs, refusal, type BuiltProblem, type PlanLock, type ProblemChoices } from './problem.js';
import { publishPlan } from './publish.js';
import { MachineRatesSource } from './rates.js';
import { deleteMaintenance, getPlan, insertMaintenance, insertPlan, listMaintenance, listPlans, setWhatIf, summaryOf, type NewPlan } from './store.js';
import type { PlanTask, SolveOptions } from './tasks.js';

export interface ScheduleRoutesDeps {
  db: Kysely<CloudTables>;
  plant: Plant;
  model: OeeModel;
  reads: HistoryReads;
  endpoint: Endpoint;
  hub: LiveHub;
  signals: CommandSignals;
  /** lifetime of a schedule.publish command (the command channel's default) */
  lifetimeMs: number;
  log: Logger;
  pool?: PlanningPool;
  rates?: MachineRatesSource;
}

/** who may declare planned maintenance */
const maintainers = ['planner', 'engineer', 'admin'] as const;
const planIdParam = z.uuid('not a plan id');
/** budgets; new and re-optimised plans also get up to `boundS` of HiGHS for a stronger lower bound */
const defaults = { createMs: 5000, optimiseMs: 5000, replanMs: 1500, boundS: 3, whatIfTimeoutMs: 180_000, slackMs: 30_000 };
const bodyLimit = 64 * 1024;
const hour = 3_600_000;

/**
 * The production schedule (issue 16) under /api/v1/schedule: plans from the jobs mirror (planner, admin
 * make and change them; any role reads), edits that repair the plan around a planner's move or lock,
 * re-optimisation around the locks, re-plans after events that keep the frozen window, what-if on the
 * machines' behaviour model, comparison, and publication to the edge. The optimiser and the simulation
 * run in worker threads (pool.ts); a plan is answered with 201, an input the scheduler cannot plan with
 * 422 naming each job and machine concerned.
 */
export function scheduleRouter(deps: ScheduleRoutesDeps): Router {
  const { db, endpoint, plant } = deps;
  const pool = deps.pool ?? new PlanningPool({ log: deps.log });
  const rates = deps.rates ?? new MachineRatesSource(deps.reads, deps.model);
  const r = Router();

  const load = async (id: unknown) => {
    const found = await getPlan(db, validate(planIdParam, id));
    if (!found) throw new HttpError(404, `no plan ${String(id)}`);
    return found;
  };
  const budget = (b: { timeLimitMs?: number | undefined; maxTicks?: number | undefined }, defaultMs: number) => ({
    // a tick budget alone: the time limit must not end the run first (the plan is then a pure function of problem and seed)
    timeLimitMs: b.timeLimitMs ?? (b.maxTicks !== undefined ? maxPlanBudgetMs : defaultMs),
    ...(b.maxTicks !== undefined ? { maxTicks: b.maxTicks } : {}),
  });

  /** Runs a planning task and keeps its plan; answers 201 { plan } or 422 with the named issues. */
  async function plan(req: AuthedRequest, res: Response, o: {
    lane: Lane;
    key: string;
    id: string;
    parent: StoredPlan | null;
    operation: PlanOperation;
    task: Extract<PlanTask, { op: 'schedule' | 'replan' }>;
    base: Pick<StoredPlan, 'label' | 'objective' | 'frozenWindowMin' | 'rates' | 'exclude' | 'excluded'> & { info: BuiltProblem['info']; notes: string[] };
  }): Promise<PlanAnswer | ReturnType<typeof refusal>> {
    const opts: SolveOptions = o.task.opts;
    const result = await pool.run(o.lane, o.key, o.operation.kind, o.task, (opts.timeLimitMs ?? 0) + (opts.boundS ?? 0) * 1000 + defaults.slackMs);
    if (result.kind === 'refused') {
      res.status(422);
      return refusal(result.message, result.issues, o.task.problem);
    }
    if (result.kind !== 'plan') throw new Error('a planning task answered something else');
    const who = principalOf(req).username;
    const stored: NewPlan = {
      id: o.id,
      parentId: o.parent?.id ?? null,
      operation: o.operation,
      label: o.base.label,
      createdBy: who,
      createdAt: Date.now(),
      objective: o.base.objective,
      seed: opts.seed,
      frozenWindowMin: o.base.frozenWindowMin,
      locks: (result.problem.locks ?? []).map((l) => ({ jobId: l.jobId, machineId: l.machineId, ...(l.position !== undefined ? { position: l.position } : {}) })),
      rates: o.base.rates,
      exclude: o.base.exclude,
      excluded: o.base.excluded,
      notes: [...o.base.notes, ...result.notes],
      jobs: Object.fromEntries(Object.entries(o.base.info).map(([id, i]) => [id, { ...i, eligible: result.jobs[id]?.eligible ?? [] }])),
      offShift: result.offShift,
      plan: result.plan,
      violations: result.violations,
    };
    if (result.violations.length) deps.log.error({ planId: o.id, violations: result.violations.slice(0, 5) }, 'the scheduler produced a plan its checker refuses');
    await insertPlan(db, stored, result.problem);
    await audit(db, who, 'schedule.plan', o.id, { parentId: stored.parentId, operation: o.operation, score: result.plan.score, gap: result.plan.gap });
    res.status(201);
    return { plan: { ...stored, publication: null, whatIf: null } };
  }

  async function sources(start: number, ratesOf: StoredPlan['rates'] | null) {
    const [open, maintenance, parts] = await Promise.all([
      openMirrorJobs(db),
      listMaintenance(db, { from: start, to: start + 400 * 24 * hour }),
      currentParts(db, plant.machines.map((m) => m.id)),
    ]);
    return { plant, jobs: open.jobs, more: open.more, maintenance, currentParts: parts, rates: ratesOf ?? (await rates.rates()) };
  }

  r.get('/schedule/plans', ...endpoint(anyRole, async (req) => ({ plans: await listPlans(db, validate(plansQuerySchema, req.query).limit) }) satisfies PlansAnswer));

  r.get('/schedule/plans/:id', ...endpoint(anyRole, async (req) => {
    const found = await load(req.params.id);
    return req.query.problem === '1' ? { plan: found.stored, problem: found.problem } : ({ plan: found.stored } satisfies PlanAnswer);
  }));

  r.post('/schedule/plans', ...endpoint(planners, async (req, res) => {
    const body = validate(createPlanRequestSchema, req.body);
    const now = Date.now();
    const start = body.start ?? now;
    if (start < now - hour || start > now + 7 * 24 * hour) throw new HttpError(400, 'start must lie between an hour ago and a week ahead');
    const src = await sources(start, null);
    const built = buildProblem(src, { start, objective: body.objective, locks: [], exclude: body.exclude, frozenWindowMin: 0 });
    const id = randomUUID();
    return plan(req, res, {
      lane: 'long',
      key: id,
      id,
      parent: null,
      operation: { kind: 'create' },
      task: { op: 'schedule', problem: built.problem, opts: { seed: body.seed ?? 1, ...budget(body, defaults.createMs), boundS: body.boundS ?? defaults.boundS } },
      base: { label: body.label ?? null, objective: body.objective, frozenWindowMin: body.frozenWindowMin, rates: src.rates, exclude: body.exclude, excluded: built.excluded, info: built.info, notes: built.notes },
    });
  }, bodyLimit));

  /** An edit of a plan: the same problem (same start and jobs) with other locks, from the plan's sequences. */
  const edit = (operation: (req: AuthedRequest, parent: StoredPlan) => { op: PlanOperation; locks: PlanLock[]; lane: Lane; opts: Omit<SolveOptions, 'seed'> & { seed?: number | undefined } }) =>
    endpoint(planners, async (req, res) => {
      const { stored: parent, problem } = await load(req.params.id);
      const e = operation(req, parent);
      const edited: ScheduleProblemInput = { ...problem, locks: e.locks.map((l) => ({ jobId: l.jobId, machineId: l.machineId, ...(l.position !== undefined ? { position: l.position } : {}) })) };
      return plan(req, res, {
        lane: e.lane,
        key: parent.id,
        id: randomUUID(),
        parent,
        operation: e.op,
        task: { op: 'replan', problem: edited, previous: parent.plan, opts: { ...e.opts, seed: e.opts.seed ?? parent.seed } },
        base: { ...parent, info: parent.jobs, notes: [] },
      });
    }, bodyLimit);
  const inPlan = (parent: StoredPlan, jobId: string) => {
    const at = parent.plan.machines.flatMap((m) => m.jobs).find((j) => j.jobId === jobId);
    if (!at) throw new HttpError(404, `job ${jobId} is not in plan ${parent.id}`);
    return at;
  };
  const repairOnly = { timeLimitMs: maxPlanBudgetMs, maxTicks: 0 };

  r.post('/schedule/plans/:id/move', ...edit((req, parent) => {
    const b = validate(movePlanJobRequestSchema, req.body);
    inPlan(parent, b.jobId);
    return { op: { kind: 'move', ...b }, locks: [...parent.locks.filter((l) => l.jobId !== b.jobId), { jobId: b.jobId, machineId: b.machineId, position: b.position }], lane: 'urgent', opts: repairOnly };
  }));

  r.post('/schedule/plans/:id/lock', ...edit((req, parent) => {
    const b = validate(lockPlanJobRequestSchema, req.body);
    const at = inPlan(parent, b.jobId);
    const machineId = b.machineId ?? at.machineId;
    const position = b.machineId === undefined ? at.position : b.position;
    return { op: { kind: 'lock', jobId: b.jobId, machineId, position }, locks: [...parent.locks.filter((l) => l.jobId !== b.jobId), { jobId: b.jobId, machineId, position }], lane: 'urgent', opts: repairOnly };
  }));

  r.post('/schedule/plans/:id/unlock', ...edit((req, parent) => {
    const b = validate(unlockPlanJobRequestSchema, req.body);
    if (!parent.locks.some((l) => l.jobId === b.jobId)) throw new HttpError(404, `job ${b.jobId} is not locked in plan ${parent.id}`);
    return { op: { kind: 'unlock', jobId: b.jobId }, locks: parent.locks.filter((l) => l.jobId !== b.jobId), lane: 'urgent', opts: repairOnly };
  }));

  r.post('/schedule/plans/:id/optimise', ...edit((req, parent) => {
    const b = validate(optimisePlanRequestSchema, req.body ?? {});
    return { op: { kind: 'optimise' }, locks: parent.locks, lane: 'long', opts: { ...budget(b, defaults.optimiseMs), seed: b.seed, boundS: b.boundS ?? defaults.boundS } };
  }));

  /** A re-plan after an event: the mirror as it is now, the event, the plan's locks and exclusions; its frozen window kept. */
  r.post('/schedule/plans/:id/replan', ...endpoint(planners, async (req, res) => {
    const b = validate(replanRequestSchema, req.body);
    const { stored: parent } = await load(req.params.id);
    const now = Date.now();
    const ev = b.event;
    const choices: ProblemChoices = { start: now, objective: parent.objective, locks: parent.locks, exclude: parent.exclude, frozenWindowMin: parent.frozenWindowMin };
    if (ev.kind === 'fault') choices.downtime = [{ machineId: ev.machineId, from: now, to: now + ev.repairMin * 60_000, reason: `fault (expected repair ${ev.repairMin} min)` }];
    if (ev.kind === 'finished') choices.finished = [ev.jobId];
    const src = await sources(now, parent.rates);
    if (ev.kind === 'rush') {
      const known = src.jobs.some((m) => m.job.id === ev.jobId);
      const whole = ev.partNumber !== undefined && ev.quantity !== undefined && ev.dueDate !== undefined;
      if (!known && !whole) throw new HttpError(400, `job ${ev.jobId} is not an open job of the mirror: give partNumber, quantity and dueDate for a new rush order`);
      const eligible = ev.eligibleMachines ?? plant.machines.filter((m) => m.parts.some((p) => p.partNumber === ev.partNumber)).map((m) => m.id);
      choices.rush = { jobId: ev.jobId, priority: ev.priority, dueDate: ev.dueDate, ...(!known && whole ? { newJob: { partNumber: ev.partNumber!, quantity: ev.quantity!, dueDate: ev.dueDate!, eligibleMachines: eligible } } : {}) };
    }
    if (ev.kind === 'fault' && !plant.machines.some((m) => m.id === ev.machineId)) throw new HttpError(400, `no machine ${ev.machineId} in the plant`);
    const built = buildProblem(src, choices);
    return plan(req, res, {
      lane: 'urgent',
      key: parent.id,
      id: randomUUID(),
      parent,
      operation: { kind: 'replan', event: ev },
      task: { op: 'replan', problem: built.problem, previous: parent.plan, opts: { seed: b.seed ?? parent.seed, ...budget(b, defaults.replanMs) } },
      base: { ...parent, excluded: built.excluded, info: built.info, notes: built.notes },
    });
  }, bodyLimit));

  r.post('/schedule/plans/:id/whatif', ...endpoint(planners, async (req) => {
    const b = validate(whatIfRequestSchema, req.body ?? {});
    const { stored, problem } = await load(req.params.id);
    const start = stored.plan.start;
    const makespanH = stored.plan.score.makespanMin / 60;
    const horizonH = Math.min(maxWhatIfHorizonH, b.horizonH ?? Math.max(8, makespanH * 1.5));
    const result = await pool.run('long', stored.id, 'what-if', { op: 'whatif', plant, problem, plan: stored.plan, seeds: b.seeds, horizonEnd: start + horizonH * hour, seedBase: 1 }, defaults.whatIfTimeoutMs);
    if (result.kind !== 'whatif') throw new Error('a what-if task answered something else');
    await setWhatIf(db, stored.id, result.whatIf);
    return { planId: stored.id, whatIf: result.whatIf };
  }, bodyLimit));

  r.get('/schedule/compare', ...endpoint(anyRole, async (req) => {
    const q = validate(compareQuerySchema, req.query);
    const [a, b] = await Promise.all([load(q.a), load(q.b)]);
    return comparePlans(a.stored, b.stored, (p) => ({ ...summaryOf(p), publication: p.publication }));
  }));

  r.post('/schedule/plans/:id/publish', ...endpoint(planners, async (req, res) => {
    const b = validate(publishPlanRequestSchema, req.body ?? {});
    const { stored } = await load(req.params.id);
    const who = principalOf(req).username;
    const published = await publishPlan(db, stored, who, { lifetimeMs: deps.lifetimeMs, reason: b.reason });
    for (const { command, edgeId } of published.commands) {
      deps.hub.broadcast('command', { command });
      deps.signals.notify(edgeId);
    }
    res.status(202);
    const { stored: now } = await load(stored.id);
    return { command: published.commands[0]!.command, commands: published.commands.map((c) => c.command), plan: now } satisfies PublishAnswer;
  }, bodyLimit));

  r.get('/schedule/maintenance', ...endpoint(anyRole, async (req) => {
    const q = validate(maintenanceQuerySchema, req.query);
    const now = Date.now();
    return { windows: await listMaintenance(db, { from: q.from ?? now - 24 * hour, to: q.to ?? now + 400 * 24 * hour, machineId: q.machineId }) };
  }));

  r.post('/schedule/maintenance', ...endpoint([...maintainers], async (req, res) => {
    const w = validate(maintenanceWindowRequestSchema, req.body);
    if (!plant.machines.some((m) => m.id === w.machineId)) throw new HttpError(400, `no machine ${w.machineId} in the plant`);
    if (w.to < Date.now()) throw new HttpError(400, 'the window is over already');
    const who = principalOf(req).username;
    const window = await insertMaintenance(db, w, who);
    await audit(db, who, 'schedule.maintenance.create', w.machineId, { ...window });
    res.status(201);
    return { window };
  }, bodyLimit));

  r.delete('/schedule/maintenance/:id', ...endpoint([...maintainers], async (req) => {
    const id = validate(z.coerce.number().int().min(1), req.params.id);
    const window = await deleteMaintenance(db, id);
    if (!window) throw new HttpError(404, `no maintenance window ${id}`);
    await audit(db, principalOf(req).username, 'schedule.maintenance.delete', window.machineId, { ...window });
    return { window };
  }));

  return r;
}
