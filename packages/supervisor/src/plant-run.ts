import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPlantFile, loadPlant, repoRoot, type Plant } from '@plant-twin/plant-model';
import { jsonRequest, type Logger } from '@plant-twin/runtime';
import { derivePlantDeployment, jobManagerOnPostgresNodeArgs, podName, type Program, type ProgramRole } from './deployment.js';
import { ensureLocalTls, ensurePrivateDir, localAddressing, loadOrCreatePlantSecrets, writeLocalSite } from './local.js';
import { ProcessSupervisor } from './process-supervisor.js';

export interface PlantRunOptions {
  seed: number;
  speed: number;
  /** added to every local port (and the simulated machines' ports), so a run goes beside an `npm start` plant */
  portOffset: number;
  /** programs of these roles run (default: all) */
  roles?: ProgramRole[];
  /** simulated start time (default: now) */
  simStart?: number;
  /** the cloud on PostgreSQL in this schema (default: PGlite in the run dir) */
  cloudDb?: { url: string; schema: string };
  /** the job manager on PostgreSQL, as at a site, in this schema (default: PGlite in the run dir) */
  jobDb?: { url: string; schema?: string };
  log: Logger;
  /** LOG_LEVEL of every program */
  logLevel?: string;
  /** the plant model (default plant/plant.yaml) */
  plantFile?: string;
}

/**
 * A whole simulated plant as `npm start` runs it (same derivation, same programs as child
 * processes), in a temporary run directory with its own site file (shifted ports, shares under the
 * run dir) and secrets: the scenario runner and the end-to-end chain tests share it.
 */
export interface PlantRun {
  runDir: string;
  plant: Plant;
  programs: Program[];
  secrets: Record<string, string>;
  sup: ProcessSupervisor;
  byRole(role: ProgramRole): Program;
  pod(machineId: string): Program;
  /** a JSON request to a program's API with the credential it wants (the cloud: a user session, see login) */
  http<T>(p: Program, path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  /** logs in to the cloud as the first admin (from the password file the cloud wrote) */
  loginCloud(): Promise<void>;
  /** starts every program and waits until each is ready; throws naming the ones that are not */
  start(timeoutMs?: number): Promise<void>;
  waitReady(timeoutMs?: number): Promise<void>;
  /** stops everything; the run dir is removed unless keep */
  close(keep?: boolean): Promise<void>;
}

export async function startPlantRun(o: PlantRunOptions): Promise<PlantRun> {
  const runDir = mkdtempSync(join(tmpdir(), 'plant-run-'));
  ensurePrivateDir(runDir);
  const siteFile = writeLocalSite(runDir, { portOffset: o.portOffset, host: '127.0.0.1', shareRoot: join(runDir, 'shares') });
  const plantFile = o.plantFile ?? defaultPlantFile;
  const plant = loadPlant(plantFile, siteFile);
  const secrets = await loadOrCreatePlantSecrets(runDir, plant);
  const roles = o.roles;
  const withCloud = !roles || roles.includes('cloud');
  const tls = withCloud ? await ensureLocalTls(runDir) : undefined;
  const programs = derivePlantDeployment(plant, {
    plantFile,
    siteFile,
    addressing: localAddressing(plant, runDir, o.portOffset),
    seed: o.seed,
    speed: o.speed,
    ...(o.simStart !== undefined ? { simStart: o.simStart } : {}),
    simulate: true,
    ...(tls ? { tls } : {}),
    common: { LOG_LEVEL: o.logLevel ?? 'warn' },
  }).filter((p) => !roles || roles.includes(p.role));
  const cloud = programs.find((p) => p.role === 'cloud');
  if (cloud && o.cloudDb) {
    delete cloud.env.CLOUD_DATA_DIR;
    Object.assign(cloud.env, { DATABASE_URL: o.cloudDb.url, CLOUD_DB_SCHEMA: o.cloudDb.schema });
  }
  const jobManager = programs.find((p) => p.role === 'job-manager');
  if (jobManager && o.jobDb) {
    delete jobManager.env.JM_DATA_DIR;
    Object.assign(jobManager.env, { DATABASE_URL: o.jobDb.url, ...(o.jobDb.schema ? { JM_DB_SCHEMA: o.jobDb.schema } : {}) });
    jobManager.nodeArgs = jobManagerOnPostgresNodeArgs;
  }
  const ca = tls ? readFileSync(tls.caFile, 'utf8') : undefined;
  const sup = new ProcessSupervisor({ repoRoot, logDir: join(runDir, 'logs'), secrets, log: o.log, ...(ca ? { ca } : {}) });
  let session: string | undefined;

  const byName = (name: string) => {
    const p = programs.find((x) => x.name === name);
    if (!p) throw new Error(`program ${name} is not part of this run`);
    return p;
  };
  const byRole = (role: ProgramRole) => {
    const p = programs.find((x) => x.role === role);
    if (!p) throw new Error(`no ${role} in this run`);
    return p;
  };
  const authOf = (p: Program, path: string): string => {
    if (path === '/metrics') return `Bearer ${secrets.METRICS_TOKEN}`;
    switch (p.role) {
      case 'erp-sim':
        return `Basic ${Buffer.from(`${secrets.ERP_USER}:${secrets.ERP_PASSWORD}`).toString('base64')}`;
      case 'job-manager':
        return `Bearer ${secrets.JM_API_TOKEN}`;
      case 'machine-pod':
        return `Bearer ${secrets.POD_API_TOKEN}`;
      case 'cloud':
        return `Bearer ${session}`;
      default:
        return `Bearer ${secrets.SIM_CONTROL_TOKEN}`;
    }
  };
  const http = async <T>(p: Program, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const url = `${p.https ? 'https' : 'http'}://127.0.0.1:${p.httpPort}${path}`;
    const r = await jsonRequest(init.method ?? 'GET', url, { body: init.body, headers: { authorization: authOf(p, path) }, timeoutMs: 30_000, ...(p.https && ca ? { ca } : {}) });
    if (r.status < 200 || r.status >= 300) throw new Error(`${p.name} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  };
  const waitReady = async (timeoutMs = 120_000) => {
    const ready = await Promise.all(programs.map((p) => sup.waitReady(p, timeoutMs)));
    const notReady = programs.filter((_, i) => !ready[i]).map((p) => p.name);
    if (notReady.length) throw new Error(`not ready after ${timeoutMs / 1000} s: ${notReady.join(', ')} (logs in ${join(runDir, 'logs')})`);
  };

  return {
    runDir,
    plant,
    programs,
    secrets,
    sup,
    byRole,
    pod: (machineId) => byName(podName(machineId)),
    http,
    async loginCloud() {
      const password = readFileSync(byRole('cloud').env.CLOUD_ADMIN_PASSWORD_FILE!, 'utf8').trim();
      session = (await http<{ token: string }>(byRole('cloud'), '/api/v1/auth/login', { method: 'POST', body: { username: 'admin', password } })).token;
    },
    async start(timeoutMs = 120_000) {
      for (const p of programs) sup.start(p);
      await waitReady(timeoutMs);
    },
    waitReady,
    async close(keep = false) {
      await sup.stopAll();
      if (!keep) rmSync(runDir, { recursive: true, force: true });
    },
  };
}
