import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import { defaultCommandLifetimeMs, FreshnessTracker, ingestPath, liveIntervalMs, type LiveClientToServer, type LiveServerToClient } from '@plant-twin/contracts';
import { createLogger, createServiceApp, type Logger } from '@plant-twin/runtime';
import type { Db } from '@plant-twin/db';
import { apiRouter } from './api.js';
import { EdgeAuth } from './auth/edge-auth.js';
import { LoginThrottle } from './auth/throttle.js';
import { ensureFirstAdmin } from './auth/users.js';
import { expireAndAnnounce } from './commands/routes.js';
import { CommandSignals } from './commands/signals.js';
import type { CloudConfig } from './config.js';
import { openCloudDb } from './db/open.js';
import type { CloudTables } from './db/schema.js';
import { storedArrivals } from './ingest/arrivals.js';
import { ingestHandler } from './ingest/route.js';
import { defaultRetention, startJobs } from './jobs.js';
import { LiveHub } from './live/hub.js';
import { attachSockets } from './live/sockets.js';
import { oeeModelOf, type OeeModel } from './oee/model.js';
import { resetRollupsIfModelChanged } from './oee/rollup.js';
import { machineSnapshots } from './plant-api/board.js';
import { securityHeaders } from './static/headers.js';
import { twinApp } from './static/twin.js';
import { PlanningPool } from './schedule/pool.js';

export interface RunningCloud {
  url: string;
  port: number;
  server: Server;
  io: SocketServer;
  db: Db<CloudTables>;
  model: OeeModel;
  hub: LiveHub;
  /** the freshness verdict's arrival times (restored from the store at start) */
  freshness: FreshnessTracker;
  /** the first admin's password when this start created it (also printed once) */
  firstAdminPassword: string | null;
  /** runs the OEE rollup job now, until caught up */
  runRollups: () => Promise<number>;
  /** marks the commands nobody took in time expired now (the cloud also does so every few seconds) */
  expireCommands: () => Promise<number>;
  close: () => Promise<void>;
}

/** The built twin beside the cloud in this repository (CLOUD_TWIN_DIR elsewhere). */
export const defaultTwinDir = fileURLToPath(new URL('../../twin/dist/', import.meta.url));
export const defaultStaleAfterMs = 120_000;

/** Starts the cloud service in this process (main.ts runs it from the environment; tests call it directly). */
export async function startCloud(config: CloudConfig, log: Logger = createLogger('cloud')): Promise<RunningCloud> {
  const db = await openCloudDb({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
  const model = oeeModelOf(config.plant);
  if (await resetRollupsIfModelChanged(db.db, model)) log.info('OEE rollups reset: shift calendar, small-stop threshold or ideal cycle times changed');
  const firstAdminPassword = await ensureFirstAdmin(db.db, { passwordFile: config.adminPasswordFile, print: config.printAdminPassword ?? true });

  const service = createServiceApp({ log, ready: () => true, metricsToken: config.metricsToken });
  const root = express();
  root.disable('x-powered-by');
  // the client address the login throttle counts by: the socket's, or a trusted proxy's X-Forwarded-For
  root.set('trust proxy', config.trustProxy ?? false);
  root.use(securityHeaders(Boolean(config.tls)));
  const server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, root) : createHttpServer(root);
  const io: SocketServer<LiveClientToServer, LiveServerToClient> = new SocketServer(server, { serveClient: false, cors: { origin: false }, maxHttpBufferSize: 16 * 1024 });
  const quietMachines = new Set(config.plant.machines.filter((m) => m.interface.type === 'file').map((m) => m.id));
  const freshness = new FreshnessTracker(config.staleAfterMs ?? defaultStaleAfterMs, quietMachines);
  // arrivals stored before a restart: a machine heard a moment ago reads live, not stale until its next message
  freshness.restore(await storedArrivals(db.db));
  const hub = new LiveHub(io, config.liveIntervalMs ?? liveIntervalMs, freshness);
  hub.seed(await machineSnapshots(db.db, model.machineIds, freshness).then((s) => s.map((x) => x.status)));
  const edges = new EdgeAuth(config.edgeCredentials, db.db);
  const signals = new CommandSignals();

  // the ingest route checks the edge credential, then reads its own (gzip, large) body
  root.post(ingestPath, ingestHandler({
    db: db.db,
    edges,
    smallStopThresholdS: config.plant.smallStopThresholdS,
    log,
    registry: service.registry,
    onStored: (m, edgeId) => hub.publish(m, edgeId),
    window: config.acceptWindow,
  }));
  const planning = new PlanningPool({ log });
  service.app.use('/api/v1', apiRouter({
    db: db.db,
    plant: config.plant,
    model,
    bounds: config.queryBounds,
    edges,
    hub,
    freshness,
    throttle: new LoginThrottle(config.loginThrottle),
    planning,
    signals,
    secureCookies: config.secureCookies ?? true,
    commandLifetimeMs: config.commandLifetimeMs ?? defaultCommandLifetimeMs,
    window: config.acceptWindow,
    log,
  }));
  service.app.use(twinApp(config.twinDir ?? defaultTwinDir));
  service.finish();
  root.use(service.app);

  const sockets = attachSockets(io, {
    db: db.db,
    machineIds: model.machineIds,
    snapshot: async () => ({ serverTime: Date.now(), machines: await machineSnapshots(db.db, model.machineIds, freshness) }),
    log,
  });

  const jobs = startJobs(db.db, model, config.retention ?? defaultRetention, log, { rollupMs: config.rollupIntervalMs ?? 60_000, retentionMs: 3_600_000, window: config.acceptWindow });
  const expireCommands = () => expireAndAnnounce(db.db, hub);
  const expiry = setInterval(() => void expireCommands().catch((err: unknown) => log.error({ err }, 'command expiry failed')), 5_000);
  expiry.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host ?? '127.0.0.1', () => resolve());
  });
  // edges keep their connection between pushes and polls: let them close an idle one first, or a
  // reused socket the server just closed comes back as ECONNRESET
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as AddressInfo).port;
  const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  log.info({ url, tls: Boolean(config.tls), db: db.kind }, 'cloud listening');

  let closed = false;
  return {
    url,
    port,
    server,
    io,
    db,
    model,
    hub,
    freshness,
    firstAdminPassword,
    runRollups: jobs.runRollups,
    expireCommands,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(expiry);
      hub.close();
      planning.close();
      sockets.close();
      signals.wakeAll();
      await jobs.stop();
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
        server.closeAllConnections?.();
      });
      await db.close();
    },
  };
}
