import { sql, type Kysely } from 'kysely';
import type { Device } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';
import { newToken, tokenHash } from './sessions.js';

/**
 * Andon devices: a screen on the shop floor gets a token from an admin (shown once, stored as its
 * SHA-256: 256 random bits need no slow hash) and trades it for a viewer session.
 */
export async function createDevice(db: Kysely<CloudTables>, name: string, createdBy: string, now = Date.now()): Promise<{ id: number; name: string; token: string }> {
  const token = newToken();
  const r = await sql<{ id: number }>`insert into device (name, token_hash, created_at, created_by) values (${name}, ${tokenHash(token)}, ${now}, ${createdBy}) returning id`.execute(db);
  return { id: Number(r.rows[0]!.id), name, token };
}

export async function listDevices(db: Kysely<CloudTables>): Promise<Device[]> {
  const r = await sql<{ id: number; name: string; created_at: number; created_by: string | null; last_used_at: number | null }>`
    select id, name, created_at, created_by, last_used_at from device order by name, id`.execute(db);
  return r.rows.map((d) => ({ id: Number(d.id), name: d.name, createdAt: Number(d.created_at), createdBy: d.created_by, lastUsedAt: d.last_used_at === null ? null : Number(d.last_used_at) }));
}

/** Deletes the device and, with it, its sessions (the screen is logged out at its next request). */
export async function deleteDevice(db: Kysely<CloudTables>, id: number): Promise<string | null> {
  const r = await sql<{ name: string }>`delete from device where id = ${id} returning name`.execute(db);
  return r.rows[0]?.name ?? null;
}

export async function deviceOfToken(db: Kysely<CloudTables>, token: string, now = Date.now()): Promise<{ id: number; name: string } | null> {
  const r = await sql<{ id: number; name: string }>`update device set last_used_at = ${now} where token_hash = ${tokenHash(token)} returning id, name`.execute(db);
  return r.rows[0] ? { id: Number(r.rows[0].id), name: r.rows[0].name } : null;
}
