import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPath } from '@plant-twin/contracts';
import { call } from '../test-support/http.js';
import { dbKinds } from '../test-support/db.js';
import { batch, MessageFactory } from '../test-support/messages.js';
import { startTestCloud, testEdge, type TestCloud } from '../test-support/cloud.js';

describe.each(dbKinds)('administration on %s', (kind) => {
  let t: TestCloud;
  let url: string;
  const admin = (method: string, path: string, body?: unknown) => call(method, `${url}/api/v1${path}`, { token: t.adminToken, ...(body === undefined ? {} : { body }) });
  const f = new MessageFactory('admin');
  let seq = 0;
  const ingestAs = (edgeId: string, token: string) =>
    call('POST', url + ingestPath, { body: batch(edgeId, ++seq, [f.state('PRS-01', Date.now(), 'idle')]), gzip: true, headers: { 'x-edge-id': edgeId }, token });

  beforeAll(async () => {
    t = await startTestCloud(kind);
    url = t.cloud.url;
  });
  afterAll(async () => t?.close());

  it('makes, rotates and deletes edge credentials stored as hashes; those of EDGE_CREDENTIALS stay accepted', async () => {
    const made = await admin('POST', '/admin/edges', { edgeId: 'hall-2-edge' });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect((await ingestAs('hall-2-edge', made.body.token)).status).toBe(200);
    // only a hash is stored
    const stored = await t.cloud.db.db.selectFrom('edge_credential' as never).selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(made.body.token);
    const listed = (await admin('GET', '/admin/edges')).body.edges;
    expect(listed).toEqual([
      { edgeId: testEdge.id, source: 'env', createdAt: null, createdBy: null },
      { edgeId: 'hall-2-edge', source: 'db', createdAt: expect.any(Number), createdBy: 'admin' },
    ]);
    // rotation: the new token works at once, the old one no more
    const rotated = await admin('POST', '/admin/edges', { edgeId: 'hall-2-edge' });
    expect((await ingestAs('hall-2-edge', made.body.token)).status).toBe(401);
    expect((await ingestAs('hall-2-edge', rotated.body.token)).status).toBe(200);
    // the environment's credential is untouched by all this
    expect((await ingestAs(testEdge.id, testEdge.token)).status).toBe(200);
    expect((await admin('DELETE', '/admin/edges/hall-2-edge')).status).toBe(200);
    expect((await ingestAs('hall-2-edge', rotated.body.token)).status).toBe(401);
    const envOne = await admin('DELETE', `/admin/edges/${testEdge.id}`);
    expect(envOne).toMatchObject({ status: 404, body: { error: `the credential of ${testEdge.id} comes from EDGE_CREDENTIALS: remove it there` } });
    expect((await admin('POST', '/admin/edges', { edgeId: 'Hall 2' })).body.fields[0].path).toBe('edgeId');
  });

  it('filters the audit log by action or by a prefix, newest first', async () => {
    await admin('POST', '/users', { username: 'audit-me', role: 'viewer' });
    const exact = (await admin('GET', '/audit?action=user.create')).body as { action: string; target: string }[];
    expect(exact.length).toBeGreaterThanOrEqual(2);
    expect(new Set(exact.map((a) => a.action))).toEqual(new Set(['user.create']));
    expect(exact[0]!.target).toBe('audit-me');
    const edges = (await admin('GET', '/audit?action=edge.')).body as { action: string }[];
    expect(edges.map((a) => a.action)).toEqual(['edge.revoke', 'edge.credential', 'edge.credential']);
    expect((await admin('GET', '/audit?action=DROP TABLE')).status).toBe(400);
    // a prefix is not a pattern: "%" matches nothing special
    expect((await admin('GET', '/audit?action=user%25')).status).toBe(400);
  });

  it('lists the ingest quarantine to engineers and admins: newest first, by machine and arrival time, bounded', async () => {
    const before = Date.now();
    const late = f.state('PRS-01', 1000, 'fault');
    const ahead = f.counter('CNC-01', Date.now() + 86_400_000, 5, 0);
    const r = await call('POST', url + ingestPath, { body: batch(testEdge.id, ++seq, [late, f.state('PRS-01', Date.now(), 'running')]), gzip: true, headers: { 'x-edge-id': testEdge.id }, token: testEdge.token });
    expect(r.body).toMatchObject({ stored: 1, quarantined: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const lateSeq = seq;
    await call('POST', url + ingestPath, { body: batch(testEdge.id, ++seq, [ahead]), gzip: true, headers: { 'x-edge-id': testEdge.id }, token: testEdge.token });
    const engineer = (await t.user('quinn', 'engineer')).token;
    const list = async (query: string, token = engineer) => call('GET', `${url}/api/v1/admin/quarantine${query}`, { token });

    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body.truncated).toBe(false);
    expect(all.body.window).toEqual({ pastMs: 7 * 86_400_000, futureMs: 300_000 });
    expect(all.body.messages.map((m: { id: string; reason: string }) => [m.id, m.reason])).toEqual([[ahead.id, 'future'], [late.id, 'too_old']]);
    expect(all.body.messages[1]).toMatchObject({ edgeId: testEdge.id, seq: lateSeq, machineId: 'PRS-01', kind: 'state', ts: 1000, message: { state: 'fault', ts: 1000 } });
    expect(all.body.messages[1].receivedAt).toBeGreaterThanOrEqual(before);

    expect((await list('?machineId=PRS-01')).body.messages.map((m: { id: string }) => m.id)).toEqual([late.id]);
    const one = await list('?limit=1');
    expect(one.body).toMatchObject({ truncated: true, messages: [{ id: ahead.id }] });
    const received = all.body.messages[1].receivedAt as number;
    expect((await list(`?from=${received - 60_000}&to=${received + 1}`)).body.messages.map((m: { id: string }) => m.id)).toEqual([late.id]);
    expect((await list(`?from=${before - 10 * 86_400_000}&to=${before - 60_000}`)).body.messages).toEqual([]);
    expect((await list('', t.adminToken)).status).toBe(200);

    // bounded and validated: a range over the maximum, a wrong machine id, too many rows
    const wide = await list('?from=0');
    expect(wide.status).toBe(400);
    expect(JSON.stringify(wide.body.fields)).toMatch(/maximum of 400 days \(CLOUD_QUERY_MAX_DAYS\)/);
    expect((await list('?machineId=nope')).body.fields[0].path).toBe('machineId');
    expect((await list('?limit=501')).body.fields[0].path).toBe('limit');
    const viewer = (await t.user('vic', 'viewer')).token;
    expect((await list('', viewer)).body).toEqual({ error: 'needs role admin or engineer (you are viewer)' });
  });

  it('keeps administration to admins, and an admin cannot lock themself out', async () => {
    const engineer = (await t.user('eve', 'engineer')).token;
    for (const [method, path] of [['GET', '/admin/devices'], ['POST', '/admin/devices'], ['GET', '/admin/edges'], ['DELETE', '/admin/edges/x'], ['GET', '/audit'], ['GET', '/users']] as const) {
      const r = await call(method, `${url}/api/v1${path}`, { token: engineer, ...(method === 'POST' ? { body: { name: 'x' } } : {}) });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error).toBe('needs role admin (you are engineer)');
    }
    expect((await admin('PATCH', '/users/admin', { role: 'viewer' })).status).toBe(409);
    // a role change ends the user's sessions: the old role cannot linger in a session
    expect((await admin('PATCH', '/users/eve', { role: 'viewer' })).status).toBe(200);
    expect((await call('GET', `${url}/api/v1/auth/me`, { token: engineer })).status).toBe(401);
  });
});
