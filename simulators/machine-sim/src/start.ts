import { join } from 'node:path';
import { loadPlant, localSiteFile, defaultPlantFile, type Plant } from '@plant-twin/plant-model';
import { createLogger, type Logger } from '@plant-twin/runtime';
import { RealTimeDriver } from './clock.js';
import { startControlServer, type ControlServer } from './control.js';
import { FileFace, type FileRecord } from './file/face.js';
import type { MachineSim } from './machine.js';
import { freePort } from './net.js';
import { PlantSim } from './plant-sim.js';
import { S7Face } from './s7/face.js';
import { SqlFace } from './sql/face.js';
import type { TruthRecorder } from './truth.js';

/** What a simulator face offers to the plant runner: start/stop (for reconnect tests) and one scan per tick. */
export interface Face {
  readonly kind: 's7' | 'sql' | 'file';
  readonly running: boolean;
  /** where a client reaches it: host:port or a share path */
  readonly endpoint: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
  /** file faces: probability of a damaged result file */
  setFaultRate?(rate: number): void;
}

export interface SimulatedMachine {
  id: string;
  name: string;
  kind: string;
  sim: MachineSim;
  face: Face;
}

export interface StartOptions {
  /** plant model (already site-applied); default: loaded from plantFile + siteFile */
  plant?: Plant;
  plantFile?: string;
  /** default: plant/sites/local.yaml */
  siteFile?: string;
  seed?: string | number;
  /** simulated ms per real ms (default 1) */
  speed?: number;
  /** simulated time at start (default: now) */
  startMs?: number;
  /** subset of machine ids (default: all) */
  machines?: readonly string[];
  /** false: no timer; the caller moves time with `advance` (tests) */
  realTime?: boolean;
  tickMs?: number;
  /** IPv4 address the S7 and TDS servers bind (default 127.0.0.1; 0.0.0.0 in a pod) */
  bindHost?: string;
  /** free ephemeral ports instead of the plant's ports (tests running in parallel) */
  ephemeralPorts?: boolean;
  /** folder whose <machineId> subfolders replace the file machines' shares (tests) */
  shareRoot?: string;
  /** control HTTP port; undefined = no control server, 0 = ephemeral */
  controlPort?: number;
  /** bearer token for mutating control endpoints */
  controlToken?: string;
  /** probability of a damaged result file (SIM_FILE_FAULTS) */
  fileFaultRate?: number;
  /** where the SQL passwords (interface.passwordEnv) are read */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export interface SimulatedPlant {
  plant: Plant;
  sim: PlantSim;
  machines: SimulatedMachine[];
  truth: TruthRecorder;
  /** result files the file faces wrote, with the cycles in each and any damage done on purpose */
  files: FileRecord[];
  control: ControlServer | undefined;
  speed: number;
  machine(id: string): SimulatedMachine;
  /** One scan of every face at the current simulated time, then time moves to `target` (used by the real-time driver). */
  step(target: number): Promise<void>;
  /** Moves simulated time by `ms` in scans of at most `scanMs` (default 1 s), with the faces synced at each: tests. */
  advance(ms: number, scanMs?: number): Promise<void>;
  stop(): Promise<void>;
}

class S7FaceAdapter implements Face {
  readonly kind = 's7' as const;
  constructor(readonly face: S7Face, private readonly host: string) {}
  get running() { return this.face.running; }
  get endpoint() { return `${this.host}:${this.face.port}`; }
  async start() { this.face.start(); }
  async stop() { this.face.stop(); }
  async sync() { this.face.sync(); }
  async close() { this.face.stop(); }
}

class FileFaceAdapter implements Face {
  readonly kind = 'file' as const;
  constructor(readonly face: FileFace) {}
  get running() { return this.face.running; }
  get endpoint() { return this.face.share; }
  start() { return this.face.start(); }
  async stop() { this.face.stop(); }
  sync() { return this.face.sync(); }
  async close() { this.face.close(); }
  setFaultRate(rate: number) { this.face.faultRate = rate; }
}

class SqlFaceAdapter implements Face {
  readonly kind = 'sql' as const;
  constructor(readonly face: SqlFace) {}
  get running() { return this.face.running; }
  get endpoint() { return this.face.endpoint; }
  start() { return this.face.start(); }
  stop() { return this.face.stop(); }
  sync() { return this.face.sync(); }
  close() { return this.face.close(); }
}

/**
 * Starts the simulated plant in this process: the behaviour model, one face per machine (S7 server,
 * TDS server or file share) and, if asked, the control HTTP API; with `realTime` (default) a timer
 * moves simulated time at `speed`.
 */
export async function startSimulatedPlant(opts: StartOptions = {}): Promise<SimulatedPlant> {
  const log = opts.log ?? createLogger('machine-sim');
  const plant = opts.plant ?? loadPlant(opts.plantFile ?? defaultPlantFile, opts.siteFile ?? localSiteFile);
  const speed = opts.speed ?? 1;
  const bindHost = opts.bindHost ?? '127.0.0.1';
  const env = opts.env ?? process.env;
  const sim = new PlantSim({ plant, seed: opts.seed ?? 1, startMs: opts.startMs, machines: opts.machines });
  const machines: SimulatedMachine[] = [];
  const started: Face[] = [];
  const files: FileRecord[] = [];
  let control: ControlServer | undefined;
  let driver: RealTimeDriver | undefined;

  const stopAll = async () => {
    await driver?.stop();
    await control?.close();
    for (const f of started.reverse()) await f.close().catch((err: unknown) => log.error({ err }, 'closing a face failed'));
  };

  try {
    for (const ms of sim.machines.values()) {
      const m = ms.model;
      const itf = m.interface;
      let face: Face;
      if (itf.type === 's7') {
        const port = opts.ephemeralPorts ? await freePort(bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost) : itf.port;
        face = new S7FaceAdapter(new S7Face(ms, itf, { bindHost, port, log }), bindHost === '0.0.0.0' ? itf.host : bindHost);
      } else if (itf.type === 'file') {
        const share = opts.shareRoot ? join(opts.shareRoot, m.id) : undefined;
        face = new FileFaceAdapter(new FileFace(ms, itf, { log, share, faultRate: opts.fileFaultRate, faultRng: sim.stream(`${m.id}/file-faults`), onFile: (f) => files.push(f) }));
      } else {
        face = new SqlFaceAdapter(new SqlFace(ms, itf, { port: opts.ephemeralPorts ? 0 : itf.port, bindHost, env, log }));
      }
      await face.start();
      started.push(face);
      machines.push({ id: m.id, name: m.name, kind: m.kind, sim: ms, face });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  let scanning: Promise<void> = Promise.resolve();
  const step = async (target: number) => {
    // time moves to the target, then every face runs one scan: takes in client writes, publishes values
    const run = scanning.then(async () => {
      sim.advanceTo(target);
      for (const m of machines) await m.face.sync();
    });
    scanning = run.catch(() => undefined);
    await run;
  };

  const result: SimulatedPlant = {
    plant,
    sim,
    machines,
    truth: sim.truth,
    files,
    control: undefined,
    speed,
    machine(id) {
      const m = machines.find((x) => x.id === id);
      if (!m) throw new Error(`no simulated machine ${id}`);
      return m;
    },
    step,
    async advance(ms, scanMs = 1000) {
      const end = sim.now() + ms;
      while (sim.now() < end) await step(Math.min(end, sim.now() + scanMs));
    },
    async stop() {
      await stopAll();
    },
  };

  try {
    if (opts.controlPort !== undefined) {
      control = await startControlServer(result, { port: opts.controlPort, token: opts.controlToken, host: bindHost, log });
      result.control = control;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  await step(sim.now() + 1); // publish the initial values before anyone connects
  if (opts.realTime ?? true) {
    driver = new RealTimeDriver(step, { speed, tickMs: opts.tickMs, onError: (err) => log.error({ err }, 'simulation step failed') });
    driver.start(sim.now());
  }
  return result;
}
