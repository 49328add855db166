import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import { bearerToken, HttpError, validate } from '@plant-twin/runtime';
import type { Plant } from '@plant-twin/plant-model';
import { defaultQueryBounds, epochMs, HistoryReads, optionalRangeQuery, rangeQuery, rowLimits, type QueryBounds } from './bounds.js';
import { audit, auditLog, authenticate, createUser, listUsers, login, loginBlockedFor, logout, randomSecret, roles, updateUser, verifyPassword, type Role, type User } from './auth/users.js';
import type { CloudTables } from './db/schema.js';
import type { OeeModel } from './oee/model.js';
import { queryOee } from './oee/query.js';
import { invalidateRollups } from './oee/rollup.js';
import { alarmEpisodes, currentValues, machineStatuses, querySeries } from './series.js';

export interface ApiDeps {
  db: Kysely<CloudTables>;
  plant: Plant;
  model: OeeModel;
  /** range, row and time bounds of the history queries (bounds.ts) */
  bounds?: QueryBounds | undefined;
}

type Authed = Request & { user?: User };
const userOf = (req: Request) => (req as Authed).user!;

/** Every route needs a session; `allowed` narrows it to roles. */
export function requireUser(db: Kysely<CloudTables>, allowed?: readonly Role[]) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const user = await authenticate(db, bearerToken(req));
      if (!user) return void res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'log in first (Authorization: Bearer <session token>)' });
      if (allowed && !allowed.includes(user.role)) return void res.status(403).json({ error: `needs role ${allowed.join(' or ')}` });
      (req as Authed).user = user;
      next();
    } catch (e) {
      next(e);
    }
  };
}

const password = z.string().min(10, 'at least 10 characters').max(200);
const username = z.string().regex(/^[a-z][a-z0-9._-]{1,31}$/, 'lower-case letters, digits, ".", "_", "-" (2-32, starting with a letter)');

export function apiRouter(deps: ApiDeps): Router {
  const { db, plant, model } = deps;
  const reads = new HistoryReads(db, deps.bounds ?? defaultQueryBounds);
  const range = rangeQuery(reads.bounds);
  const r = Router();
  const any = requireUser(db);
  const admin = requireUser(db, ['admin']);
  const machine = (id: string | string[] | undefined) => {
    const m = plant.machines.find((x) => x.id === id);
    if (!m) throw new HttpError(404, `no machine ${String(id)}`);
    return m;
  };
  const wrap = (f: (req: Request, res: Response) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) => void f(req, res).catch(next);

  r.post('/auth/login', wrap(async (req, res) => {
    const body = validate(z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }), req.body);
    const blocked = loginBlockedFor(body.username);
    if (blocked > 0) return void res.status(429).set('Retry-After', String(Math.ceil(blocked / 1000))).json({ error: 'too many failed logins, try again later' });
    const s = await login(db, body.username, body.password);
    if (!s) {
      await audit(db, body.username, 'auth.login_failed', body.username);
      return void res.status(401).json({ error: 'wrong user name or password' });
    }
    await audit(db, s.user.username, 'auth.login', s.user.username);
    res.json({ token: s.token, expiresAt: s.expiresAt, user: { username: s.user.username, role: s.user.role } });
  }));
  r.post('/auth/logout', any, wrap(async (req, res) => {
    await logout(db, bearerToken(req)!);
    await audit(db, userOf(req).username, 'auth.logout', userOf(req).username);
    res.json({ ok: true });
  }));
  r.get('/auth/me', any, (req, res) => void res.json({ username: userOf(req).username, role: userOf(req).role }));
  r.post('/auth/password', any, wrap(async (req, res) => {
    const body = validate(z.object({ currentPassword: z.string().min(1), newPassword: password }), req.body);
    const u = userOf(req);
    if (!(await verifyPassword(db, u.id, body.currentPassword))) throw new HttpError(403, 'current password is wrong');
    await updateUser(db, u.username, { password: body.newPassword });
    await audit(db, u.username, 'user.password', u.username);
    res.json({ ok: true, note: 'all sessions ended: log in again' });
  }));

  r.get('/users', admin, wrap(async (_req, res) => void res.json(await listUsers(db))));
  r.post('/users', admin, wrap(async (req, res) => {
    const body = validate(z.object({ username, role: z.enum(roles), password: password.optional() }), req.body);
    const pw = body.password ?? randomSecret();
    const created = await createUser(db, body.username, pw, body.role);
    if (!created) throw new HttpError(409, `user ${body.username} exists`);
    await audit(db, userOf(req).username, 'user.create', body.username, { role: body.role });
    res.status(201).json({ username: body.username, role: body.role, ...(body.password ? {} : { password: pw }) });
  }));
  r.patch('/users/:username', admin, wrap(async (req, res) => {
    const body = validate(z.strictObject({ role: z.enum(roles).optional(), disabled: z.boolean().optional(), password: password.optional() }), req.body);
    const name = String(req.params.username);
    if (name === userOf(req).username && (body.disabled || (body.role && body.role !== 'admin'))) throw new HttpError(409, 'an admin cannot disable or demote themself');
    if (!(await updateUser(db, name, body))) throw new HttpError(404, `no user ${name}`);
    await audit(db, userOf(req).username, 'user.update', name, { role: body.role, disabled: body.disabled, password: body.password ? 'changed' : undefined });
    res.json({ ok: true });
  }));
  r.get('/audit', admin, wrap(async (req, res) => {
    const q = validate(optionalRangeQuery(reads.bounds, reads.bounds.maxRangeDays).and(z.object({ limit: z.coerce.number().int().min(1).max(rowLimits.audit).default(200) })), req.query);
    res.json(await reads.run((rdb) => auditLog(rdb, q)));
  }));

  r.get('/machines', any, wrap(async (_req, res) => {
    const statuses = new Map((await machineStatuses(db, model.machineIds)).map((s) => [s.machineId, s]));
    res.json(plant.machines.map((m) => ({ id: m.id, name: m.name, kind: m.kind, area: m.area, interface: m.interface.type, parts: m.parts, status: statuses.get(m.id) })));
  }));
  r.get('/machines/:id/current', any, wrap(async (req, res) => {
    const m = machine(req.params.id);
    const [status] = await machineStatuses(db, [m.id]);
    res.json({ machineId: m.id, status, values: await currentValues(db, m.id) });
  }));
  r.get('/machines/:id/series', any, wrap(async (req, res) => {
    const m = machine(req.params.id);
    const q = validate(range.and(z.object({ tag: z.string().min(1).max(48), points: z.coerce.number().int().min(1).max(rowLimits.seriesPoints).default(500) })), req.query);
    if (!m.tags.some((t) => t.name === q.tag)) throw new HttpError(404, `machine ${m.id} has no tag ${q.tag}`);
    res.json(await reads.run((rdb) => querySeries(rdb, { machineId: m.id, ...q })));
  }));
  r.get('/alarms', any, wrap(async (req, res) => {
    const q = validate(optionalRangeQuery(reads.bounds, reads.bounds.maxRangeDays).and(z.object({ machineId: z.string().optional(), limit: z.coerce.number().int().min(1).max(rowLimits.alarms).default(500) })), req.query);
    if (q.machineId) machine(q.machineId);
    res.json(await reads.run((rdb) => alarmEpisodes(rdb, q)));
  }));

  r.get('/oee', any, wrap(async (req, res) => {
    const q = validate(range.and(z.object({ machineIds: z.string().optional() })), req.query);
    const ids = q.machineIds?.split(',').filter(Boolean);
    for (const id of ids ?? []) machine(id);
    res.json(await reads.run((rdb, signal) => queryOee(rdb, model, { from: q.from, to: q.to, signal, ...(ids ? { machineIds: ids } : {}) })));
  }));
  r.post('/oee/recompute', requireUser(db, ['admin', 'engineer']), wrap(async (req, res) => {
    const body = validate(z.object({ from: epochMs, machineIds: z.array(z.string()).optional() }), req.body);
    const ids = body.machineIds ?? model.machineIds;
    for (const id of ids) machine(id);
    await invalidateRollups(db, ids, body.from);
    await audit(db, userOf(req).username, 'oee.recompute', ids.join(','), { from: body.from });
    res.json({ ok: true });
  }));
  return r;
}
