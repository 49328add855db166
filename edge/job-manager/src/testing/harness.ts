import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, testPostgresUrl } from '@plant-twin/db';
import { loadPlant, repoRoot } from '@plant-twin/plant-model';
import { startErpSim, type ErpSim } from '@plant-twin/erp-sim';
import { startJobManager, type JobManager, type JobManagerOptions } from '../service.js';
import { FakeAgent, quietLog } from './fake-agent.js';

export interface DbTarget {
  name: 'pglite' | 'postgres';
  prepare(): Promise<void>;
  /** options that make a job manager use this database; the same options reopen the same data */
  options(): Pick<JobManagerOptions, 'databaseUrl' | 'dataDir' | 'schema'>;
  cleanup(): Promise<void>;
}

let counter = 0;

/**
 * A fresh PGlite data directory costs an initdb (several seconds); an existing one opens in about
 * one. So tests copy a template made once per machine (made in a temp dir, renamed into place).
 */
async function pgliteDataDir(): Promise<string> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  const template = join(tmpdir(), `jm-pglite-template-${version}-${process.getuid?.() ?? 0}`);
  if (!existsSync(template)) {
    const building = mkdtempSync(join(tmpdir(), 'jm-pglite-build-'));
    const lite = new PGlite(building);
    await lite.waitReady;
    await lite.close();
    try {
      renameSync(building, template);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another worker was quicker
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'jm-pglite-'));
  cpSync(template, dir, { recursive: true });
  return dir;
}
/** PGlite in a fresh data directory, or a fresh schema on the PostgreSQL 15 server. */
export function dbTargets(): (() => DbTarget)[] {
  return [
    () => {
      let dir = '';
      return {
        name: 'pglite',
        prepare: async () => void (dir = await pgliteDataDir()),
        options: () => ({ dataDir: dir }),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    () => {
      const schema = `jm_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const url = testPostgresUrl();
      return {
        name: 'postgres',
        prepare: async () => undefined,
        options: () => ({ databaseUrl: url, schema }),
        cleanup: () => dropSchema(url, schema),
      };
    },
  ];
}

export const plant = loadPlant();
export const secrets = { erpUser: 'jm', erpPassword: 'erp-pw', podToken: 'pod-token', apiToken: 'api-token', metricsToken: 'jm-metrics-token' };

export interface Stack {
  erp: ErpSim;
  agents: Map<string, FakeAgent>;
  jm: JobManager | null;
  db: DbTarget;
  startJm(extra?: Partial<JobManagerOptions>): Promise<JobManager>;
  stopJm(): Promise<void>;
  erpCall(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** ERP simulator (no generated orders: tests script them), fake job agents, and a job manager. */
type Timing = ConstructorParameters<typeof FakeAgent>[2];
export async function startStack(target: () => DbTarget, machines: string[], agentTiming?: Timing | ((machineId: string) => Timing)): Promise<Stack> {
  const log = quietLog();
  const erp = await startErpSim({ plant, log, user: secrets.erpUser, password: secrets.erpPassword, host: '127.0.0.1', generator: { initialOrders: 0, orderIntervalMin: 0, changeIntervalMin: 0 } });
  const agents = new Map<string, FakeAgent>();
  for (const m of machines) agents.set(m, await new FakeAgent(m, secrets.podToken, typeof agentTiming === 'function' ? agentTiming(m) : agentTiming).start());
  const db = target();
  await db.prepare();
  const basic = `Basic ${Buffer.from(`${secrets.erpUser}:${secrets.erpPassword}`).toString('base64')}`;
  const call = async (url: string, auth: string, method: string, body?: unknown) => {
    const r = await fetch(url, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const stack: Stack = {
    erp,
    agents,
    jm: null,
    db,
    async startJm(extra = {}) {
      stack.jm = await startJobManager({
        log,
        ...db.options(),
        apiToken: secrets.apiToken,
        erp: { url: erp.url, user: secrets.erpUser, password: secrets.erpPassword, timeoutMs: 2000 },
        pods: Object.fromEntries([...agents].map(([m, a]) => [m, a.url])),
        podToken: secrets.podToken,
        host: '127.0.0.1',
        metricsToken: secrets.metricsToken,
        syncMs: 100,
        orchestrateMs: 50,
        outboxMs: 50,
        podTimeoutMs: 1000,
        moveAfterMs: 300,
        backoff: { baseMs: 50, maxMs: 500 },
        ...extra,
      });
      return stack.jm;
    },
    async stopJm() {
      await stack.jm?.close();
      stack.jm = null;
    },
    erpCall: (method, path, body) => call(erp.url + path, basic, method, body),
    api: (method, path, body) => call(stack.jm!.url + path, `Bearer ${secrets.apiToken}`, method, body),
    async close() {
      await stack.stopJm().catch(() => undefined);
      for (const a of agents.values()) await a.stop();
      await erp.close();
      await db.cleanup();
    },
  };
  return stack;
}

/** Polls until `check` returns a truthy value (or throws with the last value seen). */
export async function until<T>(what: string, check: () => Promise<T> | T, timeoutMs = 45_000, everyMs = 50): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
