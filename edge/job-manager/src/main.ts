import { readFileSync } from 'node:fs';
import { bindHostFromEnv, ConfigError, createLogger, onShutdown, portFromEnv, readEnv, requireSecret } from '@plant-twin/runtime';
import * as z from 'zod';
import { jobDatabaseTuning } from './pglite-tuning.js';
import { startJobManager } from './service.js';

const podUrls = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"PRS-01": "http://…"}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().regex(/^[A-Z]{2,4}-\d{2}$/, 'keys must be machine ids like PRS-01'), z.url()));

const env = readEnv(
  z.object({
    JM_PORT: portFromEnv.default(12100),
    BIND_HOST: bindHostFromEnv,
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    JM_DATA_DIR: z.string().default('.data/job-manager'),
    /** PostgreSQL schema for the job tables (created if missing), so one database can also hold the cloud's */
    JM_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('job_manager'),
    ERP_URL: z.url(),
    ERP_USER: z.string().min(1),
    POD_URLS: podUrls,
    JM_SYNC_MS: z.coerce.number().int().min(50).default(2000),
    JM_POLL_MS: z.coerce.number().int().min(50).default(1000),
    JM_OUTBOX_MS: z.coerce.number().int().min(50).default(1000),
    JM_MOVE_AFTER_MS: z.coerce.number().int().min(0).default(10_000),
    /** the cloud (jobs mirror, command channel), reached over outbound HTTPS; unset: no cloud link */
    CLOUD_URL: z.url().optional(),
    CLOUD_CA_FILE: z.string().min(1).optional(),
    EDGE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits, "-"').optional(),
    JM_CLOUD_PUSH_MS: z.coerce.number().int().min(100).default(1000),
  }),
);
const log = createLogger('job-manager');
if (env.CLOUD_URL && !env.EDGE_ID) throw new ConfigError(['EDGE_ID: the edge id the cloud knows this edge by, needed with CLOUD_URL']);
const cloud = env.CLOUD_URL
  ? {
      url: env.CLOUD_URL,
      edgeId: env.EDGE_ID!,
      token: requireSecret('EDGE_TOKEN'),
      ca: env.CLOUD_CA_FILE ? readFileSync(env.CLOUD_CA_FILE, 'utf8') : undefined,
      pushMs: env.JM_CLOUD_PUSH_MS,
    }
  : undefined;
const jm = await startJobManager({
  log,
  databaseUrl: env.DATABASE_URL,
  dataDir: env.DATABASE_URL ? undefined : env.JM_DATA_DIR,
  pglite: jobDatabaseTuning,
  schema: env.JM_DB_SCHEMA,
  apiToken: requireSecret('JM_API_TOKEN'),
  erp: { url: env.ERP_URL, user: env.ERP_USER, password: requireSecret('ERP_PASSWORD') },
  pods: env.POD_URLS,
  podToken: requireSecret('POD_API_TOKEN'),
  port: env.JM_PORT,
  host: env.BIND_HOST,
  syncMs: env.JM_SYNC_MS,
  orchestrateMs: env.JM_POLL_MS,
  outboxMs: env.JM_OUTBOX_MS,
  moveAfterMs: env.JM_MOVE_AFTER_MS,
  cloud,
});
onShutdown(log)(() => jm.close());
