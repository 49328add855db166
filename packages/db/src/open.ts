import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql, type Migration, Migrator } from 'kysely';
import pg from 'pg';
import { PgliteDialect } from './pglite-dialect.js';

export interface DbOptions {
  /** postgres://… : use that PostgreSQL server; otherwise PGlite in-process */
  url?: string | undefined;
  /** PGlite data directory (persistent); omitted: in memory */
  dataDir?: string | undefined;
  /** PostgreSQL schema holding this service's tables (created if missing) */
  schema?: string;
  poolSize?: number;
}

export interface Db<T> {
  db: Kysely<T>;
  kind: 'postgres' | 'pglite';
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
  const { PGlite } = await import('@electric-sql/pglite');
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const lite = new PGlite(opts.dataDir);
  await lite.waitReady;
  if (opts.schema) {
    await lite.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}, public`);
  }
  const db = new Kysely<T>({ dialect: new PgliteDialect(lite) });
  return { db, kind: 'pglite', close: () => db.destroy() };
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

export { sql };
