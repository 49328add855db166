import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { roles, type Role } from '@plant-twin/contracts';
import { hashSecret, verifySecret } from '@plant-twin/runtime';
import type { CloudTables } from '../db/schema.js';

export { roles, type Role };
export interface User {
  id: number;
  username: string;
  role: Role;
}

export const randomSecret = (bytes = 18) => randomBytes(bytes).toString('base64url');

/**
 * On an empty user table: creates "admin" with a random password and hands it out once (stdout and,
 * if configured, a file readable by the owner only). There is no default password anywhere. The user
 * is committed only once the password file is written: a file that cannot be written leaves no admin
 * whose password nobody knows, and the next start tries again.
 */
export async function ensureFirstAdmin(db: Kysely<CloudTables>, opts: { passwordFile?: string | undefined; print?: boolean }): Promise<string | null> {
  const n = await sql<{ n: number }>`select count(*)::int as n from app_user`.execute(db);
  if (Number(n.rows[0]?.n) > 0) return null;
  const password = randomSecret();
  const hash = await hashSecret(password);
  const created = await db.transaction().execute(async (trx) => {
    const inserted = await sql<{ id: number }>`insert into app_user (username, password_hash, role, created_at)
      values ('admin', ${hash}, 'admin', ${Date.now()}) on conflict (username) do nothing returning id`.execute(trx);
    if (!inserted.rows.length) return false;
    await audit(trx, null, 'user.create', 'admin', { role: 'admin', firstAdmin: true });
    if (opts.passwordFile) {
      // on PostgreSQL nothing else creates the folder (e.g. the data dir PGlite would have made)
      mkdirSync(dirname(opts.passwordFile), { recursive: true });
      writePrivateFile(opts.passwordFile, `${password}\n`);
    }
    return true;
  });
  if (!created) return null;
  if (opts.print !== false) {
    const where = opts.passwordFile ? ` (also written to ${opts.passwordFile})` : '';
    process.stdout.write(`\n*** First start: created user "admin" with password ${password}\n`);
    process.stdout.write(`*** It is shown only this once${where}; change it after logging in.\n\n`);
  }
  return password;
}

/**
 * Writes a secret to a file only its owner can read: a file that exists already (left from an earlier
 * run, made by hand with the umask's 0644) is made 0600 before the secret goes in, and a link in its
 * place is refused rather than followed.
 */
export function writePrivateFile(file: string, text: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

const dummyHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** The user whose password this is (not disabled), or null; unknown names cost the same scrypt time. */
export async function checkPassword(db: Kysely<CloudTables>, username: string, password: string): Promise<User | null> {
  const r = await sql<{ id: number; username: string; password_hash: string; role: Role; disabled: boolean }>`
    select id, username, password_hash, role, disabled from app_user where username = ${username}`.execute(db);
  const row = r.rows[0];
  const ok = await verifySecret(password, row?.password_hash ?? dummyHash);
  return row && ok && !row.disabled ? { id: row.id, username: row.username, role: row.role } : null;
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

/** Changes role, disabled flag or password; a password change, a new role or disabling ends the user's sessions. */
export async function updateUser(db: Kysely<CloudTables>, username: string, change: { role?: Role | undefined; disabled?: boolean | undefined; password?: string | undefined }): Promise<boolean> {
  const hash = change.password === undefined ? null : await hashSecret(change.password);
  return db.transaction().execute(async (trx) => {
    const r = await sql<{ id: number }>`update app_user set role = coalesce(${change.role ?? null}, role), disabled = coalesce(${change.disabled ?? null}::boolean, disabled),
      password_hash = coalesce(${hash}, password_hash) where username = ${username} returning id`.execute(trx);
    const id = r.rows[0]?.id;
    if (id === undefined) return false;
    if (hash || change.disabled || change.role) await sql`delete from session where user_id = ${id}`.execute(trx);
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

/** `action`: exact ("alarm.ack"), or every action under a prefix ending in "." ("command."). */
export async function auditLog(db: Kysely<CloudTables>, q: { from?: number | undefined; to?: number | undefined; limit: number; action?: string | undefined }) {
  const action = q.action ?? null;
  const prefix = action?.endsWith('.') ? `${action.replace(/[\\%_]/g, '\\$&')}%` : null;
  const r = await sql<{ id: number; ts: number; username: string | null; action: string; target: string | null; detail: string | null }>`
    select id, ts, username, action, target, detail from audit_log where ts >= ${q.from ?? 0} and ts < ${q.to ?? Number.MAX_SAFE_INTEGER}
      and (${action}::text is null or action = ${action} or (${prefix}::text is not null and action like ${prefix}))
    order by id desc limit ${q.limit}`.execute(db);
  return r.rows.map((a) => ({ id: Number(a.id), ts: Number(a.ts), username: a.username, action: a.action, target: a.target, detail: a.detail ? (JSON.parse(a.detail) as unknown) : null }));
}
