import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command, ProductionOrder } from '@plant-twin/contracts';
import { startCloud, type RunningCloud } from '@plant-twin/cloud';
import { call, freshDb, startTestCloud, testEdge, type TestCloud } from '@plant-twin/cloud/testing';
import { hashSecret } from '@plant-twin/runtime';
import { loadPlant } from '@plant-twin/plant-model';
import { jobDto } from '../api.js';
import { jobIdOf } from '../sync.js';
import { dbTargets, startStack, until, type Stack } from '../testing/harness.js';
import { quietLog } from '../testing/fake-agent.js';
import type { CloudLinkOptions } from './link.js';

/**
 * The job manager's cloud link against the real cloud, each on PGlite and on PostgreSQL: the jobs
 * mirror, commands applied once through the job lifecycle, the cloud down (nothing lost), the edge
 * down (commands expire, never applied late) and a duplicate delivery (applied once).
 */
const kinds = ['pglite', 'postgres'] as const;
// one part a minute: the first job stays on the machine, the next waits in its queue
const slow = { setupMs: 50, cycleMs: 60_000, scrapEvery: 10 };
// each test starts a cloud and a job manager (two databases, the restart test three): slow on a loaded machine
const timeout = 180_000;

describe.each(kinds)('job manager cloud link on %s', (kind) => {
  let s: Stack | undefined;
  let t: TestCloud | undefined;
  afterEach(async () => {
    await s?.close();
    await t?.close();
    s = t = undefined;
  });
  const link = (url: string): CloudLinkOptions => ({ url, edgeId: testEdge.id, token: testEdge.token, pushMs: 100, waitS: 2, backoff: { baseMs: 100, maxMs: 500 } });
  const order = async (stack: Stack, spec: Record<string, unknown>) => jobIdOf((await stack.erpCall('POST', '/api/v1/_sim/orders', spec)).body as ProductionOrder);
  const twoJobs = async (stack: Stack) => {
    const running = await order(stack, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 5, priority: 2 });
    const queued = await order(stack, { partNumber: 'KNC-7101', workCenter: 'cnc', quantity: 4, priority: 5 });
    return { running, queued };
  };
  const mirror = async (url: string, token: string, id: string) => (await call('GET', `${url}/api/v1/jobs/${id}`, { token })).body;
  const command = async (url: string, token: string, id: string) => (await call('GET', `${url}/api/v1/commands/${id}`, { token })).body.command as Command;
  const jmJob = (stack: Stack, id: string) => stack.jm!.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('mirrors jobs, events and queues; a planner\'s hold, priority, release and cancel are applied once, with before and after', { timeout }, async () => {
    t = await startTestCloud(kind);
    s = await startStack(dbTargets()[kinds.indexOf(kind)]!, ['CNC-01'], slow);
    const { running, queued } = await twoJobs(s);
    await s.startJm({ cloud: link(t.cloud.url) });
    const url = t.cloud.url;
    await until('the mirror shows one job running and one queued', async () => (await mirror(url, t!.adminToken, running)).job?.status === 'running' && (await mirror(url, t!.adminToken, queued)).job?.status === 'released');
    const queue = (await call('GET', `${url}/api/v1/machines/CNC-01/queue`, { token: t.adminToken })).body;
    expect(queue).toMatchObject({ machineId: 'CNC-01', current: { id: running, status: 'running' }, queue: [{ id: queued }], sequencer: 'priority-due-date' });
    const listed = (await call('GET', `${url}/api/v1/jobs?status=running,released&machine=CNC-01`, { token: t.adminToken })).body;
    expect(listed.jobs.map((j: { id: string }) => j.id).sort()).toEqual([running, queued].sort());
    expect((await call('GET', `${url}/api/v1/jobs?q=${queued.slice(0, 8)}`, { token: t.adminToken })).body.total).toBeGreaterThanOrEqual(1);
    expect((await mirror(url, t.adminToken, running)).events.map((e: { to: string | null; kind: string }) => e.to)).toEqual(expect.arrayContaining(['planned', 'released', 'dispatched', 'running']));

    const planner = await t.user('pete', 'planner');
    const send = async (jobId: string, body: Record<string, unknown>) => {
      const r = await call('POST', `${url}/api/v1/jobs/${jobId}/commands`, { token: planner.token, body });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      expect(r.body.command).toMatchObject({ status: 'pending', createdBy: 'pete', target: jobId });
      return until(`command ${body.action} applied or refused`, async () => {
        const c = await command(url, planner.token, r.body.command.id);
        return c.status === 'applied' || c.status === 'refused' ? c : null;
      });
    };
    const hold = await send(queued, { action: 'hold', reason: 'material missing' });
    expect(hold).toMatchObject({ type: 'job.hold', status: 'applied', before: { status: 'released' }, after: { status: 'held' } });
    expect((await jmJob(s, queued)).status).toBe('held');
    await until('the mirror shows the job held', async () => (await mirror(url, t!.adminToken, queued)).job.status === 'held');
    const prio = await send(queued, { action: 'priority', priority: 1 });
    expect(prio).toMatchObject({ status: 'applied', before: { priority: 5 }, after: { priority: 1 } });
    expect(await send(queued, { action: 'release' })).toMatchObject({ status: 'applied', after: { status: 'released' } });
    // a job on the machine: the machine is asked to stop it first
    expect(await send(running, { action: 'cancel' })).toMatchObject({ status: 'applied', after: { cancelRequested: true } });
    // a second hold of a held job is refused by the job's lifecycle, with the reason
    await send(queued, { action: 'hold' });
    expect(await send(queued, { action: 'hold' })).toMatchObject({ status: 'refused', reason: expect.stringMatching(/cannot go from held to held/) });
    // the job's own history says who sent what
    const notes = await s.jm!.db.selectFrom('job_events').select('reason').where('job_id', '=', queued).where('actor', '=', 'cloud').execute();
    expect(notes.map((n) => n.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/^job\.hold from pete \(command .+\): material missing$/)]));
    const holds = await s.jm!.db.selectFrom('job_events').select('id').where('job_id', '=', queued).where('to_status', '=', 'held').where('kind', '=', 'transition').execute();
    expect(holds).toHaveLength(2);
    const audit = (await call('GET', `${url}/api/v1/audit?action=command.`, { token: t.adminToken })).body as { action: string; username: string; detail: any }[];
    expect(audit.filter((a) => a.action === 'command.create' && a.username === 'pete')).toHaveLength(6);
    expect(audit.find((a) => a.action === 'command.result' && a.detail.commandId === hold.id)).toMatchObject({ username: `edge:${testEdge.id}`, detail: { status: 'applied', before: { status: 'released' }, after: { status: 'held' } } });
  });

  it('keeps retrying while the cloud is down and loses nothing: every job and event arrives once it is back', { timeout }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloud-link-cloud-'));
    const pg = kind === 'postgres' ? await freshDb('postgres') : null;
    await pg?.db.destroy();
    const plant = loadPlant();
    const config = { port: 0, host: '127.0.0.1', plant, edgeCredentials: { [testEdge.id]: await hashSecret(testEdge.token) }, printAdminPassword: false, ...(pg ? { databaseUrl: pg.url, dbSchema: pg.schema } : { dataDir: dir }) };
    let cloud: RunningCloud = await startCloud(config, quietLog());
    try {
      const token = (await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: cloud.firstAdminPassword } })).body.token as string;
      s = await startStack(dbTargets()[kinds.indexOf(kind)]!, ['CNC-01'], slow);
      const first = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 5, priority: 2 });
      await s.startJm({ cloud: link(cloud.url) });
      await until('the first job mirrored', async () => (await mirror(cloud.url, token, first)).job?.status === 'running');
      const port = cloud.port;
      await cloud.close();
      // while the cloud is away: new jobs, status changes, many events
      const later: string[] = [];
      for (let i = 0; i < 3; i++) later.push(await order(s, { partNumber: 'KNC-7101', workCenter: 'cnc', quantity: 2 + i, priority: 5 }));
      await until('the job manager took the new orders', async () => (await s!.jm!.db.selectFrom('jobs').select('id').where('id', 'in', later).execute()).length === 3);
      await s.api('POST', `/api/v1/jobs/${later[0]}/hold`);
      await new Promise((r) => setTimeout(r, 1500));
      cloud = await startCloud({ ...config, port }, quietLog());
      const jmEvents = await s.jm!.db.selectFrom('job_events').select(['id', 'job_id']).execute();
      await until('every job and event of the job manager in the cloud', async () => {
        const jobs = await Promise.all([first, ...later].map((id) => mirror(cloud.url, token, id)));
        const mirrored = jobs.reduce((n, j) => n + (j.events?.length ?? 0), 0);
        return jobs.every((j) => j.job) && jobs.find((j) => j.job.id === later[0]).job.status === 'held' && mirrored >= jmEvents.length;
      }, 60_000);
      const counts = await Promise.all([first, ...later].map(async (id) => (await mirror(cloud.url, token, id)).events.length));
      const expected = [first, ...later].map((id) => jmEvents.filter((e) => e.job_id === id).length);
      expect(counts).toEqual(expected);
      // and the command channel is back too
      const r = await call('POST', `${cloud.url}/api/v1/jobs/${later[0]}/commands`, { token, body: { action: 'release' } });
      expect(r.status).toBe(202);
      await until('the release applied after the outage', async () => (await command(cloud.url, token, r.body.command.id)).status === 'applied');
    } finally {
      await s?.stopJm();
      await cloud.close();
      await pg?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets commands expire while the edge is down and never applies one late', { timeout }, async () => {
    t = await startTestCloud(kind, { commandLifetimeMs: 1500 });
    s = await startStack(dbTargets()[kinds.indexOf(kind)]!, ['CNC-01'], slow);
    const { queued } = await twoJobs(s);
    await s.startJm({ cloud: link(t.cloud.url) });
    const url = t.cloud.url;
    await until('the queued job mirrored', async () => (await mirror(url, t!.adminToken, queued)).job?.status === 'released');
    await s.stopJm();
    const r = await call('POST', `${url}/api/v1/jobs/${queued}/commands`, { token: t.adminToken, body: { action: 'hold' } });
    expect(r.status).toBe(202);
    await new Promise((res) => setTimeout(res, 1700));
    // the cloud's expiry runs every 5 s; run it now
    await t.cloud.expireCommands();
    expect(await command(url, t.adminToken, r.body.command.id)).toMatchObject({ status: 'expired', reason: 'nobody applied it before it expired' });
    await s.startJm({ cloud: link(url) });
    // the link is up (it pushes again) and the expired command was not delivered: the job stays released
    await until('the job manager pushed after its restart', async () => (await call('GET', `${url}/api/v1/machines/CNC-01/queue`, { token: t!.adminToken })).body.asOf > Date.now() - 1000);
    await new Promise((res) => setTimeout(res, 500));
    expect((await jmJob(s, queued)).status).toBe('released');
    expect(await s.jm!.db.withTables<{ applied_command: { id: string } }>().selectFrom('applied_command').select('id').execute()).toEqual([]);
    // a command that reaches the edge after its deadline (on the edge's clock) is refused, and nothing changes
    const late = { ...(await command(url, t.adminToken, r.body.command.id)), status: 'delivered' as const };
    const refused = await s.jm!.cloud!.applier.apply(late, Date.now() - 1);
    expect(refused).toMatchObject({ status: 'refused', reason: expect.stringMatching(/^expired before it could be applied/) });
    expect((await jmJob(s, queued)).status).toBe('released');
    const audit = (await call('GET', `${url}/api/v1/audit?action=command.expire`, { token: t.adminToken })).body;
    expect(audit[0]).toMatchObject({ action: 'command.expire', target: queued, detail: { commandId: r.body.command.id } });
  });

  it('applies a command delivered twice only once, and the cloud keeps the first result', { timeout }, async () => {
    t = await startTestCloud(kind);
    s = await startStack(dbTargets()[kinds.indexOf(kind)]!, ['CNC-01'], slow);
    const { queued } = await twoJobs(s);
    // a job manager without the link: this test delivers the command itself, twice
    await s.startJm({ cloud: { ...link(t.cloud.url), url: 'http://127.0.0.1:9' } });
    await until('the job queued', async () => (await s!.jm!.db.selectFrom('jobs').select('status').where('id', '=', queued).executeTakeFirst())?.status === 'released');
    await s.jm!.cloud!.stop();
    const c: Command = { id: '6f1c7a52-4a2b-4c1e-9a43-3f7d7c1b2a10', seq: 1, type: 'job.hold', target: queued, args: {}, createdBy: 'pete', createdAt: Date.now(), expiresAt: Date.now() + 60_000, status: 'delivered' };
    const applier = s.jm!.cloud!.applier;
    const [a, b] = await Promise.all([applier.apply(c, Date.now() + 60_000), applier.apply(c, Date.now() + 60_000)]);
    const again = await applier.apply(c, Date.now() + 60_000);
    expect(a).toMatchObject({ status: 'applied', before: { status: 'released' }, after: { status: 'held' } });
    expect(b).toEqual(a);
    expect(again).toEqual(a);
    const holds = await s.jm!.db.selectFrom('job_events').select('id').where('job_id', '=', queued).where('to_status', '=', 'held').where('kind', '=', 'transition').execute();
    expect(holds).toHaveLength(1);

    // the cloud side: the same result twice is fine, a different second one is refused and ignored
    const edge = (path: string, body?: unknown) => call(body === undefined ? 'GET' : 'POST', `${t!.cloud.url}${path}`, { token: testEdge.token, headers: { 'x-edge-id': testEdge.id }, ...(body === undefined ? {} : { body }) });
    expect((await edge('/api/v1/edge/jobs', { edgeId: testEdge.id, jobs: [jobDto(await jmJob(s, queued))], events: [] })).status).toBe(200);
    const sent = await call('POST', `${t.cloud.url}/api/v1/jobs/${queued}/commands`, { token: t.adminToken, body: { action: 'hold' } });
    const fetched = await edge('/api/v1/edge/commands?after=0&waitS=0');
    expect(fetched.body.commands.map((x: Command) => x.id)).toEqual([sent.body.command.id]);
    const result = { status: 'applied', before: { status: 'released' }, after: { status: 'held' }, at: Date.now() };
    expect((await edge(`/api/v1/edge/commands/${sent.body.command.id}/result`, result)).status).toBe(200);
    expect((await edge(`/api/v1/edge/commands/${sent.body.command.id}/result`, result)).status).toBe(200);
    const other = await edge(`/api/v1/edge/commands/${sent.body.command.id}/result`, { status: 'refused', reason: 'changed my mind', at: Date.now() });
    expect(other.status).toBe(409);
    expect(await command(t.cloud.url, t.adminToken, sent.body.command.id)).toMatchObject({ status: 'applied', after: { status: 'held' } });
    expect((await call('GET', `${t.cloud.url}/api/v1/audit?action=command.result`, { token: t.adminToken })).body).toHaveLength(1);
  });
});
