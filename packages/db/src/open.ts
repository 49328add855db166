import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Kysely, PostgresDialect, sql, type Migration, Migrator } from 'kysely';
import pg from 'pg';
import { PgliteDialect } from './pglite-dialect.js';
import { seedFromTemplate } from './pglite-template.js';

/** What a program with a memory limit sets for its PGlite (measured by `npm run bench:edge`, README). */
export interface PgliteTuning {
  /** PostgreSQL settings at start (`-c name=value`) on top of PGlite's own, e.g. shared_buffers */
  settings?: Record<string, string>;
  /** folder of the template made by ensurePgliteTemplate: an empty dataDir starts as a copy of it, without initdb */
  templateRoot?: string;
  /**
   * V8 compiles PGlite's WebAssembly with its baseline compiler only (--liftoff-only): the optimised
   * code of PostgreSQL's 9 MB module costs ~55 MB and buys little for small queries. Process-wide.
   */
  baselineCompilerOnly?: boolean;
}

export interface DbOptions {
  /** postgres://… : use that PostgreSQL server; otherwise PGlite in-process */
  url?: string | undefined;
  /** PGlite data directory (persistent); omitted: in memory */
  dataDir?: string | undefined;
  /** PostgreSQL schema holding this service's tables (created if missing) */
  schema?: string;
  poolSize?: number;
  pglite?: PgliteTuning;
}

export interface Db<T> {
  db: Kysely<T>;
  kind: 'postgres' | 'pglite';
  /** how a PGlite data directory came to be: it existed, was copied from the template, or initdb made it */
  pgliteStart?: 'memory' | 'existing' | 'template' | 'initdb';
  close(): Promise<void>;
}

// BIGINT (int8) and NUMERIC come back from pg as strings; counts and sums here fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export async function openDb<T>(opts: DbOptions): Promise<Db<T>> {
  if (opts.url) {
    // the search_path is a startup parameter of every connection: no client can run a query before it
    // is set (tables silently landing in "public"), and no query races a "set" on a fresh client
    const pool = new pg.Pool({
      connectionString: opts.url, max: opts.poolSize ?? 5, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000,
      ...(opts.schema ? { options: `-c search_path=${opts.schema},public` } : {}),
    });
    pool.on('error', () => undefined); // a dropped idle client is replaced on next use; queries report their own errors
    if (opts.schema) await pool.query(`create schema if not exists ${opts.schema}`);
    const db = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const tuning = opts.pglite ?? {};
  // before the module is compiled: V8 reads the flag at compile time
  if (tuning.baselineCompilerOnly) setFlagsFromString('--liftoff-only');
  const { PGlite } = await import('@electric-sql/pglite');
  let pgliteStart: Db<T>['pgliteStart'] = 'memory';
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    if (existsSync(join(opts.dataDir, 'PG_VERSION'))) pgliteStart = 'existing';
    else pgliteStart = tuning.templateRoot && seedFromTemplate(tuning.templateRoot, opts.dataDir) ? 'template' : 'initdb';
  }
  const settings = Object.entries(tuning.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const lite = new PGlite(opts.dataDir, settings.length ? { startParams: [...PGlite.defaultStartParams, ...settings] } : {});
  await lite.waitReady;
  if (opts.schema) {
    await lite.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}, public`);
  }
  const db = new Kysely<T>({ dialect: new PgliteDialect(lite) });
  return { db, kind: 'pglite', pgliteStart, close: () => db.destroy() };
}

/**
 * Applies the versioned migrations in name order; each runs once, in a transaction. Pass the
 * service's schema: without it kysely takes a migration table found in ANY schema of the database
 * (another service's, another test's) as its own.
 */
export async function migrate(db: Kysely<any>, migrations: Record<string, Migration>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A fresh, empty PostgreSQL schema for one test on the real server (DATABASE_URL or the local default). */
export function testPostgresUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Drops a PostgreSQL schema and everything in it (a test's or a benchmark's own). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`drop schema if exists "${schema.replace(/"/g, '""')}" cascade`);
  } finally {
    await c.end();
  }
}

export { sql };
