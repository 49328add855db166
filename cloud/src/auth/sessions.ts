import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Role, SessionKind } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

/**
 * Sessions: a random 256-bit token, stored only as its SHA-256. A user session lasts 12 hours; an
 * andon device's 30 days, renewed while it is used, so a screen on the shop floor stays logged in
 * for as long as it runs. Cookie sessions also hold the CSRF token their pt_csrf cookie carries.
 */
export const userSessionMs = 12 * 3_600_000;
export const deviceSessionMs = 30 * 86_400_000;
/** a device session is renewed (one write) once it has less than this left of its 30 days */
const renewBelowMs = deviceSessionMs - 3_600_000;

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
export const newToken = () => randomBytes(32).toString('base64url');

/** Who a request or socket acts for. */
export interface Principal {
  kind: SessionKind;
  /** app_user id, or device id */
  id: number;
  username: string;
  role: Role;
  expiresAt: number;
  /** how it came: the session cookie (browser) or Authorization: Bearer (API client) */
  via: 'cookie' | 'bearer';
  /** the CSRF token of a cookie session */
  csrf: string | null;
  tokenHash: string;
}

export interface NewSession {
  token: string;
  csrf: string | null;
  expiresAt: number;
}

export async function createUserSession(db: Kysely<CloudTables>, userId: number, cookie: boolean, now = Date.now()): Promise<NewSession> {
  const token = newToken();
  const csrf = cookie ? newToken() : null;
  await sql`insert into session (token_hash, user_id, kind, csrf, created_at, expires_at) values (${tokenHash(token)}, ${userId}, 'user', ${csrf}, ${now}, ${now + userSessionMs})`.execute(db);
  await sql`delete from session where expires_at < ${now}`.execute(db);
  return { token, csrf, expiresAt: now + userSessionMs };
}

export async function createDeviceSession(db: Kysely<CloudTables>, deviceId: number, now = Date.now()): Promise<NewSession> {
  const token = newToken();
  const csrf = newToken();
  await sql`insert into session (token_hash, device_id, kind, csrf, created_at, expires_at) values (${tokenHash(token)}, ${deviceId}, 'device', ${csrf}, ${now}, ${now + deviceSessionMs})`.execute(db);
  return { token, csrf, expiresAt: now + deviceSessionMs };
}

/** The session of a token (not expired, its user not disabled, its device not deleted), or null. */
export async function sessionOf(db: Kysely<CloudTables>, token: string | undefined, via: Principal['via'], now = Date.now()): Promise<Principal | null> {
  if (!token || token.length > 200) return null;
  const hash = tokenHash(token);
  const r = await sql<{ kind: SessionKind; id: number; username: string; role: Role; expires_at: number; csrf: string | null }>`
    select s.kind, coalesce(u.id, d.id) as id, coalesce(u.username, 'device:' || d.name) as username, coalesce(u.role, 'viewer') as role, s.expires_at, s.csrf
    from session s left join app_user u on u.id = s.user_id left join device d on d.id = s.device_id
    where s.token_hash = ${hash} and s.expires_at > ${now} and (u.id is not null and not u.disabled or d.id is not null)`.execute(db);
  const row = r.rows[0];
  if (!row) return null;
  let expiresAt = Number(row.expires_at);
  if (row.kind === 'device' && expiresAt - now < renewBelowMs) {
    expiresAt = now + deviceSessionMs;
    await sql`update session set expires_at = ${expiresAt} where token_hash = ${hash}`.execute(db);
    await sql`update device set last_used_at = ${now} where id = ${row.id}`.execute(db);
  }
  return { kind: row.kind, id: Number(row.id), username: row.username, role: row.role, expiresAt, via, csrf: row.csrf, tokenHash: hash };
}

export async function endSession(db: Kysely<CloudTables>, hash: string): Promise<void> {
  await sql`delete from session where token_hash = ${hash}`.execute(db);
}
