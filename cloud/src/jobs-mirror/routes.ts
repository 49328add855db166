import { Router } from 'express';
import type { Kysely } from 'kysely';
import { edgeJobsPushSchema, jobsQuerySchema, type EdgeJobsAck, type JobsAnswer } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { HttpError, jsonBody, validate } from '@plant-twin/runtime';
import type { EdgeAuth } from '../auth/edge-auth.js';
import { edgeGuard, edgeOf } from '../auth/edge-guard.js';
import { anyRole, bodyLimits, run, type Endpoint } from '../auth/guard.js';
import { listCommands } from '../commands/store.js';
import type { CloudTables } from '../db/schema.js';
import type { LiveHub } from '../live/hub.js';
import { jobEvents, listJobs, machineQueue, mirroredJob, storeJobsPush } from './store.js';

export interface JobRoutesDeps {
  db: Kysely<CloudTables>;
  plant: Plant;
  endpoint: Endpoint;
  edges: EdgeAuth;
  hub: LiveHub;
}

/** Edge: POST /edge/jobs (the job manager's push). Twin: GET /jobs, /jobs/:id, /machines/:id/queue. */
export function jobsRouter(deps: JobRoutesDeps): Router {
  const { db, endpoint, hub } = deps;
  const r = Router();

  r.post('/edge/jobs', edgeGuard(deps.edges), jsonBody(bodyLimits.edgePush), run(async (req) => {
    const push = validate(edgeJobsPushSchema, req.body);
    if (push.edgeId !== edgeOf(req)) throw new HttpError(403, `push edgeId ${push.edgeId} does not match X-Edge-Id ${edgeOf(req)}`);
    const { ack, changed } = await storeJobsPush(db, push);
    for (const job of changed) hub.broadcast('job', { job });
    return { ack } satisfies EdgeJobsAck;
  }));

  r.get('/jobs', ...endpoint(anyRole, async (req) => {
    const q = validate(jobsQuerySchema, req.query);
    return { ...(await listJobs(db, q)), limit: q.limit, offset: q.offset } satisfies JobsAnswer;
  }));

  r.get('/jobs/:id', ...endpoint(anyRole, async (req) => {
    const id = String(req.params.id);
    const m = await mirroredJob(db, id);
    if (!m) throw new HttpError(404, `no job ${id}`);
    return { job: m.job, events: await jobEvents(db, id), commands: await listCommands(db, { target: id, limit: 100 }) };
  }));

  r.get('/machines/:id/queue', ...endpoint(anyRole, async (req) => {
    const id = String(req.params.id);
    if (!deps.plant.machines.some((m) => m.id === id)) throw new HttpError(404, `no machine ${id}`);
    return machineQueue(db, id);
  }));

  return r;
}
