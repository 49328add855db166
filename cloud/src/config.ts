import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { bindHostFromEnv, ConfigError, portFromEnv, readEnv } from '@plant-twin/runtime';
import { defaultPlantFile, loadPlant, type Plant } from '@plant-twin/plant-model';
import { edgeCredentialsSchema } from './auth/edge-auth.js';
import { defaultQueryBounds, type QueryBounds } from './bounds.js';
import { defaultAcceptWindow, type AcceptWindow } from './ingest/window.js';
import { defaultRetention, type Retention } from './jobs.js';
import type { ThrottleRules } from './auth/throttle.js';

export interface CloudConfig {
  port: number;
  host?: string;
  plant: Plant;
  /** postgres://… ; unset: PGlite in dataDir (in memory when dataDir is unset too) */
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  dbSchema?: string | undefined;
  /** edge id -> scrypt hash of its token */
  edgeCredentials: Record<string, string>;
  tls?: { cert: string; key: string } | undefined;
  adminPasswordFile?: string | undefined;
  /** print the first admin's password to stdout (default true) */
  printAdminPassword?: boolean;
  retention?: Retention;
  /** history query bounds (default bounds.ts) */
  queryBounds?: QueryBounds | undefined;
  /** message times taken into the history; others are quarantined (default ingest/window.ts) */
  acceptWindow?: AcceptWindow | undefined;
  /** live push coalescing interval (default liveIntervalMs of the contracts, 100 ms) */
  liveIntervalMs?: number;
  /** OEE rollup job interval (default 60 s) */
  rollupIntervalMs?: number;
  /** Secure session cookies (default true; false only for plain-HTTP test setups) */
  secureCookies?: boolean | undefined;
  /** nothing heard from a machine for longer: stale (default 120 s) */
  staleAfterMs?: number | undefined;
  /** a command nobody applied within this time expires (default 2 minutes) */
  commandLifetimeMs?: number | undefined;
  /** express "trust proxy": whose X-Forwarded-For names the client (default: none, the socket's address) */
  trustProxy?: boolean | number | string | undefined;
  /** the built twin (default twin/dist of this repository) */
  twinDir?: string | undefined;
  /** bearer token of GET /metrics (default env METRICS_TOKEN) */
  metricsToken?: string | undefined;
  /** login throttle limits (default auth/throttle.ts) */
  loginThrottle?: ThrottleRules | undefined;
}

const envSchema = z.object({
  CLOUD_PORT: portFromEnv.default(8080),
  BIND_HOST: bindHostFromEnv,
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  CLOUD_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').optional(),
  CLOUD_DATA_DIR: z.string().default('.data/cloud'),
  EDGE_CREDENTIALS: z.string().default('{}'),
  CLOUD_TLS_CERT_FILE: z.string().optional(),
  CLOUD_TLS_KEY_FILE: z.string().optional(),
  CLOUD_ADMIN_PASSWORD_FILE: z.string().optional(),
  PLANT_FILE: z.string().default(defaultPlantFile),
  SITE_FILE: z.string().optional(),
  CLOUD_RETENTION_RAW_DAYS: z.coerce.number().positive().default(defaultRetention.rawDays),
  CLOUD_RETENTION_1M_DAYS: z.coerce.number().positive().default(defaultRetention.minuteDays),
  CLOUD_RETENTION_EVENT_DAYS: z.coerce.number().min(0).default(defaultRetention.eventDays),
  CLOUD_RETENTION_QUARANTINE_DAYS: z.coerce.number().positive().default(defaultRetention.quarantineDays!),
  CLOUD_ACCEPT_PAST_DAYS: z.coerce.number().positive().default(defaultAcceptWindow.pastMs / 86_400_000),
  CLOUD_ACCEPT_FUTURE_S: z.coerce.number().min(0).default(defaultAcceptWindow.futureMs / 1000),
  CLOUD_QUERY_MAX_DAYS: z.coerce.number().positive().default(defaultQueryBounds.maxRangeDays),
  CLOUD_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(defaultQueryBounds.timeoutMs),
  CLOUD_QUERY_CONCURRENCY: z.coerce.number().int().min(1).default(defaultQueryBounds.concurrency),
  CLOUD_QUERY_QUEUE: z.coerce.number().int().min(0).default(defaultQueryBounds.queue),
  CLOUD_INSECURE_COOKIES: z.enum(['0', '1']).default('0'),
  CLOUD_STALE_AFTER_S: z.coerce.number().positive().default(120),
  CLOUD_COMMAND_LIFETIME_S: z.coerce.number().min(5).max(86_400).default(120),
  CLOUD_TRUST_PROXY: z.string().regex(/^(loopback|\d{1,2}|[0-9a-f.:/, ]+)$/i, 'loopback, a number of hops, or addresses/subnets').optional(),
  CLOUD_TWIN_DIR: z.string().optional(),
});

/** The cloud's configuration from the environment (and the files it names); every problem at once. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const problems: string[] = [];
  let e: z.output<typeof envSchema> | undefined;
  try {
    e = readEnv(envSchema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  let edgeCredentials: Record<string, string> = {};
  try {
    const parsed = edgeCredentialsSchema.safeParse(JSON.parse(env.EDGE_CREDENTIALS ?? '{}'));
    if (parsed.success) edgeCredentials = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => `EDGE_CREDENTIALS.${i.path.join('.')}: ${i.message}`));
  } catch (err) {
    problems.push(`EDGE_CREDENTIALS: not JSON (${(err as Error).message})`);
  }
  const certFile = env.CLOUD_TLS_CERT_FILE, keyFile = env.CLOUD_TLS_KEY_FILE;
  if (Boolean(certFile) !== Boolean(keyFile)) problems.push('CLOUD_TLS_CERT_FILE and CLOUD_TLS_KEY_FILE: set both or neither');
  let tls: CloudConfig['tls'];
  if (certFile && keyFile) {
    try {
      tls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch (err) {
      problems.push(`CLOUD_TLS_CERT_FILE/CLOUD_TLS_KEY_FILE: ${(err as Error).message}`);
    }
  }
  if (problems.length || !e) throw new ConfigError(problems);
  return {
    port: e.CLOUD_PORT,
    host: e.BIND_HOST,
    plant: loadPlant(e.PLANT_FILE, e.SITE_FILE),
    databaseUrl: e.DATABASE_URL,
    dbSchema: e.CLOUD_DB_SCHEMA,
    dataDir: e.DATABASE_URL ? undefined : e.CLOUD_DATA_DIR,
    edgeCredentials,
    tls,
    adminPasswordFile: e.CLOUD_ADMIN_PASSWORD_FILE,
    // stdout may be a log file (a supervisor, systemd): with a password file the password goes only there, unless a person watches the terminal
    printAdminPassword: !e.CLOUD_ADMIN_PASSWORD_FILE || Boolean(process.stdout.isTTY),
    secureCookies: e.CLOUD_INSECURE_COOKIES !== '1',
    staleAfterMs: e.CLOUD_STALE_AFTER_S * 1000,
    commandLifetimeMs: e.CLOUD_COMMAND_LIFETIME_S * 1000,
    trustProxy: e.CLOUD_TRUST_PROXY === undefined ? false : /^\d+$/.test(e.CLOUD_TRUST_PROXY) ? Number(e.CLOUD_TRUST_PROXY) : e.CLOUD_TRUST_PROXY,
    twinDir: e.CLOUD_TWIN_DIR,
    retention: { rawDays: e.CLOUD_RETENTION_RAW_DAYS, minuteDays: e.CLOUD_RETENTION_1M_DAYS, eventDays: e.CLOUD_RETENTION_EVENT_DAYS, quarantineDays: e.CLOUD_RETENTION_QUARANTINE_DAYS },
    acceptWindow: { pastMs: e.CLOUD_ACCEPT_PAST_DAYS * 86_400_000, futureMs: e.CLOUD_ACCEPT_FUTURE_S * 1000 },
    queryBounds: { maxRangeDays: e.CLOUD_QUERY_MAX_DAYS, timeoutMs: e.CLOUD_QUERY_TIMEOUT_MS, concurrency: e.CLOUD_QUERY_CONCURRENCY, queue: e.CLOUD_QUERY_QUEUE },
  };
}
