import { readFileSync } from 'node:fs';
import { call } from '@plant-twin/cloud/testing';
import { createLogger } from '@plant-twin/runtime';
import { startPlantRun, type PlantRun } from '@plant-twin/supervisor';

/**
 * The whole simulated plant for the twin's end-to-end tests, started as `npm start` starts it
 * (startPlantRun: the same derivation and child processes, a temporary run dir, ports shifted by
 * `portOffset`), plus one user per role and typed helpers for the REST API and the simulator's
 * control API. One plant per test file: starting it costs tens of seconds.
 */

export const roleNames = ['admin', 'engineer', 'planner', 'supervisor', 'viewer'] as const;
export type RoleName = (typeof roleNames)[number];

export interface Credentials {
  username: string;
  password: string;
}

export interface HttpAnswer<T = any> {
  status: number;
  body: T;
}

export interface TwinPlant {
  run: PlantRun;
  /** the cloud's base URL (HTTPS, self-signed certificate: trust `ca`) */
  url: string;
  ca: string;
  /** one user of each role; `admin` is the first admin the cloud created */
  users: Record<RoleName, Credentials>;
  /** a REST call to the cloud as `role` (a bearer session of that user) */
  api<T = any>(role: RoleName, method: string, path: string, body?: unknown): Promise<HttpAnswer<T>>;
  /** a call to the simulators' control API (bearer SIM_CONTROL_TOKEN) */
  sim<T = any>(method: string, path: string, body?: unknown): Promise<HttpAnswer<T>>;
  /** stops the plant; its run dir (logs) is kept when asked or with TWIN_E2E_KEEP_RUN=1 */
  close(keep?: boolean): Promise<void>;
}

export interface TwinPlantOptions {
  portOffset: number;
  speed?: number;
  seed?: number;
  simStart?: number;
  plantFile?: string;
}

const testPassword = (role: string) => `e2e-${role}-pw-${Math.random().toString(36).slice(2, 10)}`;

export async function startTwinPlant(o: TwinPlantOptions): Promise<TwinPlant> {
  // stderr: the benchmark's stdout is its JSON
  const log = createLogger('twin-e2e', {}, process.stderr);
  log.level = 'warn';
  const run = await startPlantRun({ seed: o.seed ?? 7, speed: o.speed ?? 1, portOffset: o.portOffset, log, ...(o.simStart !== undefined ? { simStart: o.simStart } : {}), ...(o.plantFile ? { plantFile: o.plantFile } : {}) });
  try {
    await run.start(180_000);
  } catch (e) {
    await run.close(true);
    throw e;
  }
  const cloud = run.byRole('cloud');
  const url = `https://127.0.0.1:${cloud.httpPort}`;
  const ca = readFileSync(`${run.runDir}/tls/cloud.crt`, 'utf8');
  const adminPassword = readFileSync(cloud.env.CLOUD_ADMIN_PASSWORD_FILE!, 'utf8').trim();
  const users = { admin: { username: 'admin', password: adminPassword } } as Record<RoleName, Credentials>;
  const tokens = new Map<RoleName, string>();

  const raw = async (method: string, path: string, body: unknown, token?: string): Promise<HttpAnswer> =>
    call(method, `${url}${path}`, { ca, timeoutMs: 30_000, ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
  const tokenOf = async (role: RoleName) => {
    let t = tokens.get(role);
    if (!t) {
      const r = await raw('POST', '/api/v1/auth/login', users[role]);
      if (r.status !== 200) throw new Error(`log in as ${role} (${users[role].username}): HTTP ${r.status} ${JSON.stringify(r.body)}`);
      tokens.set(role, (t = r.body.token as string));
    }
    return t;
  };
  const api = async (role: RoleName, method: string, path: string, body?: unknown) => raw(method, path, body, await tokenOf(role));

  for (const role of roleNames.filter((r) => r !== 'admin')) {
    users[role] = { username: `e2e-${role}`, password: testPassword(role) };
    const r = await api('admin', 'POST', '/api/v1/users', { ...users[role], role });
    if (r.status !== 201) throw new Error(`create user ${users[role].username}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }

  const simProgram = run.byRole('simulators');
  const sim = (method: string, path: string, body?: unknown) =>
    call(method, `http://127.0.0.1:${simProgram.httpPort}${path}`, { token: run.secrets.SIM_CONTROL_TOKEN!, timeoutMs: 30_000, ...(body === undefined ? {} : { body }) });

  return {
    run,
    url,
    ca,
    users,
    api,
    sim,
    close: (keep = false) => run.close(keep || !!process.env.TWIN_E2E_KEEP_RUN),
  };
}
