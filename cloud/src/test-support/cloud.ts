import { createLogger, hashSecret, type Logger } from '@plant-twin/runtime';
import { loadPlant } from '@plant-twin/plant-model';
import { startCloud, type RunningCloud } from '../app.js';
import type { CloudConfig } from '../config.js';
import { freshDb, type DbKind } from './db.js';
import { call } from './http.js';

export const testEdge = { id: 'edge-1', token: 'edge-one-secret-token' };

export interface TestCloud {
  cloud: RunningCloud;
  /** a bearer session of the first admin */
  adminToken: string;
  adminPassword: string;
  /** a bearer session of a new user with this role (password returned too) */
  user(username: string, role: string): Promise<{ token: string; password: string }>;
  close(): Promise<void>;
}

export const quiet = (): Logger => {
  const log = createLogger('cloud-test');
  log.level = 'silent';
  return log;
};

/** A test cloud's configuration: ephemeral port on 127.0.0.1, the plant model, edge-1's credential, quiet. */
export async function testCloudConfig(config: Partial<CloudConfig> = {}): Promise<CloudConfig> {
  const edgeCredentials = { [testEdge.id]: await hashSecret(testEdge.token) };
  return { port: 0, host: '127.0.0.1', plant: loadPlant(), edgeCredentials, printAdminPassword: false, liveIntervalMs: 50, ...config };
}

/** A cloud on PGlite (in memory) or on a fresh schema of the local PostgreSQL, with edge-1's credential. */
export async function startTestCloud(kind: DbKind, config: Partial<CloudConfig> = {}, log: Logger = quiet()): Promise<TestCloud> {
  const base = await testCloudConfig(config);
  let dropSchema: () => Promise<void> = async () => undefined;
  let cloud: RunningCloud;
  if (kind === 'postgres') {
    // a unique schema on the real server; the service migrates it itself
    const probe = await freshDb('postgres');
    await probe.db.destroy();
    cloud = await startCloud({ ...base, databaseUrl: probe.url, dbSchema: probe.schema }, log);
    dropSchema = probe.close;
  } else cloud = await startCloud(base, log);
  const adminPassword = cloud.firstAdminPassword!;
  const login = async (username: string, password: string) => {
    const r = await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  };
  const adminToken = await login('admin', adminPassword);
  return {
    cloud,
    adminToken,
    adminPassword,
    async user(username, role) {
      const r = await call('POST', `${cloud.url}/api/v1/users`, { token: adminToken, body: { username, role } });
      if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      return { token: await login(username, r.body.password), password: r.body.password };
    },
    async close() {
      await cloud.close();
      await dropSchema();
    },
  };
}
