import { jobIdSchema } from '@plant-twin/contracts';
import { HttpError, requireBearer, validate } from '@plant-twin/runtime';
import type { Express, NextFunction, Request, Response } from 'express';
import * as z from 'zod';
import { Unreachable } from './http-client.js';
import { JobActions } from './job-actions.js';
import { TransitionError, type Db } from './lifecycle.js';
import { AgentRefused, type Orchestrator } from './orchestrator.js';
import { jobStatuses, onMachineStatuses, outboxStatuses, type Job, type JobEvent } from './schema.js';
import { readCursor } from './sync.js';

export function jobDto(j: Job) {
  return {
    id: j.id,
    orderId: j.order_id,
    operation: j.operation,
    orderVersion: j.order_version,
    partNumber: j.part_number,
    workCenter: j.work_center,
    quantity: j.quantity,
    dispatchedQuantity: j.dispatched_quantity,
    dueDate: j.due_date.toISOString(),
    priority: j.priority,
    eligibleMachines: j.eligible_machines,
    status: j.status,
    machineId: j.machine_id,
    good: j.good,
    scrap: j.scrap,
    cancelRequested: j.cancel_requested,
    dispatchAttempts: j.dispatch_attempts,
    startedAt: j.started_at?.toISOString() ?? null,
    endedAt: j.ended_at?.toISOString() ?? null,
    message: j.message,
    createdAt: j.created_at.toISOString(),
    updatedAt: j.updated_at.toISOString(),
  };
}

export const eventDto = (e: JobEvent) => ({ id: Number(e.id), jobId: e.job_id, at: e.at.toISOString(), kind: e.kind, from: e.from_status, to: e.to_status, actor: e.actor, reason: e.reason, detail: e.detail });

const isoTime = z.iso.datetime({ offset: true });
const listQuery = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(jobStatuses)))
    .optional(),
  machine: z.string().min(1).optional(),
  part: z.string().min(1).optional(),
  /** due date range */
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Maps the orchestrator's and lifecycle's refusals onto HTTP answers. */
function asHttp(err: unknown): unknown {
  if (err instanceof TransitionError) return new HttpError(409, err.message);
  if (err instanceof AgentRefused) return new HttpError(err.status === 404 ? 409 : 502, err.message);
  if (err instanceof Unreachable) return new HttpError(502, `job agent unreachable: ${err.message}`);
  return err;
}
const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch((e) => next(asHttp(e)));

export function mountApi(app: Express, db: Db, orchestrator: Orchestrator, token: string): void {
  app.use('/api', requireBearer(token));
  const actions = new JobActions(db, orchestrator);

  const loadJob = async (id: unknown): Promise<Job> => {
    const jobId = validate(jobIdSchema, id);
    const j = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    if (!j) throw new HttpError(404, `no job ${jobId}`);
    return j;
  };

  app.get(
    '/api/v1/jobs',
    wrap(async (req, res) => {
      const q = validate(listQuery, req.query);
      let sel = db.selectFrom('jobs').selectAll();
      if (q.status) sel = sel.where('status', 'in', q.status);
      if (q.machine) sel = sel.where((eb) => eb.or([eb('machine_id', '=', q.machine!), eb(eb.val(q.machine!), '=', eb.fn.any('eligible_machines'))]));
      if (q.part) sel = sel.where('part_number', '=', q.part);
      if (q.from) sel = sel.where('due_date', '>=', new Date(q.from));
      if (q.to) sel = sel.where('due_date', '<', new Date(q.to));
      const jobs = await sel.orderBy('due_date').orderBy('id').limit(q.limit).offset(q.offset).execute();
      res.json({ jobs: jobs.map(jobDto), limit: q.limit, offset: q.offset });
    }),
  );

  app.get(
    '/api/v1/jobs/:id',
    wrap(async (req, res) => {
      const j = await loadJob(req.params.id);
      const events = await db.selectFrom('job_events').selectAll().where('job_id', '=', j.id).orderBy('id').execute();
      const outbox = await db.selectFrom('outbox').select(['confirmation_id', 'status', 'attempts', 'erp_result', 'last_error', 'delivered_at']).where('job_id', '=', j.id).execute();
      res.json({ job: jobDto(j), events: events.map(eventDto), confirmations: outbox });
    }),
  );

  app.post(
    '/api/v1/jobs/:id/release',
    wrap(async (req, res) => {
      const j = await loadJob(req.params.id);
      res.json({ job: jobDto(await actions.release(j.id)) });
    }),
  );
  app.post(
    '/api/v1/jobs/:id/hold',
    wrap(async (req, res) => {
      const j = await loadJob(req.params.id);
      res.json({ job: jobDto(await actions.hold(j.id)) });
    }),
  );
  app.post(
    '/api/v1/jobs/:id/cancel',
    wrap(async (req, res) => {
      const j = await loadJob(req.params.id);
      const { outcome } = await actions.cancel(j.id, 'api', 'cancelled by a user');
      res.status(outcome === 'requested' ? 202 : 200).json({ job: jobDto(await loadJob(j.id)), outcome });
    }),
  );
  app.post(
    '/api/v1/jobs/:id/priority',
    wrap(async (req, res) => {
      const j = await loadJob(req.params.id);
      const { priority } = validate(z.strictObject({ priority: z.number().int().min(1).max(9) }), req.body);
      res.json({ job: jobDto(await actions.priority(j.id, priority, 'api')) });
    }),
  );

  app.get(
    '/api/v1/machines',
    wrap(async (_req, res) => {
      const machines = [];
      for (const [machineId] of orchestrator.agents) {
        const current = await db.selectFrom('jobs').selectAll().where('machine_id', '=', machineId).where('status', 'in', onMachineStatuses).executeTakeFirst();
        const queue = await orchestrator.queue(machineId);
        machines.push({ machineId, health: orchestrator.health.get(machineId), current: current ? jobDto(current) : null, queue: queue.map((j) => ({ id: j.id, partNumber: j.part_number, quantity: j.quantity, priority: j.priority, dueDate: j.due_date.toISOString() })) });
      }
      res.json({ sequencer: orchestrator.sequencer.name, machines });
    }),
  );

  app.get(
    '/api/v1/outbox',
    wrap(async (req, res) => {
      const { status } = validate(z.strictObject({ status: z.enum(outboxStatuses).optional() }), req.query);
      let sel = db.selectFrom('outbox').selectAll();
      if (status) sel = sel.where('status', '=', status);
      res.json({ confirmations: await sel.orderBy('id').execute() });
    }),
  );

  app.get(
    '/api/v1/sync',
    wrap(async (_req, res) => {
      res.json({ cursor: await readCursor(db) });
    }),
  );
}
