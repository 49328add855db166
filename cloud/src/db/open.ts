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

export async function openCloudDb(opts: CloudDbOptions): Promise<Db<CloudTables>> {
  const schema = opts.schema ?? 'cloud';
  const db = await openDb<CloudTables>({ url: opts.url, dataDir: opts.dataDir, schema, poolSize: 8 });
  try {
    await migrate(db.db, cloudMigrations, schema);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}
