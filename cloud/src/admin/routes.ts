import { Router } from 'express';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import {
  auditQuerySchema,
  createDeviceRequestSchema,
  createEdgeRequestSchema,
  createUserRequestSchema,
  edgeIdSchema,
  quarantineQuerySchema,
  updateUserRequestSchema,
  type CreateDeviceAnswer,
  type CreateEdgeAnswer,
  type CreateUserAnswer,
  type DevicesAnswer,
  type EdgesAnswer,
  type QuarantineAnswer,
} from '@plant-twin/contracts';
import { HttpError, validate } from '@plant-twin/runtime';
import { createDevice, deleteDevice, listDevices } from '../auth/devices.js';
import type { EdgeAuth } from '../auth/edge-auth.js';
import { adminOnly, bodyLimits, engineers, principalOf, type Endpoint } from '../auth/guard.js';
import { audit, auditLog, createUser, listUsers, randomSecret, updateUser } from '../auth/users.js';
import { optionalRangeQuery, rowLimits, type HistoryReads } from '../bounds.js';
import type { CloudTables } from '../db/schema.js';
import { listQuarantine } from '../ingest/quarantine.js';
import type { AcceptWindow } from '../ingest/window.js';

export interface AdminRoutesDeps {
  db: Kysely<CloudTables>;
  endpoint: Endpoint;
  edges: EdgeAuth;
  reads: HistoryReads;
  /** the ingest time window (what the quarantine answer explains its messages by) */
  window: AcceptWindow;
}

/** The quarantine list's default range: the quarantine's default retention (CLOUD_RETENTION_QUARANTINE_DAYS). */
const quarantineDefaultDays = 30;

/**
 * Admin only: users and roles, andon devices, edge credentials, the audit log (every change is
 * audited); engineers too: the ingest quarantine (messages stamped outside the accepted window).
 */
export function adminRouter(deps: AdminRoutesDeps): Router {
  const { db, endpoint, edges, reads, window } = deps;
  const r = Router();
  const who = (req: Parameters<typeof principalOf>[0]) => principalOf(req).username;

  r.get('/users', ...endpoint(adminOnly, () => listUsers(db)));
  r.post('/users', ...endpoint(adminOnly, async (req, res) => {
    const body = validate(createUserRequestSchema, req.body);
    const pw = body.password ?? randomSecret();
    if (!(await createUser(db, body.username, pw, body.role))) throw new HttpError(409, `user ${body.username} exists`);
    await audit(db, who(req), 'user.create', body.username, { role: body.role });
    res.status(201);
    return { username: body.username, role: body.role, ...(body.password ? {} : { password: pw }) } satisfies CreateUserAnswer;
  }, bodyLimits.small));
  r.patch('/users/:username', ...endpoint(adminOnly, async (req) => {
    const body = validate(updateUserRequestSchema, req.body);
    const name = String(req.params.username);
    if (name === who(req) && (body.disabled || (body.role && body.role !== 'admin'))) throw new HttpError(409, 'an admin cannot disable or demote themself');
    if (!(await updateUser(db, name, body))) throw new HttpError(404, `no user ${name}`);
    await audit(db, who(req), 'user.update', name, { role: body.role, disabled: body.disabled, password: body.password ? 'changed' : undefined });
    return { ok: true };
  }, bodyLimits.small));

  r.get('/admin/devices', ...endpoint(adminOnly, async () => ({ devices: await listDevices(db) }) satisfies DevicesAnswer));
  r.post('/admin/devices', ...endpoint(adminOnly, async (req, res) => {
    const { name } = validate(createDeviceRequestSchema, req.body);
    const device = await createDevice(db, name, who(req));
    await audit(db, who(req), 'device.create', String(device.id), { name });
    res.status(201);
    return device satisfies CreateDeviceAnswer;
  }, bodyLimits.small));
  r.delete('/admin/devices/:id', ...endpoint(adminOnly, async (req) => {
    const id = validate(z.coerce.number().int().min(1), req.params.id);
    const name = await deleteDevice(db, id);
    if (name === null) throw new HttpError(404, `no device ${id}`);
    await audit(db, who(req), 'device.delete', String(id), { name });
    return { ok: true };
  }));

  r.get('/admin/edges', ...endpoint(adminOnly, async () => ({ edges: await edges.list() }) satisfies EdgesAnswer));
  r.post('/admin/edges', ...endpoint(adminOnly, async (req, res) => {
    const { edgeId } = validate(createEdgeRequestSchema, req.body);
    const token = await edges.issue(edgeId, who(req));
    await audit(db, who(req), 'edge.credential', edgeId, { alsoInEnvironment: edges.isFromEnv(edgeId) });
    res.status(201);
    return { edgeId, token } satisfies CreateEdgeAnswer;
  }, bodyLimits.small));
  r.delete('/admin/edges/:edgeId', ...endpoint(adminOnly, async (req) => {
    const edgeId = validate(edgeIdSchema, req.params.edgeId);
    if (!(await edges.revoke(edgeId))) {
      throw new HttpError(404, edges.isFromEnv(edgeId) ? `the credential of ${edgeId} comes from EDGE_CREDENTIALS: remove it there` : `no edge credential ${edgeId}`);
    }
    await audit(db, who(req), 'edge.revoke', edgeId);
    return { ok: true };
  }));

  r.get('/audit', ...endpoint(adminOnly, async (req) => {
    const q = validate(auditQuerySchema.and(optionalRangeQuery(reads.bounds, reads.bounds.maxRangeDays)), req.query);
    return reads.run((rdb) => auditLog(rdb, { ...q, limit: Math.min(q.limit, rowLimits.audit) }));
  }));

  r.get('/admin/quarantine', ...endpoint(engineers, async (req) => {
    const q = validate(quarantineQuerySchema.and(optionalRangeQuery(reads.bounds, quarantineDefaultDays)), req.query);
    // one more than asked: whether the range holds more than the answer shows
    const rows = await reads.run((rdb) => listQuarantine(rdb, { machineId: q.machineId, from: q.from, to: q.to, limit: q.limit + 1 }));
    return { messages: rows.slice(0, q.limit), truncated: rows.length > q.limit, window } satisfies QuarantineAnswer;
  }));

  return r;
}
