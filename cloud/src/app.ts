import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import { ingestPath } from '@plant-twin/contracts';
import { createLogger, createServiceApp, jsonBody, type Logger } from '@plant-twin/runtime';
import type { Db } from '@plant-twin/db';
import { apiRouter } from './api.js';
import { EdgeAuth } from './auth/edge-auth.js';
import { authenticate, ensureFirstAdmin } from './auth/users.js';
import type { CloudConfig } from './config.js';
import { openCloudDb } from './db/open.js';
import type { CloudTables } from './db/schema.js';
import { ingestHandler } from './ingest/route.js';
import { defaultRetention, startJobs } from './jobs.js';
import { LiveHub } from './live/hub.js';
import { oeeModelOf, type OeeModel } from './oee/model.js';
import { resetRollupsIfModelChanged } from './oee/rollup.js';
import { machineStatuses } from './series.js';

export interface RunningCloud {
  url: string;
  port: number;
  server: Server;
  io: SocketServer;
  db: Db<CloudTables>;
  model: OeeModel;
  /** the first admin's password when this start created it (also printed once) */
  firstAdminPassword: string | null;
  /** runs the OEE rollup job now, until caught up */
  runRollups: () => Promise<number>;
  close: () => Promise<void>;
}

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

/** Starts the cloud service in this process (main.ts runs it from the environment; tests call it directly). */
export async function startCloud(config: CloudConfig, log: Logger = createLogger('cloud')): Promise<RunningCloud> {
  const db = await openCloudDb({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
  const model = oeeModelOf(config.plant);
  if (await resetRollupsIfModelChanged(db.db, model)) log.info('OEE rollups reset: shift calendar, small-stop threshold or ideal cycle times changed');
  const firstAdminPassword = await ensureFirstAdmin(db.db, { passwordFile: config.adminPasswordFile, print: config.printAdminPassword ?? true });

  const service = createServiceApp({ log, ready: () => true });
  const root = express();
  root.disable('x-powered-by');
  const server = config.tls ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, root) : createHttpServer(root);
  const io = new SocketServer(server, { serveClient: true, cors: { origin: false } });
  const hub = new LiveHub(io, config.liveIntervalMs ?? 500);

  // the ingest route reads its own (gzip, large) body: it comes before the service app's JSON parser
  root.post(ingestPath, ingestHandler({
    db: db.db,
    edges: new EdgeAuth(config.edgeCredentials),
    smallStopThresholdS: config.plant.smallStopThresholdS,
    log,
    registry: service.registry,
    onStored: (m) => hub.publish(m),
    window: config.acceptWindow,
  }));
  service.app.use('/api/v1', jsonBody(), apiRouter({ db: db.db, plant: config.plant, model, bounds: config.queryBounds }));
  service.app.use(express.static(publicDir, { index: 'index.html', maxAge: 0 }));
  service.finish();
  root.use(service.app);

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(db.db, typeof token === 'string' ? token : undefined).then(
      (user) => {
        if (!user) return next(new Error('unauthorized'));
        socket.data.user = user;
        // a socket lives no longer than its session
        setTimeout(() => socket.disconnect(true), Math.max(0, user.expiresAt - Date.now())).unref();
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
  io.on('connection', (socket) => {
    void socket.join('plant');
    void machineStatuses(db.db, model.machineIds).then((s) => socket.emit('snapshot', s), (err) => log.warn({ err }, 'snapshot failed'));
    socket.on('subscribe', (id: unknown) => {
      if (typeof id === 'string' && model.machineIds.includes(id)) void socket.join(`machine:${id}`);
    });
    socket.on('unsubscribe', (id: unknown) => {
      if (typeof id === 'string') void socket.leave(`machine:${id}`);
    });
  });

  const jobs = startJobs(db.db, model, config.retention ?? defaultRetention, log, { rollupMs: config.rollupIntervalMs ?? 60_000, retentionMs: 3_600_000, window: config.acceptWindow });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host ?? '0.0.0.0', () => resolve());
  });
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
    firstAdminPassword,
    runRollups: jobs.runRollups,
    close: async () => {
      if (closed) return;
      closed = true;
      hub.close();
      await jobs.stop();
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
        server.closeAllConnections?.();
      });
      await db.close();
    },
  };
}
