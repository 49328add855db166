import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import type { Command, JobDto } from '@plant-twin/contracts';
import { call } from '../test-support/http.js';
import { dbKinds } from '../test-support/db.js';
import { startTestCloud, testEdge, type TestCloud } from '../test-support/cloud.js';

const lifetimeMs = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const job = (id: string, updatedAt: number, over: Partial<JobDto> = {}): JobDto => ({
  id, orderId: `O-${id}`, operation: '0010', orderVersion: 1, partNumber: 'BRK-4411', workCenter: 'press', quantity: 10, dispatchedQuantity: null,
  dueDate: iso(Date.UTC(2026, 11, 10)), priority: 5, eligibleMachines: ['PRS-01', 'PRS-02'], status: 'released', machineId: null, good: 0, scrap: 0,
  cancelRequested: false, dispatchAttempts: 0, startedAt: null, endedAt: null, message: null, createdAt: iso(updatedAt), updatedAt: iso(updatedAt), ...over,
});

describe.each(dbKinds)('jobs mirror and command channel (cloud side) on %s', (kind) => {
  let t: TestCloud;
  let url: string;
  let planner: string;
  const edge = (method: string, path: string, body?: unknown, id = testEdge.id, token = testEdge.token) => call(method, `${url}/api/v1${path}`, { token, headers: { 'x-edge-id': id }, ...(body === undefined ? {} : { body }) });
  const push = (body: Record<string, unknown>) => edge('POST', '/edge/jobs', { edgeId: testEdge.id, jobs: [], events: [], ...body });
  const create = (jobId: string, body: Record<string, unknown>, token = planner) => call('POST', `${url}/api/v1/jobs/${jobId}/commands`, { token, body });
  const commandOf = async (id: string) => (await call('GET', `${url}/api/v1/commands/${id}`, { token: t.adminToken })).body.command as Command;

  beforeAll(async () => {
    t = await startTestCloud(kind, { commandLifetimeMs: lifetimeMs });
    url = t.cloud.url;
    planner = (await t.user('pia', 'planner')).token;
  });
  afterAll(async () => t?.close());

  it('takes the edge\'s pushes with its credential only, idempotently, and never lets an older snapshot win', async () => {
    expect((await edge('POST', '/edge/jobs', { edgeId: testEdge.id, jobs: [], events: [] }, testEdge.id, 'wrong')).status).toBe(401);
    expect((await edge('POST', '/edge/jobs', { edgeId: 'edge-2', jobs: [], events: [] })).status).toBe(403);
    const t0 = Date.now() - 60_000;
    const events = [1, 2, 3].map((id) => ({ id, jobId: 'J-1', at: iso(t0 + id), kind: 'transition', from: null, to: 'planned', actor: 'erp', reason: `e${id}`, detail: {} }));
    const first = await push({ jobs: [job('J-1', t0 + 10, { priority: 3 })], events, queues: { 'PRS-01': ['J-1'] }, sequencer: 'priority-due-date' });
    expect(first).toMatchObject({ status: 200, body: { ack: 3 } });
    expect((await push({ jobs: [job('J-1', t0 + 10, { priority: 3 })], events })).body).toEqual({ ack: 3 });
    // an older snapshot arriving late changes nothing
    await push({ jobs: [job('J-1', t0 + 5, { priority: 9 })] });
    const detail = (await call('GET', `${url}/api/v1/jobs/J-1`, { token: t.adminToken })).body;
    expect(detail.job.priority).toBe(3);
    expect(detail.events.map((e: { reason: string }) => e.reason)).toEqual(['e1', 'e2', 'e3']);
    expect(detail.commands).toEqual([]);
    const queue = (await call('GET', `${url}/api/v1/machines/PRS-01/queue`, { token: t.adminToken })).body;
    expect(queue).toMatchObject({ machineId: 'PRS-01', current: null, queue: [{ id: 'J-1' }], sequencer: 'priority-due-date' });
    const bad = await push({ jobs: [{ ...job('J-2', t0), status: 'lost' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].path).toBe('jobs.0.status');
    expect((await call('GET', `${url}/api/v1/machines/NOPE-01/queue`, { token: t.adminToken })).status).toBe(404);
  });

  it('queues a planner\'s command, answers a waiting long poll at once, and records the result once', async () => {
    await push({ jobs: [job('J-3', Date.now())] });
    const socket = ioClient(url, { transports: ['websocket'], reconnection: false, auth: { token: t.adminToken } });
    const seen: string[] = [];
    socket.on('command', (e: { command: Command }) => e.command.target === 'J-3' && seen.push(e.command.status));
    await new Promise((resolve) => socket.on('snapshot', resolve));
    try {
      const started = Date.now();
      const poll = edge('GET', '/edge/commands?after=0&waitS=20');
      await new Promise((r) => setTimeout(r, 300));
      const made = await create('J-3', { action: 'priority', priority: 2, reason: 'customer called' });
      expect(made.status).toBe(202);
      expect(made.body.command).toMatchObject({ type: 'job.priority', target: 'J-3', args: { priority: 2, reason: 'customer called' }, createdBy: 'pia', status: 'pending' });
      expect(made.body.command.expiresAt - made.body.command.createdAt).toBe(lifetimeMs);
      const polled = await poll;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(polled.body.commands.map((c: Command) => [c.id, c.status])).toEqual([[made.body.command.id, 'delivered']]);
      expect(Math.abs(polled.body.serverTime - Date.now())).toBeLessThan(5000);
      // nothing new after the cursor: an empty answer after the wait
      const empty = await edge('GET', `/edge/commands?after=${made.body.command.seq}&waitS=0`);
      expect(empty.body.commands).toEqual([]);
      const result = { status: 'applied', before: { priority: 5 }, after: { priority: 2 }, at: Date.now() };
      const recorded = await edge('POST', `/edge/commands/${made.body.command.id}/result`, result);
      expect(recorded.body.command).toMatchObject({ status: 'applied', before: { priority: 5 }, after: { priority: 2 }, resultAt: expect.any(Number), deliveredAt: expect.any(Number) });
      expect((await edge('POST', `/edge/commands/${made.body.command.id}/result`, result)).status).toBe(200);
      expect((await edge('POST', `/edge/commands/${made.body.command.id}/result`, { status: 'refused', reason: 'no', at: Date.now() })).status).toBe(409);
      expect((await edge('POST', '/edge/commands/00000000-0000-4000-8000-000000000000/result', result)).status).toBe(404);
      expect((await edge('POST', `/edge/commands/${made.body.command.id}/result`, { status: 'maybe', at: 1 })).status).toBe(400);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual(['pending', 'delivered', 'applied']);
      const listed = (await call('GET', `${url}/api/v1/commands?status=applied`, { token: planner })).body.commands;
      expect(listed.map((c: Command) => c.id)).toContain(made.body.command.id);
      expect((await call('GET', `${url}/api/v1/jobs/J-3`, { token: planner })).body.commands.map((c: Command) => c.id)).toEqual([made.body.command.id]);
    } finally {
      socket.close();
    }
  });

  it('expires commands nobody fetched in time: never delivered after, audited, and a late result still recorded', async () => {
    await push({ jobs: [job('J-4', Date.now())] });
    const a = (await create('J-4', { action: 'hold' })).body.command as Command;
    const b = (await create('J-4', { action: 'release' })).body.command as Command;
    // b is fetched in time, its result comes late
    expect((await edge('GET', `/edge/commands?after=${a.seq}&waitS=0`)).body.commands.map((c: Command) => c.id)).toEqual([b.id]);
    await new Promise((r) => setTimeout(r, lifetimeMs + 100));
    expect((await edge('GET', '/edge/commands?after=0&waitS=0')).body.commands).toEqual([]);
    await t.cloud.expireCommands();
    expect(await commandOf(a.id)).toMatchObject({ status: 'expired', reason: 'nobody applied it before it expired' });
    // a delivered command gets a grace for its result before it expires
    expect((await commandOf(b.id)).status).toBe('delivered');
    const late = await edge('POST', `/edge/commands/${b.id}/result`, { status: 'refused', reason: 'expired before it could be applied', at: Date.now() });
    expect(late.body.command).toMatchObject({ status: 'refused', reason: 'expired before it could be applied' });
    const audit = (await call('GET', `${url}/api/v1/audit?action=command.`, { token: t.adminToken })).body as { action: string; detail: { commandId: string } }[];
    expect(audit.filter((e) => e.detail.commandId === a.id).map((e) => e.action).sort()).toEqual(['command.create', 'command.expire']);
    expect(audit.filter((e) => e.detail.commandId === b.id).map((e) => e.action).sort()).toEqual(['command.create', 'command.result']);
  });

  it('refuses commands for unknown jobs, bad actions and other roles, naming what is wrong', async () => {
    expect((await create('J-none', { action: 'hold' })).status).toBe(404);
    const bad = await create('J-4', { action: 'priority' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].path).toBe('priority');
    const viewer = (await t.user('vince', 'viewer')).token;
    expect((await create('J-4', { action: 'hold' }, viewer)).body.error).toBe('needs role planner or admin (you are viewer)');
    expect((await call('GET', `${url}/api/v1/commands/not-a-uuid`, { token: viewer })).status).toBe(400);
  });
});
