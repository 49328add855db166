import { randomBytes } from 'node:crypto';
import { testPostgresUrl, type Db } from '@plant-twin/db';
import { dropSchema } from '@plant-twin/db';
import { openCloudDb } from '../db/open.js';
import type { CloudTables } from '../db/schema.js';

export type DbKind = 'pglite' | 'postgres';
export const dbKinds: DbKind[] = ['pglite', 'postgres'];

/** A fresh cloud database: PGlite in memory, or a unique schema on the local PostgreSQL 15 (dropped by close). */
export async function freshDb(kind: DbKind): Promise<Db<CloudTables> & { url?: string; schema?: string }> {
  if (kind === 'pglite') return openCloudDb({});
  const schema = `cloud_test_${randomBytes(6).toString('hex')}`;
  const url = testPostgresUrl();
  const db = await openCloudDb({ url, schema });
  return {
    ...db,
    url,
    schema,
    close: async () => {
      await db.close();
      await dropSchema(url, schema);
    },
  };
}
