import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { startCloud, type RunningCloud } from './app.js';
import { applyRetention } from './jobs.js';
import { dbKinds, freshDb } from './test-support/db.js';
import { call } from './test-support/http.js';
import { batch, MessageFactory } from './test-support/messages.js';

const plant = loadPlant();
const log = createLogger('cloud-test');
log.level = 'silent';
const edgeToken = 'edge-one-secret-token';
// the fixtures are stamped at fixed dates (2026, 1970): the accepted time window is tested in ingest/window.test.ts
const acceptWindow = { pastMs: Infinity, futureMs: Infinity };

describe.each(dbKinds)('cloud service on %s', (kind) => {
  let cloud: RunningCloud;
  let dbClose: () => Promise<void> = async () => undefined;
  let adminToken: string;
  const f = new MessageFactory();
  const ingest = (b: unknown, headers: Record<string, string> = { 'x-edge-id': 'edge-1' }, token = edgeToken) => call('POST', cloud.url + ingestPath, { body: b, gzip: true, headers, token });

  beforeAll(async () => {
    const edgeCredentials = { 'edge-1': await hashSecret(edgeToken) };
    if (kind === 'postgres') {
      // a unique schema on the real server; the service migrates it itself
      const probe = await freshDb('postgres');
      await probe.db.destroy();
      cloud = await startCloud({ port: 0, host: '127.0.0.1', plant, databaseUrl: probe.url, dbSchema: probe.schema, edgeCredentials, printAdminPassword: false, acceptWindow, liveIntervalMs: 50 }, log);
      dbClose = probe.close;
    } else {
      cloud = await startCloud({ port: 0, host: '127.0.0.1', plant, edgeCredentials, printAdminPassword: false, acceptWindow, liveIntervalMs: 50 }, log);
    }
    expect(cloud.firstAdminPassword).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const r = await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: cloud.firstAdminPassword } });
    expect(r.status).toBe(200);
    adminToken = r.body.token;
  });
  afterAll(async () => {
    await cloud?.close();
    await dbClose();
  });

  it('refuses batches without the right edge credential', async () => {
    const b = batch('edge-1', 1, [f.state('PRS-01', 1000, 'idle')]);
    expect((await ingest(b, { 'x-edge-id': 'edge-1' }, 'wrong-token')).status).toBe(401);
    expect((await ingest(b, { 'x-edge-id': 'edge-2' })).status).toBe(401);
    expect((await ingest(b, {})).status).toBe(401);
    expect((await ingest({ ...b, edgeId: 'edge-9' })).status).toBe(403);
  });

  it('stores a batch once: a resent batch is acknowledged as duplicate, repeated message ids are skipped', async () => {
    const t0 = Date.UTC(2026, 5, 1, 8);
    const msgs = [f.state('PRS-01', t0, 'running', { part: 'BRK-4411' }), f.counter('PRS-01', t0 + 1000, 5, 1, 'BRK-4411'), f.sample('PRS-01', t0 + 1000, { stroke_rate: 24.2, tonnage: 1850 })];
    const first = await ingest(batch('edge-1', 1, msgs));
    expect(first).toMatchObject({ status: 200, body: { ack: 1, duplicate: false, stored: 3 } });
    const again = await ingest(batch('edge-1', 1, msgs));
    expect(again).toMatchObject({ status: 200, body: { ack: 1, duplicate: true, stored: 0 } });
    // the same messages re-sent in a new batch (e.g. a pod re-publishing after a restart) are not stored again
    const extra = f.counter('PRS-01', t0 + 2000, 2, 0, 'BRK-4411');
    expect((await ingest(batch('edge-1', 2, [...msgs, extra]))).body).toEqual({ ack: 2, duplicate: false, stored: 1 });
    const counts = await cloud.db.db.selectFrom('counter_event').select(({ fn }) => [fn.sum<number>('good_delta').as('good'), fn.countAll<number>().as('n')]).where('machine_id', '=', 'PRS-01').executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(2);
    expect(Number(counts.good)).toBe(7);
    // an earlier seq after a later one is still a duplicate, and the ack stays at the highest stored seq
    expect((await ingest(batch('edge-1', 1, msgs))).body).toEqual({ ack: 2, duplicate: true, stored: 0 });
  });

  it('rejects an invalid batch whole, naming the message and the field', async () => {
    const good = f.sample('PRS-02', 5000, { stroke_rate: 1 });
    const bad = { ...f.sample('PRS-02', 5000, { stroke_rate: 1 }) } as any;
    bad.values[0].quality = 'excellent';
    const r = await ingest(batch('edge-1', 3, [good, bad]));
    expect(r.status).toBe(400);
    expect(r.body.messageIndex).toBe(1);
    expect(r.body.fields[0].path).toBe('messages[1].values[0].quality');
    expect(r.body.error).toMatch(/messages\[1\]\.values\[0\]\.quality/);
    const notJson = await call('POST', cloud.url + ingestPath, { body: undefined, headers: { 'x-edge-id': 'edge-1', 'content-encoding': 'gzip' }, token: edgeToken });
    expect(notJson.status).toBe(400);
    expect((await cloud.db.db.selectFrom('sample').selectAll().where('machine_id', '=', 'PRS-02').execute()).length).toBe(0);
  });

  it('puts every API behind a session and a role, and audits changes', async () => {
    expect((await call('GET', `${cloud.url}/api/v1/machines`)).status).toBe(401);
    expect((await call('GET', `${cloud.url}/api/v1/machines`, { token: 'forged' })).status).toBe(401);
    expect((await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: 'wrong-password' } })).status).toBe(401);
    const created = await call('POST', `${cloud.url}/api/v1/users`, { token: adminToken, body: { username: 'vera', role: 'viewer' } });
    expect(created.status).toBe(201);
    const badUser = await call('POST', `${cloud.url}/api/v1/users`, { token: adminToken, body: { username: 'X', role: 'boss' } });
    expect(badUser.status).toBe(400);
    expect(badUser.body.fields.map((x: { path: string }) => x.path).sort()).toEqual(['role', 'username']);
    const viewer = (await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'vera', password: created.body.password } })).body.token;
    const machines = await call('GET', `${cloud.url}/api/v1/machines`, { token: viewer });
    expect(machines.status).toBe(200);
    expect(machines.body).toHaveLength(plant.machines.length);
    expect(machines.body.find((m: { id: string }) => m.id === 'PRS-01').status.state).toBe('running');
    expect((await call('GET', `${cloud.url}/api/v1/users`, { token: viewer })).status).toBe(403);
    expect((await call('POST', `${cloud.url}/api/v1/oee/recompute`, { token: viewer, body: { from: 0 } })).status).toBe(403);
    // disabling a user ends their sessions
    expect((await call('PATCH', `${cloud.url}/api/v1/users/vera`, { token: adminToken, body: { disabled: true } })).status).toBe(200);
    expect((await call('GET', `${cloud.url}/api/v1/machines`, { token: viewer })).status).toBe(401);
    const auditLog = await call('GET', `${cloud.url}/api/v1/audit`, { token: adminToken });
    expect(auditLog.body.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['user.create', 'user.update', 'auth.login', 'auth.login_failed']));
  });

  it('serves current values with quality and source time, and alarm episodes', async () => {
    const t = Date.UTC(2026, 5, 2, 9);
    await ingest(batch('edge-1', 10, [f.sample('IMM-01', t, { barrel_temp: 230.5 }), f.sample('IMM-01', t + 500, { barrel_temp: 231 }, 'stale'), f.alarm('IMM-01', t, 301, true), f.alarm('IMM-01', t + 60_000, 301, false), f.alarm('IMM-01', t + 90_000, 302, true)]));
    const cur = await call('GET', `${cloud.url}/api/v1/machines/IMM-01/current`, { token: adminToken });
    expect(cur.body.values).toContainEqual({ name: 'barrel_temp', value: 231, quality: 'stale', ts: t + 500 });
    const alarms = await call('GET', `${cloud.url}/api/v1/alarms?machineId=IMM-01`, { token: adminToken });
    expect(alarms.body.active).toEqual([{ machineId: 'IMM-01', code: 302, text: 'alarm 302', severity: 'fault', raisedAt: t + 90_000, clearedAt: null, ack: null }]);
    expect(alarms.body.history.map((a: { code: number; clearedAt: number | null }) => [a.code, a.clearedAt])).toEqual([[302, null], [301, t + 60_000]]);
  });

  it("places a vanished pod's last will at its boot's last message: the dead pod reads offline, not online", async () => {
    const t = Date.UTC(2026, 5, 3, 9);
    const boot = new MessageFactory('boot7');
    // the will is prepared at connect (seq 0, the connect time); the broker sends it when the pod vanishes
    const will: MachineMessage = { v: 1, id: 'PRS-02/boot7/0', machineId: 'PRS-02', seq: 0, ts: t - 100, kind: 'pod', status: 'offline', machineConnected: false };
    await ingest(batch('edge-1', 30, [boot.pod('PRS-02', t, true), boot.state('PRS-02', t + 1_000, 'running'), boot.sample('PRS-02', t + 5_000, { tonnage: 1 })]));
    await ingest(batch('edge-1', 31, [will]));
    const machines = (await call('GET', `${cloud.url}/api/v1/machines`, { token: adminToken })).body as { id: string; status: { pod: unknown } }[];
    expect(machines.find((m) => m.id === 'PRS-02')!.status.pod).toEqual({ status: 'offline', machineConnected: false, ts: t + 5_000 });
    // a will in the same batch as its boot's last messages goes after them too
    const other = new MessageFactory('boot8');
    await ingest(batch('edge-1', 32, [other.pod('PRS-01', t, true), other.sample('PRS-01', t + 9_000, { tonnage: 3 }), { ...will, id: 'PRS-01/boot8/0', machineId: 'PRS-01' }]));
    const after = (await call('GET', `${cloud.url}/api/v1/machines`, { token: adminToken })).body as { id: string; status: { pod: unknown } }[];
    expect(after.find((m) => m.id === 'PRS-01')!.status.pod).toEqual({ status: 'offline', machineConnected: false, ts: t + 9_000 });
    // PRS-02's boot says online again: the broker had gone, not the pod, so the will is withdrawn
    await ingest(batch('edge-1', 33, [boot.sample('PRS-02', t + 7_000, { tonnage: 4 }), boot.pod('PRS-02', t + 20_000, true)]));
    const back = (await call('GET', `${cloud.url}/api/v1/machines`, { token: adminToken })).body as { id: string; status: { pod: unknown } }[];
    expect(back.find((m) => m.id === 'PRS-02')!.status.pod).toEqual({ status: 'online', machineConnected: true, ts: t + 20_000 });
    expect(await cloud.db.db.selectFrom('pod_event').select(['ts', 'status']).where('machine_id', '=', 'PRS-02').orderBy('ts').execute()).toEqual([
      { ts: t, status: 'online' },
      { ts: t + 20_000, status: 'online' },
    ]);
  });

  it('downsamples a series to at most `points` buckets, from raw or rollups, with the same min/max/avg', async () => {
    const t0 = Date.UTC(2026, 5, 3, 0);
    const values: number[] = [];
    const msgs = [];
    // 6 hours, one reading every 10 s: a sawtooth with a known envelope
    for (let i = 0; i < 2160; i++) {
      const v = (i % 37) * 1.5 - 10;
      values.push(v);
      msgs.push(f.sample('PRS-02', t0 + i * 10_000, { tonnage: v }));
    }
    msgs.push(f.sample('PRS-02', t0 + 5, { tonnage: 9999 }, 'bad'));
    expect((await ingest(batch('edge-1', 11, msgs))).status).toBe(200);
    const get = async (from: number, to: number, points: number) => (await call('GET', `${cloud.url}/api/v1/machines/PRS-02/series?tag=tonnage&from=${from}&to=${to}&points=${points}`, { token: adminToken })).body;
    const raw = await get(t0, t0 + 6 * 3_600_000, 10_000);
    expect(raw.source).toBe('raw');
    expect(raw.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(2160);
    const perMinute = await get(t0, t0 + 6 * 3_600_000, 300);
    expect(perMinute.source).toBe('1m');
    expect(perMinute.buckets.length).toBeLessThanOrEqual(300);
    const perHour = await get(t0, t0 + 6 * 3_600_000, 3);
    expect(perHour.source).toBe('1h');
    expect(perHour.buckets.length).toBeLessThanOrEqual(3);
    // expected envelope of each 2-hour bucket, computed here from the generated values
    const expected = [0, 1, 2].map((k) => values.slice(k * 720, (k + 1) * 720));
    perHour.buckets.forEach((b: { min: number; max: number; avg: number; count: number }, k: number) => {
      const vs = expected[k]!;
      expect(b.count).toBe(vs.length);
      expect(b.min).toBe(Math.min(...vs));
      expect(b.max).toBe(Math.max(...vs));
      expect(b.avg).toBeCloseTo(vs.reduce((a, x) => a + x, 0) / vs.length, 9);
    });
    // the same range from raw samples (fine buckets merged here) agrees with the rollups
    const rawHourly = await get(t0, t0 + 6 * 3_600_000, 6 * 360);
    expect(rawHourly.source).toBe('raw');
    const merged = [0, 1, 2].map((k) => rawHourly.buckets.filter((b: { t: number }) => b.t >= t0 + k * 7_200_000 && b.t < t0 + (k + 1) * 7_200_000));
    merged.forEach((bs: { min: number; max: number; count: number }[], k: number) => {
      expect(Math.min(...bs.map((b) => b.min))).toBe(perHour.buckets[k].min);
      expect(Math.max(...bs.map((b) => b.max))).toBe(perHour.buckets[k].max);
      expect(bs.reduce((n, b) => n + b.count, 0)).toBe(perHour.buckets[k].count);
    });
    expect((await call('GET', `${cloud.url}/api/v1/machines/PRS-02/series?tag=nope&from=0&to=1`, { token: adminToken })).status).toBe(404);
  });

  it('pushes live state and values over socket.io to authenticated clients only', async () => {
    const refused = ioClient(cloud.url, { auth: { token: 'forged' }, transports: ['websocket'], reconnection: false });
    const err = await new Promise<Error>((resolve) => refused.on('connect_error', resolve));
    expect(err.message).toMatch(/^log in first/);
    refused.close();

    const socket: Socket = ioClient(cloud.url, { auth: { token: adminToken }, transports: ['websocket'], reconnection: false });
    const snapshot = await new Promise<{ machines: { machineId: string; status: { state: string | null } }[] }>((resolve) => socket.on('snapshot', resolve));
    expect(snapshot.machines.find((s) => s.machineId === 'PRS-01')?.status.state).toBe('running');
    socket.emit('subscribe', 'WLD-01');
    await new Promise((r) => setTimeout(r, 100));
    const plantEvent = new Promise<any>((resolve) => socket.on('plant', (p) => p.machineId === 'WLD-01' && resolve(p)));
    const machineEvent = new Promise<any>((resolve) => socket.on('machine', (p) => p.machineId === 'WLD-01' && resolve(p)));
    const t = Date.UTC(2026, 5, 4, 7);
    // many updates inside one push interval arrive coalesced: the latest value and the summed counts
    const msgs = [f.state('WLD-01', t, 'fault'), f.state('WLD-01', t + 10, 'running')];
    for (let i = 0; i < 20; i++) msgs.push(f.sample('WLD-01', t + i, { weld_current: i }), f.counter('WLD-01', t + i, 1, 0));
    await ingest(batch('edge-1', 12, msgs));
    const p = await plantEvent;
    expect(p.state.state).toBe('running');
    expect(p.counts.good).toBe(20);
    expect(p.values).toBeUndefined();
    const m = await machineEvent;
    expect(m.values.weld_current.value).toBe(19);
    socket.close();
  });

  it('applies the retention policy: raw samples go first, rollups stay longer', async () => {
    const now = Date.now();
    const day = 86_400_000;
    await ingest(batch('edge-1', 20, [f.sample('CMM-01', now - 10 * day, { probe_temp: 20 }), f.sample('CMM-01', now - day, { probe_temp: 21 }), f.state('CMM-01', now - 500 * day, 'idle')]));
    await applyRetention(cloud.db.db, { rawDays: 7, minuteDays: 90, eventDays: 400 }, now);
    const raw = await cloud.db.db.selectFrom('sample').select('ts').where('machine_id', '=', 'CMM-01').execute();
    expect(raw.map((r) => Number(r.ts))).toEqual([now - day]);
    const minutes = await cloud.db.db.selectFrom('sample_1m').select('bucket').where('machine_id', '=', 'CMM-01').execute();
    expect(minutes).toHaveLength(2);
    expect(await cloud.db.db.selectFrom('state_event').select('ts').where('machine_id', '=', 'CMM-01').execute()).toEqual([]);
  });

  it('serves the probes without a session', async () => {
    expect((await call('GET', `${cloud.url}/health/live`)).status).toBe(200);
    expect((await call('GET', `${cloud.url}/health/ready`)).status).toBe(200);
  });
});

describe('cloud over HTTPS', () => {
  it('accepts batches over TLS when certificate files are configured', async () => {
    const tls = await selfSignedTls();
    const cloud = await startCloud({ port: 0, host: '127.0.0.1', plant, edgeCredentials: { 'edge-1': await hashSecret(edgeToken) }, tls, printAdminPassword: false, acceptWindow }, log);
    try {
      expect(cloud.url).toMatch(/^https:/);
      const f = new MessageFactory();
      const r = await call('POST', cloud.url + ingestPath, { body: batch('edge-1', 1, [f.state('EOL-01', 1, 'idle')]), gzip: true, headers: { 'x-edge-id': 'edge-1' }, token: edgeToken, ca: tls.cert });
      expect(r.body).toEqual({ ack: 1, duplicate: false, stored: 1 });
      // HSTS where the cloud serves HTTPS itself
      expect((await call('GET', `${cloud.url}/health/live`, { ca: tls.cert })).headers['strict-transport-security']).toMatch(/max-age=31536000/);
    } finally {
      await cloud.close();
    }
  });
});
