import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { FreshnessTracker } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import { adminRouter } from './admin/routes.js';
import type { EdgeAuth } from './auth/edge-auth.js';
import { endpoints } from './auth/guard.js';
import { authRouter } from './auth/routes.js';
import type { LoginThrottle } from './auth/throttle.js';
import { defaultQueryBounds, HistoryReads, type QueryBounds } from './bounds.js';
import { commandRouter } from './commands/routes.js';
import type { CommandSignals } from './commands/signals.js';
import type { CloudTables } from './db/schema.js';
import { defaultAcceptWindow, type AcceptWindow } from './ingest/window.js';
import { jobsRouter } from './jobs-mirror/routes.js';
import type { LiveHub } from './live/hub.js';
import type { OeeModel } from './oee/model.js';
import { plantRouter } from './plant-api/routes.js';
import type { PlanningPool } from './schedule/pool.js';
import { scheduleRouter } from './schedule/routes.js';

export interface ApiDeps {
  db: Kysely<CloudTables>;
  plant: Plant;
  model: OeeModel;
  /** range, row and time bounds of the history queries (bounds.ts) */
  bounds?: QueryBounds | undefined;
  edges: EdgeAuth;
  hub: LiveHub;
  freshness: FreshnessTracker;
  throttle: LoginThrottle;
  signals: CommandSignals;
  secureCookies: boolean;
  commandLifetimeMs: number;
  /** the ingest time window (default ingest/window.ts) */
  window?: AcceptWindow | undefined;
  /** the scheduler's worker threads (closed with the cloud) */
  planning: PlanningPool;
  log: Logger;
}

/**
 * The cloud's API under /api/v1 (packages/contracts/src/twin-api.ts has every shape): sessions,
 * the plant for the twin, machines, history, alarms, OEE, the jobs mirror, the command channel and
 * administration. Every route checks its credential before it reads a body, and reads at most its
 * own bound; ingestion (POST /ingest) is mounted ahead of this router by app.ts.
 */
export function apiRouter(deps: ApiDeps): Router {
  const { db } = deps;
  const reads = new HistoryReads(db, deps.bounds ?? defaultQueryBounds);
  const endpoint = endpoints(db);
  const r = Router();
  r.use(authRouter({ db, endpoint, throttle: deps.throttle, secureCookies: deps.secureCookies, log: deps.log }));
  r.use(adminRouter({ db, endpoint, edges: deps.edges, reads, window: deps.window ?? defaultAcceptWindow }));
  r.use(plantRouter({ db, plant: deps.plant, model: deps.model, reads, endpoint, freshness: deps.freshness, hub: deps.hub }));
  r.use(jobsRouter({ db, plant: deps.plant, endpoint, edges: deps.edges, hub: deps.hub }));
  r.use(commandRouter({ db, endpoint, edges: deps.edges, hub: deps.hub, signals: deps.signals, lifetimeMs: deps.commandLifetimeMs, log: deps.log }));
  r.use(scheduleRouter({ db, plant: deps.plant, model: deps.model, reads, endpoint, hub: deps.hub, signals: deps.signals, lifetimeMs: deps.commandLifetimeMs, pool: deps.planning, log: deps.log }));
  return r;
}
