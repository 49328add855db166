import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { migrate, openDb, type Db } from '@plant-twin/db';
import { cloudMigrations } from './migrations.js';
import type { CloudTables } from './schema.js';

export interface CloudDbOptions {
  /** postgres://… ; unset: PGlite */
  url?: string | undefined;
  /** PGlite data directory; unset: in memory */
  dataDir?: string | undefined;
  /** PostgreSQL schema (default "cloud") */
  schema?: string | undefined;
}

const kinds = new WeakMap<Kysely<CloudTables>, Db<CloudTables>['kind']>();
/** Which database a handle opened by openCloudDb talks to (PGlite has no statement timeout, one connection). */
export const dbKindOf = (db: Kysely<CloudTables>) => kinds.get(db) ?? 'pglite';

export async function openCloudDb(opts: CloudDbOptions): Promise<Db<CloudTables>> {
  const schema = opts.schema ?? 'cloud';
  // PGlite writes its files world-readable (0666, whatever the umask): the folder is the owner's only
  if (opts.dataDir && !opts.url) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDb<CloudTables>({ url: opts.url, dataDir: opts.dataDir, schema, poolSize: 8 });
  try {
    await migrate(db.db, cloudMigrations, schema);
  } catch (e) {
    await db.close();
    throw e;
  }
  if (opts.dataDir && !opts.url) ownerOnly(opts.dataDir);
  kinds.set(db.db, db.kind);
  return db;
}

/** The folder 0700, everything in it 0700 (folders) / 0600 (files). */
function ownerOnly(dir: string): void {
  chmodSync(dir, 0o700);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) ownerOnly(p);
    else if (e.isFile()) chmodSync(p, 0o600);
  }
}
