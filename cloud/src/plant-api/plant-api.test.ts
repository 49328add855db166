import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import { call } from '../test-support/http.js';
import { dbKinds } from '../test-support/db.js';
import { batch, MessageFactory } from '../test-support/messages.js';
import { cookieLogin } from '../test-support/session.js';
import { startTestCloud, testEdge, type TestCloud } from '../test-support/cloud.js';

const staleAfterMs = 1500;

describe.each(dbKinds)('plant API for the twin on %s', (kind) => {
  let t: TestCloud;
  let url: string;
  let seq = 0;
  const f = new MessageFactory('plantapi');
  const get = (path: string, token = t.adminToken) => call('GET', `${url}/api/v1${path}`, { token });
  const ingest = async (messages: MachineMessage[]) => {
    const r = await call('POST', url + ingestPath, { body: batch(testEdge.id, ++seq, messages), gzip: true, headers: { 'x-edge-id': testEdge.id }, token: testEdge.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const job = (machineId: string, ts: number, event: 'started' | 'progress', good: number): MachineMessage => ({ v: 1, id: `${machineId}/plantapi-job/${ts}`, machineId, ts, seq: 1, kind: 'job', jobId: 'J-7', event, partNumber: 'BRK-4411', quantity: 100, good, scrap: 1 });
  const machineOf = async (id: string) => ((await get('/machines')).body as { id: string }[]).find((m) => m.id === id) as any;

  beforeAll(async () => {
    t = await startTestCloud(kind, { staleAfterMs });
    url = t.cloud.url;
  });
  afterAll(async () => t?.close());

  it('serves the plant model for the twin without addresses, hosts or secret names', async () => {
    const r = await get('/plant');
    expect(r.status).toBe(200);
    const p = r.body;
    expect(p).toMatchObject({ id: 'plant1', timezone: 'Europe/Berlin', hall: { width: 64, depth: 36 }, smallStopThresholdS: 120 });
    expect(Math.abs(p.serverTime - Date.now())).toBeLessThan(5000);
    expect(p.machines).toHaveLength(t.cloud.model.machineIds.length);
    expect(p.shifts[0]).toEqual({ name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '09:00', minutes: 15 }, { start: '11:30', minutes: 30 }], days: [1, 2, 3, 4, 5, 6, 7] });
    const prs = p.machines.find((m: { id: string }) => m.id === 'PRS-01');
    expect(prs).toMatchObject({ kind: 'press', interface: 's7', layout: { footprint: expect.any(Object) } });
    expect(prs.tags.find((x: { name: string }) => x.name === 'good_count')).toEqual({ name: 'good_count', type: 'dint', unit: 'pcs', min: 0, role: 'good_count', description: 'lifetime good parts' });
    const text = JSON.stringify(p);
    for (const secret of ['address', 'host', 'passwordEnv', 'DB1,', 'mailboxDb', 'share', 'preferredNode', 'behaviour']) expect(text, secret).not.toContain(secret);
  });

  it('answers plant-calendar ranges and names a wrong kind', async () => {
    const r = await get(`/calendar/ranges?kind=shift&at=${Date.UTC(2026, 11, 6, 9)}`);
    expect(r.body).toEqual({
      current: { kind: 'shift', label: 'early 2026-12-06', from: Date.UTC(2026, 11, 6, 5), to: Date.UTC(2026, 11, 6, 13) },
      previous: { kind: 'shift', label: 'night 2026-12-05', from: Date.UTC(2026, 11, 5, 21), to: Date.UTC(2026, 11, 6, 5) },
    });
    expect((await get('/calendar/ranges?kind=day')).body.current.kind).toBe('day');
    const bad = await get('/calendar/ranges?kind=month');
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].path).toBe('kind');
  });

  it('judges freshness on the cloud clock: live while data arrives, stale after the bound, offline with the pod', async () => {
    const now = Date.now();
    await ingest([f.pod('PRS-01', now - 1000, true), f.state('PRS-01', now - 900, 'running', { part: 'BRK-4411' }), job('PRS-01', now - 800, 'progress', 42), f.pod('PRS-02', now - 1000, false, false), f.state('PRS-02', now - 1200, 'idle')]);
    const prs1 = await machineOf('PRS-01');
    expect(prs1.status).toMatchObject({ state: 'running', freshness: 'live', partNumber: 'BRK-4411' });
    expect(prs1.status.staleSince).toBeUndefined();
    expect(prs1.job).toEqual({ jobId: 'J-7', partNumber: 'BRK-4411', quantity: 100, good: 42, scrap: 1, event: 'progress', ts: now - 800 });
    expect((await machineOf('PRS-02')).status).toMatchObject({ freshness: 'offline', staleSince: now - 1000 });
    // never heard of since the cloud started: stale, never live
    expect((await machineOf('IMM-02')).status.freshness).toBe('stale');
    // a file machine speaks only when it makes a part: its pod online and its edge talking keep it live
    await ingest([f.pod('EOL-01', now - 500, true), f.state('EOL-01', now - 400, 'idle')]);
    await new Promise((r) => setTimeout(r, staleAfterMs + 300));
    await ingest([f.sample('PRS-01', Date.now(), { stroke_rate: 20 })]);
    expect((await machineOf('EOL-01')).status.freshness).toBe('live');
    const quiet = await machineOf('IMM-01');
    expect(quiet.status.freshness).toBe('stale');
    // PRS-01 keeps talking; the sample above arrived now
    expect((await machineOf('PRS-01')).status.freshness).toBe('live');
  });

  it('pushes a freshness change over the socket when a machine goes quiet', async () => {
    const c = await cookieLogin(url, 'admin', t.adminPassword);
    const socket = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: url } });
    try {
      await new Promise((resolve) => socket.on('snapshot', resolve));
      const goneStale = new Promise<any>((resolve) => socket.on('plant', (e) => e.machineId === 'WLD-01' && e.freshness?.freshness === 'stale' && resolve(e)));
      const wentLive = new Promise<any>((resolve) => socket.on('plant', (e) => e.machineId === 'WLD-01' && e.freshness?.freshness === 'live' && resolve(e)));
      const at = Date.now();
      await ingest([f.pod('WLD-01', at, true), f.state('WLD-01', at, 'running')]);
      expect((await wentLive).freshness).toEqual({ freshness: 'live' });
      const stale = await goneStale;
      expect(stale.freshness.staleSince).toBeGreaterThanOrEqual(at);
      expect(Date.now() - stale.freshness.staleSince).toBeGreaterThanOrEqual(staleAfterMs);
    } finally {
      socket.close();
    }
  });

  it('gives current values with the tag unit and limits, and many tags of a series at once', async () => {
    const t0 = Date.now() - 60_000;
    const msgs = [];
    for (let i = 0; i < 30; i++) msgs.push(f.sample('IMM-01', t0 + i * 1000, { barrel_temp_sp: 230 + i, clamp_force: 800 + i }));
    await ingest(msgs);
    const cur = await get('/machines/IMM-01/current');
    const sp = cur.body.values.find((v: { name: string }) => v.name === 'barrel_temp_sp');
    expect(sp).toMatchObject({ value: 259, quality: 'good', unit: expect.any(String), limits: expect.objectContaining({ max: expect.any(Number) }) });
    expect(cur.body.status.freshness).toBe('live');
    const multi = await get(`/machines/IMM-01/series?tags=barrel_temp_sp,clamp_force&from=${t0}&to=${t0 + 30_000}&points=3`);
    expect(multi.status).toBe(200);
    expect(multi.body.series.map((s: { tag: string }) => s.tag)).toEqual(['barrel_temp_sp', 'clamp_force']);
    expect(multi.body.series[1].buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(30);
    expect(Math.max(...multi.body.series[0].buckets.map((b: { max: number }) => b.max))).toBe(259);
    expect((await get(`/machines/IMM-01/series?tags=barrel_temp_sp,nope&from=${t0}&to=${t0 + 1}`)).status).toBe(404);
    const tooMany = await get(`/machines/IMM-01/series?tags=${Array.from({ length: 17 }, (_, i) => `t${i}`).join(',')}&from=1&to=2`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.fields[0]).toMatchObject({ path: 'tags', message: 'at most 16 tags' });
  });

  it('draws the state timeline with merged intervals and no data while the pod was offline', async () => {
    const t0 = Date.now() - 10 * 60_000;
    const m = 'CNC-02';
    await ingest([
      f.pod(m, t0, true),
      f.state(m, t0 + 1000, 'running'),
      f.state(m, t0 + 61_000, 'fault'),
      f.state(m, t0 + 121_000, 'running'),
      f.pod(m, t0 + 181_000, false, false),
      f.pod(m, t0 + 241_000, true),
      f.state(m, t0 + 242_000, 'idle', { quality: 'stale' }),
      f.sample(m, t0 + 300_000, { spindle_load: 1 }),
    ]);
    const r = await get(`/machines/${m}/timeline?from=${t0}&to=${t0 + 3_600_000}`);
    expect(r.status).toBe(200);
    expect(r.body.intervals.map((i: { state: string; from: number; to: number; quality: string }) => [i.state, i.quality, i.from - t0, i.to - t0])).toEqual([
      ['nodata', 'bad', 0, 1000],
      ['running', 'good', 1000, 61_000],
      ['fault', 'good', 61_000, 121_000],
      ['running', 'good', 121_000, 181_000],
      ['nodata', 'bad', 181_000, 242_000],
      ['idle', 'stale', 242_000, 300_000],
    ]);
    expect(r.body).toMatchObject({ to: t0 + 300_000, truncated: false });
    // a range that starts after the outage began: the state before it is not drawn on
    const later = await get(`/machines/${m}/timeline?from=${t0 + 241_500}&to=${t0 + 3_600_000}`);
    expect(later.body.intervals.map((i: { state: string; from: number }) => [i.state, i.from - t0])).toEqual([['nodata', 241_500], ['idle', 242_000]]);
    const wide = await get(`/machines/${m}/timeline?from=0&to=9000000000000000`);
    expect(wide.status).toBe(400);
  });

  it('filters alarms by severity and records an acknowledgement once: who, when, comment, audited and pushed live', async () => {
    const at = Date.now() - 5000;
    await ingest([{ ...f.alarm('LSR-01', at, 501, true, 'laser source temperature high'), severity: 'warn' } as MachineMessage, f.alarm('LSR-01', at + 1, 502, true, 'door open')]);
    const warn = await get('/alarms?machineId=LSR-01&severity=warn');
    expect(warn.body.active.map((a: { code: number }) => a.code)).toEqual([501]);
    expect(warn.body.history.map((a: { code: number }) => a.code)).toEqual([501]);
    expect((await get('/alarms?severity=loud')).status).toBe(400);
    const supervisor = await t.user('sue', 'supervisor');
    const c = await cookieLogin(url, 'sue', supervisor.password);
    const socket = ioClient(url, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '), origin: url } });
    try {
      await new Promise((resolve) => socket.on('snapshot', resolve));
      const live = new Promise<any>((resolve) => socket.on('alarmAck', resolve));
      const ack = await c.call('POST', '/api/v1/alarms/ack', { body: { machineId: 'LSR-01', code: 502, raisedAt: at + 1, comment: 'door closed, operator informed' } });
      expect(ack.status).toBe(201);
      expect(ack.body).toMatchObject({ machineId: 'LSR-01', code: 502, raisedAt: at + 1, ack: { by: 'sue', comment: 'door closed, operator informed' } });
      expect(await live).toEqual(ack.body);
    } finally {
      socket.close();
    }
    const again = await c.call('POST', '/api/v1/alarms/ack', { body: { machineId: 'LSR-01', code: 502, raisedAt: at + 1, comment: 'twice' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/acknowledged already by sue/);
    expect((await c.call('POST', '/api/v1/alarms/ack', { body: { machineId: 'LSR-01', code: 502, raisedAt: at + 2, comment: '' } })).status).toBe(404);
    const listed = await get('/alarms?machineId=LSR-01');
    expect(listed.body.active.find((a: { code: number }) => a.code === 502).ack).toMatchObject({ by: 'sue', comment: 'door closed, operator informed', at: expect.any(Number) });
    expect(listed.body.active.find((a: { code: number }) => a.code === 501).ack).toBeNull();
    const snapshotAlarm = (await machineOf('LSR-01')).activeAlarms.find((a: { code: number }) => a.code === 502);
    expect(snapshotAlarm.ack.by).toBe('sue');
    const audit = await get('/audit?action=alarm.ack');
    expect(audit.body[0]).toMatchObject({ username: 'sue', action: 'alarm.ack', target: 'LSR-01/502', detail: { raisedAt: at + 1, comment: 'door closed, operator informed' } });
  });

  it('reports OEE with a trend row per production day when asked', async () => {
    const day = (await get(`/calendar/ranges?kind=day&at=${Date.now()}`)).body;
    const r = await get(`/oee?from=${day.previous.from}&to=${day.current.to}&by=day&machineIds=PRS-01`);
    expect(r.status).toBe(200);
    expect(r.body.trend.map((p: { label: string }) => p.label)).toEqual([day.previous.label, day.current.label]);
    expect(Object.keys(r.body.trend[1].machines)).toEqual(['PRS-01']);
    expect(r.body.trend[1].plant).toHaveProperty('availability');
    const tooLong = await get(`/oee?from=${Date.now() - 100 * 86_400_000}&to=${Date.now()}&by=shift`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatch(/more than 93 shifts/);
  });
});
