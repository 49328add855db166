import { sql, type Kysely } from 'kysely';
import type { CloudTables } from '../db/schema.js';
import { newToken, tokenHash } from './sessions.js';

/**
 * Clients that logged in to an account before (the pt_known cookie, stored as a hash): the login
 * throttle judges them on their own, so an attack on the account never locks its real user out of a
 * browser they used before (OWASP's "device cookies"). Each account keeps its 20 most recent.
 */
const perUser = 20;

/** A new known-client token for the user (after a successful login); the oldest beyond 20 are dropped. */
export async function rememberClient(db: Kysely<CloudTables>, userId: number, now = Date.now()): Promise<string> {
  const token = newToken();
  await sql`insert into known_client (token_hash, user_id, created_at, last_used_at) values (${tokenHash(token)}, ${userId}, ${now}, ${now})`.execute(db);
  await sql`delete from known_client where user_id = ${userId} and token_hash not in (
    select token_hash from known_client where user_id = ${userId} order by last_used_at desc limit ${perUser})`.execute(db);
  return token;
}

/** The token's hash when it is a known client of that account, else undefined. */
export async function knownClientOf(db: Kysely<CloudTables>, token: string | undefined, username: string, now = Date.now()): Promise<string | undefined> {
  if (!token || token.length > 100) return undefined;
  const hash = tokenHash(token);
  const r = await sql<{ token_hash: string }>`update known_client set last_used_at = ${now} where token_hash = ${hash}
    and user_id = (select id from app_user where username = ${username}) returning token_hash`.execute(db);
  return r.rows[0]?.token_hash;
}
