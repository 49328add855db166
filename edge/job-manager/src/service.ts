import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrate, openDb, type PgliteTuning } from '@plant-twin/db';
import { createServiceApp, listen, type Logger } from '@plant-twin/runtime';
import { Counter, Gauge } from 'prom-client';
import { AgentClient } from './agent-client.js';
import { mountApi } from './api.js';
import { startCloudLink, type CloudLink, type CloudLinkOptions } from './cloud-link/link.js';
import { cloudLinkMigrations } from './cloud-link/schema.js';
import { JobActions } from './job-actions.js';
import { ErpClient } from './erp-client.js';
import type { Db } from './lifecycle.js';
import { every } from './loop.js';
import { Orchestrator } from './orchestrator.js';
import { OutboxSender, type OutboxHooks } from './outbox.js';
import { migrations, type JobDatabase } from './schema.js';
import { followPublished, PublishedSchedule, publishedScheduleMigrations, schedulePublishHandler } from './schedule/published.js';
import { priorityThenDueDate, type Sequencer } from './sequencer.js';
import { ErpSync } from './sync.js';

export interface JobManagerOptions {
  log: Logger;
  /** postgres://… or undefined for PGlite */
  databaseUrl?: string | undefined;
  /** PGlite data directory (omitted: in memory) */
  dataDir?: string | undefined;
  /** PGlite settings, template and compiler (main.ts: jobDatabaseTuning) */
  pglite?: PgliteTuning;
  /** PostgreSQL schema for the tables (tests use one per test) */
  schema?: string | undefined;
  apiToken: string;
  erp: { url: string; user: string; password: string; timeoutMs?: number };
  /** machineId -> job agent base URL */
  pods: Record<string, string>;
  podToken: string;
  port?: number;
  host?: string;
  /** bearer token of GET /metrics (default env METRICS_TOKEN; neither: /metrics refuses) */
  metricsToken?: string;
  syncMs?: number;
  orchestrateMs?: number;
  outboxMs?: number;
  podTimeoutMs?: number;
  /** dispatched-but-not-started jobs leave an unreachable pod after this long */
  moveAfterMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  autoRelease?: boolean;
  sequencer?: Sequencer;
  outboxHooks?: OutboxHooks;
  /** the link to the cloud (jobs mirror and command channel); unset: a job manager on its own */
  cloud?: CloudLinkOptions | undefined;
}

export interface JobManager {
  url: string;
  port: number;
  db: Db;
  orchestrator: Orchestrator;
  /** the cloud link, when configured */
  cloud: CloudLink | null;
  /** run one pass of every loop now: sync, orchestrate, deliver */
  step(): Promise<void>;
  close(): Promise<void>;
}

export const jobDatabasePoolSize = 2;

/** Opens (and migrates) the job database, starts the ERP sync, orchestrator and outbox loops and the REST API. */
export async function startJobManager(opts: JobManagerOptions): Promise<JobManager> {
  const { log } = opts;
  // two connections on a PostgreSQL server: a few queries a second, each backend ~4 MB on the edge node
  // (PGlite has one); a transaction never waits on another query of the job manager
  const handle = await openDb<JobDatabase>({ url: opts.databaseUrl, dataDir: opts.dataDir, poolSize: jobDatabasePoolSize, ...(opts.schema ? { schema: opts.schema } : {}), ...(opts.pglite ? { pglite: opts.pglite } : {}) });
  const db = handle.db;
  // the schema also scopes kysely's migration table: without it a migration table of any schema counts
  const applied = await migrate(db, { ...migrations, ...cloudLinkMigrations, ...publishedScheduleMigrations }, opts.schema);
  log.info({ kind: handle.kind, start: handle.pgliteStart, applied }, 'job database ready');
  if (handle.pgliteStart === 'initdb' && opts.pglite?.templateRoot) {
    log.warn({ template: opts.pglite.templateRoot }, 'no PGlite template (npm run build makes it): initdb ran in this process, which keeps ~750 MB');
  }

  const erp = new ErpClient(opts.erp);
  const agents = new Map(Object.entries(opts.pods).map(([m, url]) => [m, new AgentClient(m, url, opts.podToken, opts.podTimeoutMs ?? 5000)]));
  // the cloud's published schedule where there is one, else the rule (sequencer.ts)
  const published = await PublishedSchedule.load(db);
  const orchestrator = new Orchestrator(db, agents, log, followPublished(published, opts.sequencer ?? priorityThenDueDate), { ...(opts.backoff ? { backoff: opts.backoff } : {}), moveAfterMs: opts.moveAfterMs ?? 10_000 });
  const sync = new ErpSync(db, erp, log, opts.autoRelease ?? true);
  const sender = new OutboxSender(db, erp, log, opts.outboxHooks, opts.backoff);

  let lastSyncOk = false;
  const { app, registry, finish } = createServiceApp({
    log,
    metricsToken: opts.metricsToken,
    ready: () => ({ ready: true, detail: { database: handle.kind, erpSync: lastSyncOk } }),
  });
  const delivered = new Counter({ name: 'jm_confirmations_delivered_total', help: 'confirmations the ERP acknowledged', registers: [registry] });
  new Gauge({
    name: 'jm_jobs',
    help: 'jobs by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.selectFrom('jobs').select(['status', db.fn.countAll<number>().as('n')]).groupBy('status').execute();
      this.reset();
      for (const r of rows) this.set({ status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'jm_outbox_pending',
    help: 'confirmations waiting for the ERP',
    registers: [registry],
    async collect() {
      const r = await db.selectFrom('outbox').select(db.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirst();
      this.set(Number(r?.n ?? 0));
    },
  });
  mountApi(app, db, orchestrator, opts.apiToken);
  finish();

  const loops = [
    every('erp-sync', opts.syncMs ?? 2000, async () => {
      try {
        await sync.runOnce();
        lastSyncOk = true;
      } catch (err) {
        lastSyncOk = false;
        throw err;
      }
    }, log),
    every('orchestrator', opts.orchestrateMs ?? 1000, () => orchestrator.runOnce(), log),
    every('outbox', opts.outboxMs ?? 1000, async () => delivered.inc((await sender.runOnce()).delivered), log),
  ];

  let server: Server;
  try {
    server = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  } catch (err) {
    await Promise.all(loops.map((l) => l.stop()));
    await handle.close();
    throw err;
  }
  // idle keep-alive sockets: let the client close first (undici: 4 s), or a reused socket the
  // server just closed comes back as ECONNRESET
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  log.info({ port, pods: Object.keys(opts.pods).length }, 'job manager listening');
  const cloud = opts.cloud ? startCloudLink(db, orchestrator, new JobActions(db, orchestrator), opts.cloud, log) : null;
  cloud?.applier.on('schedule.publish', schedulePublishHandler(db, published, [...agents.keys()]));
  if (opts.cloud) log.info({ cloud: opts.cloud.url, edgeId: opts.cloud.edgeId }, 'cloud link started (jobs mirror, command channel)');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    orchestrator,
    cloud,
    async step() {
      for (const l of loops) await l.kick();
    },
    async close() {
      await cloud?.stop();
      await Promise.all(loops.map((l) => l.stop()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await handle.close();
    },
  };
}
