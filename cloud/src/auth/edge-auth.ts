import { createHash, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import * as z from 'zod';
import type { EdgeCredential } from '@plant-twin/contracts';
import { verifySecret } from '@plant-twin/runtime';
import type { CloudTables } from '../db/schema.js';
import { newToken, tokenHash } from './sessions.js';

export const edgeCredentialsSchema = z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'edge id: lower-case letters, digits, "-"'), z.string().regex(/^scrypt\$/, 'must be a scrypt hash (node cloud/dist/hash-token.js <edgeId>)'));

/**
 * Edge credentials, from two places: EDGE_CREDENTIALS (one scrypt hash per edge id, set by the
 * deployment) and the edge_credential table (made and rotated by an admin through the API; the
 * token is 256 random bits, so its SHA-256 is stored). Either accepts an edge. scrypt is slow on
 * purpose, so after one successful check of an environment credential the SHA-256 of its token is
 * remembered and later requests are checked against that in constant time.
 */
export class EdgeAuth {
  private readonly verified = new Map<string, Buffer>();
  constructor(
    private readonly hashes: Readonly<Record<string, string>>,
    private readonly db?: Kysely<CloudTables>,
  ) {}

  async check(edgeId: string, token: string): Promise<boolean> {
    if (token.length > 200) return false;
    if (await this.checkEnv(edgeId, token)) return true;
    if (!this.db) return false;
    const r = await sql<{ token_hash: string }>`select token_hash from edge_credential where edge_id = ${edgeId}`.execute(this.db);
    const stored = r.rows[0]?.token_hash;
    return stored !== undefined && timingSafeEqual(Buffer.from(stored, 'hex'), Buffer.from(tokenHash(token), 'hex'));
  }

  private async checkEnv(edgeId: string, token: string): Promise<boolean> {
    const hash = this.hashes[edgeId];
    if (!hash) return false;
    const digest = createHash('sha256').update(token).digest();
    const known = this.verified.get(edgeId);
    if (known && timingSafeEqual(known, digest)) return true;
    if (!(await verifySecret(token, hash))) return false;
    this.verified.set(edgeId, digest);
    return true;
  }

  /** Every edge credential, without secrets. */
  async list(): Promise<EdgeCredential[]> {
    const rows = this.db ? (await sql<{ edge_id: string; created_at: number; created_by: string | null }>`select edge_id, created_at, created_by from edge_credential order by edge_id`.execute(this.db)).rows : [];
    const fromDb: EdgeCredential[] = rows.map((r) => ({ edgeId: r.edge_id, source: 'db', createdAt: Number(r.created_at), createdBy: r.created_by }));
    const fromEnv: EdgeCredential[] = Object.keys(this.hashes).map((edgeId) => ({ edgeId, source: 'env', createdAt: null, createdBy: null }));
    return [...fromEnv, ...fromDb].sort((a, b) => a.edgeId.localeCompare(b.edgeId) || a.source.localeCompare(b.source));
  }

  /** A new token for the edge (the old database one stops working at once); shown once. */
  async issue(edgeId: string, by: string, now = Date.now()): Promise<string> {
    const token = newToken();
    await sql`insert into edge_credential (edge_id, token_hash, created_at, created_by) values (${edgeId}, ${tokenHash(token)}, ${now}, ${by})
      on conflict (edge_id) do update set token_hash = excluded.token_hash, created_at = excluded.created_at, created_by = excluded.created_by`.execute(this.requireDb());
    return token;
  }

  /** Deletes the database credential; false when there was none. */
  async revoke(edgeId: string): Promise<boolean> {
    const r = await sql`delete from edge_credential where edge_id = ${edgeId} returning edge_id`.execute(this.requireDb());
    return r.rows.length > 0;
  }

  isFromEnv(edgeId: string): boolean {
    return edgeId in this.hashes;
  }

  private requireDb(): Kysely<CloudTables> {
    if (!this.db) throw new Error('edge credentials through the API need the cloud database');
    return this.db;
  }
}
