import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentJob, JobEvent } from '@plant-twin/contracts';
import { machineById, type Plant } from '@plant-twin/plant-model';
import { createLightService, createLogger, type Logger } from '@plant-twin/runtime';
import type { FileDriverOptions } from './drivers/file/driver.js';
import type { SqlDriverOptions } from './drivers/sql/driver.js';
import type { S7DriverOptions } from './drivers/s7/driver.js';
import type { DriverContext, MachineDriver, MachineEvent } from './drivers/types.js';
import { ClockGuard, type ClockGuardOptions } from './clock-guard.js';
import { JobAgent } from './jobs/agent.js';
import { addJobAgentRoutes } from './jobs/api.js';
import { createPodMetrics } from './metrics.js';
import { Normaliser } from './normalise.js';
import { Publisher } from './publisher.js';
import type { MachineFence } from './fencing/fence.js';

export interface PodConfig {
  plant: Plant;
  machineId: string;
  mqttUrl: string;
  /** the broker's credentials of this pod (MQTT_USERNAME / MQTT_PASSWORD) */
  mqttUsername?: string;
  mqttPassword?: string;
  /** bearer token of the job agent API */
  apiToken: string;
  stateDir: string;
  /** HTTP port (0 = any free port) */
  port?: number;
  host?: string;
  /** environment holding the SQL password (the variable the plant model names) */
  env?: NodeJS.ProcessEnv;
  /** plant id in topics; defaults to the plant model's (tests use a unique one per run) */
  topicPlantId?: string;
  log?: Logger;
  /** full refresh of every sample value at least this often */
  refreshMs?: number;
  /** bound of the outgoing queue (messages) */
  maxQueueBytes?: number;
  /**
   * How far the machine's clock may be from the pod's (ClockGuard; main.ts always sets it, from
   * POD_CLOCK_*). Unset: the machine's times go out as they are (in-process tests that run a
   * simulated plant at their own speed).
   */
  clock?: Pick<ClockGuardOptions, 'scale' | 'origin' | 'maxSkewS' | 'maxAgeH'>;
  file?: FileDriverOptions;
  sql?: SqlDriverOptions;
  s7?: S7DriverOptions;
  /** the machine's Lease (fencing/fence.ts); default: held in Kubernetes only */
  fence?: MachineFence;
}

export interface MachinePod {
  machineId: string;
  bootId: string;
  port: number;
  url: string;
  ready(): boolean;
  machineConnected(): boolean;
  brokerConnected(): boolean;
  queueDepth(): number;
  agent: JobAgent;
  stop(): Promise<void>;
}

/** the machine's clock may be 5 minutes off (PLCs without time sync drift) ... */
export const defaultMaxSkewS = 300;
/** ... and a machine that reports history may report a week back (rows and files written while the pod was away) */
export const defaultMaxAgeH = 168;

async function createDriver(ctx: DriverContext, cfg: PodConfig): Promise<MachineDriver> {
  // drivers are loaded on demand so a pod only pays (in RSS) for its own interface
  switch (ctx.machine.interface.type) {
    case 'file': {
      const { FileDriver } = await import('./drivers/file/driver.js');
      return new FileDriver(ctx, cfg.file);
    }
    case 'sql': {
      const { SqlDriver } = await import('./drivers/sql/driver.js');
      return new SqlDriver(ctx, cfg.env ?? process.env, cfg.sql);
    }
    case 's7': {
      const { S7Driver } = await import('./drivers/s7/driver.js');
      return new S7Driver(ctx, cfg.s7);
    }
  }
}

/** Starts one machine pod in this process: driver, normaliser, MQTT publisher, job agent API, probes. */
export async function startMachinePod(cfg: PodConfig): Promise<MachinePod> {
  if (!cfg.apiToken) throw new Error('the job agent API token (POD_API_TOKEN) is required');
  const machine = machineById(cfg.plant, cfg.machineId);
  const bootId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const log = (cfg.log ?? createLogger('machine-pod')).child({ machineId: machine.id, bootId });
  mkdirSync(cfg.stateDir, { recursive: true });

  let driver: MachineDriver | undefined;
  let publisher: Publisher | undefined;
  const machineConnected = () => driver?.connected() ?? false;
  const brokerConnected = () => publisher?.connected() ?? false;
  const ready = () => machineConnected() && brokerConnected();
  const service = createLightService({ log, ready: () => ({ ready: ready(), detail: { machine: machineConnected(), broker: brokerConnected() } }) });
  const metrics = createPodMetrics(service.registry, machine.id);

  publisher = new Publisher({
    url: cfg.mqttUrl, username: cfg.mqttUsername, password: cfg.mqttPassword, machineId: machine.id, areaId: machine.area, plantId: cfg.topicPlantId ?? cfg.plant.plant.id,
    bootId, stateDir: cfg.stateDir, log, metrics, maxQueueBytes: cfg.maxQueueBytes, machineConnected,
  });
  const pub = publisher;
  const normaliser = new Normaliser({ machine, stateDir: cfg.stateDir, log, metrics, refreshMs: cfg.refreshMs, machineNow: () => pub.machineNow() });
  const guard = cfg.clock && new ClockGuard({
    ...cfg.clock,
    // the S7 clock tag is read as it is now; SQL rows and result files may come from the past
    live: machine.interface.type === 's7',
    onChange: (wrong, skewMs) =>
      wrong
        ? log.warn({ skewS: Math.round(skewMs / 1000) }, "the machine's clock is beyond the bound: its messages are stamped with the pod's time (clock: pod)")
        : log.info({ skewS: Math.round(skewMs / 1000) }, "the machine's clock is within the bound again"),
  });

  const publishJob = (job: AgentJob, event: JobEvent) => {
    void pub.publish({ kind: 'job', ts: pub.machineNow(), jobId: job.jobId, event, partNumber: job.partNumber, quantity: job.quantity, good: job.good, scrap: job.scrap, ...(job.message ? { message: job.message.slice(0, 200) } : {}) }, { durable: true }).catch(() => undefined);
  };
  let agent: JobAgent | undefined;
  const ctx: DriverContext = {
    machine, stateDir: cfg.stateDir, log, metrics,
    emit: async (events: MachineEvent[], opts) => {
      const bodies = normaliser.normalise(events);
      // only the machine's own times are judged (a PLC's before its first clock reading are the pod's)
      if (guard && normaliser.knowsMachineTime()) bodies.forEach((b, i) => {
        const stamped = guard.stamp(b);
        if (stamped !== b) metrics.clockRestamped.inc(metrics.labels);
        metrics.clockSkew.set(metrics.labels, guard.skewMs / 1000);
        bodies[i] = stamped;
      });
      const acked = Promise.all(bodies.map((b) => pub.publish(b, opts)));
      if (opts.durable) {
        // journaled, so accepted now: waiting for the broker here would hold every poll's values in
        // memory for as long as it is away (~5 KB per S7 poll, measured)
        normaliser.persistTotals();
        acked.catch(() => undefined);
        return;
      }
      await acked;
      normaliser.persistTotals();
    },
    connection: (up, reason) => {
      metrics.connected.set({ ...metrics.labels, target: 'machine' }, up ? 1 : 0);
      if (up) {
        metrics.reconnects.inc({ ...metrics.labels, target: 'machine' });
        log.info('machine connected');
      } else {
        log.warn({ reason }, 'machine connection lost');
        for (const b of normaliser.connectionLost()) void pub.publish(b, { durable: true }).catch(() => undefined);
      }
      void pub.publishPodStatus().catch(() => undefined);
    },
    jobUpdate: (u) => agent?.update(u),
    currentJob: () => {
      const job = agent?.current();
      const spec = agent?.currentSpec();
      return job && spec ? { spec, status: job.status, good: job.good, scrap: job.scrap } : undefined;
    },
  };
  driver = await createDriver(ctx, cfg);
  agent = new JobAgent({ machine, stateDir: cfg.stateDir, log, handshake: driver.jobs, publish: publishJob });
  addJobAgentRoutes(service, agent, cfg.apiToken);

  publisher.start();
  // in Kubernetes a pod drives its machine only while it holds the machine's Lease: never two at once
  // (loaded only there: its HTTPS client costs a pod ~2 MB it does not otherwise need)
  const fence = cfg.fence ?? (process.env.KUBERNETES_SERVICE_HOST ? (await import('./fencing/fence.js')).machineFenceFromEnv(machine.id, log) : undefined);
  if (fence) {
    await fence.acquire();
    fence.onLost(() => void driver!.stop().finally(() => process.exit(1)));
  }
  await driver.start();
  const server: Server = await service.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  log.info({ port, interface: machine.interface.type }, 'machine pod started');

  const drv = driver;
  const theAgent = agent;
  return {
    machineId: machine.id,
    bootId,
    port,
    url: `http://127.0.0.1:${port}`,
    ready,
    machineConnected,
    brokerConnected,
    queueDepth: () => pub.queueDepth(),
    agent: theAgent,
    async stop() {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      pub.release();
      await drv.stop();
      await fence?.release();
      await pub.stop();
      log.info('machine pod stopped');
    },
  };
}
