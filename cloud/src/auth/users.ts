import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { hashSecret, verifySecret } from '@plant-twin/runtime';
import type { CloudTables } from '../db/schema.js';

export const roles = ['admin', 'engineer', 'planner', 'supervisor', 'viewer'] as const;
export type Role = (typeof roles)[number];
export interface User {
  id: number;
  username: string;
  role: Role;
}

const sessionMs = 12 * 3_600_000;
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
export const randomSecret = (bytes = 18) => randomBytes(bytes).toString('base64url');

/**
 * On an empty user table: creates "admin" with a random password and hands it out once (stdout and,
 * if configured, a file readable by the owner only). There is no default password anywhere.
 */
export async function ensureFirstAdmin(db: Kysely<CloudTables>, opts: { passwordFile?: string | undefined; print?: boolean }): Promise<string | null> {
  const n = await sql<{ n: number }>`select count(*)::int as n from app_user`.execute(db);
  if (Number(n.rows[0]?.n) > 0) return null;
  const password = randomSecret();
  const inserted = await sql<{ id: number }>`insert into app_user (username, password_hash, role, created_at) values ('admin', ${await hashSecret(password)}, 'admin', ${Date.now()})
    on conflict (username) do nothing returning id`.execute(db);
  if (!inserted.rows.length) return null;
  await audit(db, null, 'user.create', 'admin', { role: 'admin', firstAdmin: true });
  if (opts.passwordFile) {
    // on PostgreSQL nothing else creates the folder (e.g. the data dir PGlite would have made)
    mkdirSync(dirname(opts.passwordFile), { recursive: true });
    writeFileSync(opts.passwordFile, `${password}\n`, { mode: 0o600 });
  }
  if (opts.print !== false) {
    process.stdout.write(`\n*** First start: created user "admin" with password ${password}\n*** It is shown only this once${opts.passwordFile ? ` (also written to ${opts.passwordFile})` : ''}; change it after logging in.\n\n`);
  }
  return password;
}

/** Login throttle: after 5 failures a user name is refused for a growing while (in memory, per process). */
const failures = new Map<string, { n: number; until: number }>();
export function loginBlockedFor(username: string, now = Date.now()): number {
  const f = failures.get(username);
  return f && f.until > now ? f.until - now : 0;
}

export async function login(db: Kysely<CloudTables>, username: string, password: string): Promise<{ token: string; expiresAt: number; user: User } | null> {
  const r = await sql<{ id: number; username: string; password_hash: string; role: Role; disabled: boolean }>`
    select id, username, password_hash, role, disabled from app_user where username = ${username}`.execute(db);
  const row = r.rows[0];
  // verify against a dummy hash for unknown users so timing does not tell which names exist
  const ok = await verifySecret(password, row?.password_hash ?? dummyHash);
  if (!row || !ok || row.disabled) {
    const f = failures.get(username) ?? { n: 0, until: 0 };
    f.n += 1;
    if (f.n >= 5) f.until = Date.now() + Math.min(15 * 60_000, 1000 * 2 ** (f.n - 5));
    failures.set(username, f);
    // bounded: made-up user names must not grow the map without limit
    if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    return null;
  }
  failures.delete(username);
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  await sql`insert into session (token_hash, user_id, created_at, expires_at) values (${tokenHash(token)}, ${row.id}, ${now}, ${now + sessionMs})`.execute(db);
  await sql`delete from session where expires_at < ${now}`.execute(db);
  return { token, expiresAt: now + sessionMs, user: { id: row.id, username: row.username, role: row.role } };
}
const dummyHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export async function authenticate(db: Kysely<CloudTables>, token: string | undefined): Promise<(User & { expiresAt: number }) | null> {
  if (!token) return null;
  const r = await sql<{ id: number; username: string; role: Role; expires_at: number }>`
    select u.id, u.username, u.role, s.expires_at from session s join app_user u on u.id = s.user_id
    where s.token_hash = ${tokenHash(token)} and s.expires_at > ${Date.now()} and not u.disabled`.execute(db);
  const row = r.rows[0];
  return row ? { id: row.id, username: row.username, role: row.role, expiresAt: Number(row.expires_at) } : null;
}

export async function logout(db: Kysely<CloudTables>, token: string): Promise<void> {
  await sql`delete from session where token_hash = ${tokenHash(token)}`.execute(db);
}

export async function createUser(db: Kysely<CloudTables>, username: string, password: string, role: Role): Promise<User | null> {
  const r = await sql<{ id: number }>`insert into app_user (username, password_hash, role, created_at) values (${username}, ${await hashSecret(password)}, ${role}, ${Date.now()})
    on conflict (username) do nothing returning id`.execute(db);
  return r.rows[0] ? { id: r.rows[0].id, username, role } : null;
}

export async function listUsers(db: Kysely<CloudTables>) {
  const r = await sql<{ username: string; role: Role; disabled: boolean; created_at: number }>`select username, role, disabled, created_at from app_user order by username`.execute(db);
  return r.rows.map((u) => ({ username: u.username, role: u.role, disabled: u.disabled, createdAt: Number(u.created_at) }));
}

/** Changes role, disabled flag or password; a password change or disabling ends the user's sessions. */
export async function updateUser(db: Kysely<CloudTables>, username: string, change: { role?: Role | undefined; disabled?: boolean | undefined; password?: string | undefined }): Promise<boolean> {
  const hash = change.password === undefined ? null : await hashSecret(change.password);
  return db.transaction().execute(async (trx) => {
    const r = await sql<{ id: number }>`update app_user set role = coalesce(${change.role ?? null}, role), disabled = coalesce(${change.disabled ?? null}::boolean, disabled),
      password_hash = coalesce(${hash}, password_hash) where username = ${username} returning id`.execute(trx);
    const id = r.rows[0]?.id;
    if (id === undefined) return false;
    if (hash || change.disabled) await sql`delete from session where user_id = ${id}`.execute(trx);
    return true;
  });
}

export async function verifyPassword(db: Kysely<CloudTables>, userId: number, password: string): Promise<boolean> {
  const r = await sql<{ password_hash: string }>`select password_hash from app_user where id = ${userId}`.execute(db);
  return r.rows[0] ? verifySecret(password, r.rows[0].password_hash) : false;
}

export async function audit(db: Kysely<CloudTables>, username: string | null, action: string, target: string | null, detail?: Record<string, unknown>): Promise<void> {
  await sql`insert into audit_log (ts, username, action, target, detail) values (${Date.now()}, ${username}, ${action}, ${target}, ${detail ? JSON.stringify(detail) : null})`.execute(db);
}

export async function auditLog(db: Kysely<CloudTables>, q: { from?: number | undefined; to?: number | undefined; limit: number }) {
  const r = await sql<{ id: number; ts: number; username: string | null; action: string; target: string | null; detail: string | null }>`
    select id, ts, username, action, target, detail from audit_log where ts >= ${q.from ?? 0} and ts < ${q.to ?? Number.MAX_SAFE_INTEGER}
    order by id desc limit ${q.limit}`.execute(db);
  return r.rows.map((a) => ({ id: Number(a.id), ts: Number(a.ts), username: a.username, action: a.action, target: a.target, detail: a.detail ? (JSON.parse(a.detail) as unknown) : null }));
}
