import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contractVersion,
  machineTopic,
  plantView,
  type LivePlantEvent,
  type LiveSnapshot,
  type MachineMessage,
  type MachineSnapshot,
} from '@plant-twin/contracts';
import { QosPublisher } from '@plant-twin/mqtt-link';
import { TestBroker } from '@plant-twin/mqtt-link/testing';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { startAndon, type Andon } from './index.js';

const plant = loadPlant();
const log = createLogger('andon-test');
log.level = 'silent';
const deviceToken = 'andon-device-token-of-hall-1';
const metricsToken = 'andon-metrics-token-for-tests';
const twinDir = mkdtempSync(join(tmpdir(), 'andon-twin-'));
mkdirSync(join(twinDir, 'assets'));
writeFileSync(join(twinDir, 'index.html'), '<!doctype html><title>twin</title>');
writeFileSync(join(twinDir, 'assets', 'app-1234.js'), 'console.log(1)');

const until = async <T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = f();
    if (v !== undefined && v !== false) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** A machine pod as seen from the broker: contract messages on its machine's topics, QoS 1, pod status retained. */
class PodLike {
  private seq = 0;
  readonly boot = `b${Date.now()}`;
  constructor(
    private readonly pub: QosPublisher,
    readonly machineId: string,
  ) {}
  async send<K extends MachineMessage['kind']>(kind: K, fields: Omit<Extract<MachineMessage, { kind: K }>, 'v' | 'id' | 'machineId' | 'seq' | 'kind'>): Promise<Extract<MachineMessage, { kind: K }>> {
    const seq = ++this.seq;
    const m = { v: contractVersion, id: `${this.machineId}/${this.boot}/${seq}`, machineId: this.machineId, seq, kind, ...fields } as unknown as Extract<MachineMessage, { kind: K }>;
    await this.pub.publish(this.topic(kind), JSON.stringify(m), { retain: kind === 'pod' });
    return m;
  }
  topic(kind: string): string {
    const m = plant.machines.find((x) => x.id === this.machineId)!;
    return machineTopic({ plantId: plant.plant.id, areaId: m.area, machineId: m.id, kind: kind as MachineMessage['kind'] });
  }
}

describe('edge andon server (aedes, a pod-shaped producer, socket.io)', () => {
  const broker = new TestBroker();
  let andon: Andon;
  let pub: QosPublisher;
  let prs: PodLike;
  const sockets: Socket[] = [];
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${andon.url}${path}`, { headers });
  const signIn = async (token = deviceToken) => fetch(`${andon.url}/api/v1/auth/device`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const sessionCookie = async () => (await signIn()).headers.get('set-cookie')!.split(';')[0]!;
  const socket = (opts: Parameters<typeof connectSocket>[1]) => {
    const s = connectSocket(andon.url, { transports: ['websocket'], reconnection: false, ...opts });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    await broker.start();
    andon = await startAndon({ plant, log, mqtt: { url: broker.url, username: 'andon' }, deviceCredentials: { 'hall-1': await hashSecret(deviceToken) }, twinDir, intervalMs: 100, metricsToken });
    pub = new QosPublisher({ url: broker.url, clientId: 'pod-prs-01', log });
    pub.start();
    await until(() => andon.brokerUp, 'the andon subscribed');
    prs = new PodLike(pub, 'PRS-01');
    await until(() => pub.connected || undefined, 'the pod connected');
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await andon?.close();
    await pub?.end();
    await broker.stop();
  });

  it('binds 127.0.0.1 and wants the device token before anything but the twin\'s files', async () => {
    expect(andon.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get('/api/v1/plant')).status).toBe(401);
    expect(await (await get('/api/v1/auth/me')).json()).toEqual({ error: expect.stringContaining('andon link') });
    const wrong = await signIn('not-the-device-token-at-all');
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: expect.stringContaining('unknown device token') }]);
    expect((await signIn('short')).status).toBe(400);
    const refused = socket({ auth: {} });
    const error = await new Promise<Error>((r) => refused.once('connect_error', r));
    expect(error.message).toMatch(/no andon session/);
    // a forged session is no session
    expect((await get('/api/v1/plant', { cookie: 'pt_session=aGFsbC0x.9999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);
  });

  it('trades the device token for a viewer session: cookie, /auth/me, /plant', async () => {
    const r = await signIn();
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toEqual({ expiresAt: expect.any(Number), user: { username: 'hall-1', role: 'viewer' }, csrfToken: expect.any(String), kind: 'device' });
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^pt_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    expect(await (await get('/api/v1/auth/me', { cookie })).json()).toEqual({ username: 'hall-1', role: 'viewer', expiresAt: expect.any(Number), kind: 'device', csrfToken: expect.any(String) });
    const view = await (await get('/api/v1/plant', { cookie })).json();
    expect(view).toEqual({ ...plantView(plant), serverTime: expect.any(Number) });
    expect((await get('/api/v1/machines', { cookie })).status).toBe(404);
  });

  it('the snapshot equals what the pod published; later messages come as coalesced plant events', async () => {
    const t0 = Date.now() - 60_000;
    const pod = await prs.send('pod', { ts: t0, status: 'online', machineConnected: true });
    const state = await prs.send('state', { ts: t0 + 1000, state: 'running', previous: 'idle', quality: 'good', jobId: 'J-7', partNumber: 'BRK-100' });
    const job = await prs.send('job', { ts: t0 + 2000, jobId: 'J-7', event: 'progress', partNumber: 'BRK-100', quantity: 500, good: 120, scrap: 3 });
    const alarm = await prs.send('alarm', { ts: t0 + 3000, code: 17, text: 'Die lubrication low', severity: 'warn', active: true });
    await prs.send('sample', { ts: t0 + 3500, values: [{ name: 'ram_force', value: 812.5, quality: 'good', ts: t0 + 3500 }] });
    await until(() => andon.board.snapshot().find((m) => m.machineId === 'PRS-01')!.activeAlarms.length > 0 || undefined, 'the alarm on the board');

    const cookie = await sessionCookie();
    const s = socket({ extraHeaders: { cookie } });
    const snapshot = await new Promise<LiveSnapshot>((r) => s.once('snapshot', r));
    expect(snapshot.machines.map((m) => m.machineId)).toEqual(plant.machines.map((m) => m.id));
    const expected: MachineSnapshot = {
      machineId: 'PRS-01',
      status: { machineId: 'PRS-01', state: 'running', quality: 'good', since: state.ts, partNumber: 'BRK-100', jobId: 'J-7', pod: { status: 'online', machineConnected: true, ts: pod.ts }, lastSeen: t0 + 3500, freshness: 'live' },
      job: { jobId: job.jobId, partNumber: job.partNumber, quantity: 500, good: 120, scrap: 3, event: 'progress', ts: job.ts },
      activeAlarms: [{ code: 17, text: alarm.text, severity: 'warn', raisedAt: alarm.ts, ack: null }],
    };
    expect(snapshot.machines.find((m) => m.machineId === 'PRS-01')).toEqual(expected);
    // nothing heard of the others yet: never shown live
    expect(snapshot.machines.find((m) => m.machineId === 'CNC-01')!.status).toMatchObject({ state: null, freshness: 'stale' });

    const events: LivePlantEvent[] = [];
    s.on('plant', (e: LivePlantEvent) => e.machineId === 'PRS-01' && events.push(e));
    await prs.send('counter', { ts: t0 + 4000, goodDelta: 2, scrapDelta: 0, goodTotal: 122, scrapTotal: 3 });
    await prs.send('counter', { ts: t0 + 4100, goodDelta: 1, scrapDelta: 1, goodTotal: 123, scrapTotal: 4 });
    await prs.send('state', { ts: t0 + 5000, state: 'fault', previous: 'running', quality: 'good', alarmCode: 17 });
    await prs.send('alarm', { ts: t0 + 6000, code: 17, text: 'Die lubrication low', severity: 'warn', active: false });
    await until(() => (events.some((e) => e.alarms.some((a) => !a.active)) ? true : undefined), 'the alarm clear as a plant event');
    // the alarm raised before the listener was attached may still come in a coalesced event: only what follows counts
    const merged = events.reduce((acc, e) => ({ counts: { good: acc.counts.good + (e.counts?.good ?? 0), scrap: acc.counts.scrap + (e.counts?.scrap ?? 0) }, state: e.state ?? acc.state, alarms: [...acc.alarms, ...e.alarms.filter((a) => a.ts > alarm.ts)] }), { counts: { good: 0, scrap: 0 }, state: undefined as LivePlantEvent['state'], alarms: [] as LivePlantEvent['alarms'] });
    expect(merged).toEqual({ counts: { good: 3, scrap: 1 }, state: { state: 'fault', quality: 'good', ts: t0 + 5000 }, alarms: [{ code: 17, text: 'Die lubrication low', severity: 'warn', active: false, ts: t0 + 6000 }] });
    // process values go to the machine room only
    expect(events.every((e) => !('values' in e))).toBe(true);
    expect(andon.board.snapshot().find((m) => m.machineId === 'PRS-01')!.activeAlarms).toEqual([]);
  });

  it('a bad message never crashes it: refused, counted, and the next good one is shown', async () => {
    const bad: [string, string | Buffer][] = [
      [prs.topic('state'), 'not json {'],
      [prs.topic('state'), JSON.stringify({ v: contractVersion, kind: 'state', machineId: 'PRS-01' })],
      [prs.topic('job'), JSON.stringify({ v: contractVersion, id: 'x/1/1', machineId: 'PRS-02', seq: 1, ts: 1, kind: 'job', jobId: 'J', event: 'progress', partNumber: 'P', quantity: 1, good: 0, scrap: 0 })],
      [`plant-twin/v1/${plant.plant.id}/press/XXX-99/state`, JSON.stringify({ v: contractVersion })],
      [prs.topic('sample'), Buffer.alloc(70_000, 0x7b)],
      [prs.topic('alarm'), JSON.stringify([1, 2, 3])],
    ];
    for (const [topic, payload] of bad) await pub.publish(topic, payload);
    const now = Date.now();
    await prs.send('state', { ts: now, state: 'idle', previous: 'fault', quality: 'good' });
    await until(() => (andon.board.snapshot().find((m) => m.machineId === 'PRS-01')!.status.state === 'idle' ? true : undefined), 'the good message after the bad ones');
    expect(andon.brokerUp).toBe(true);
    expect((await get('/metrics')).status).toBe(401);
    const metrics = await (await get('/metrics', { authorization: `Bearer ${metricsToken}` })).text();
    const refused = [...metrics.matchAll(/^andon_messages_refused_total\{reason="(\w+)"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[2]), 0);
    expect(refused).toBe(bad.length);
    expect(andon.board.snapshot().find((m) => m.machineId === 'PRS-02')!.job).toBeNull();
  });

  it('serves the built twin with the cloud\'s security headers, and nothing outside it', async () => {
    const page = await get('/andon?device=abc', { accept: 'text/html' });
    expect([page.status, await page.text(), page.headers.get('cache-control')]).toEqual([200, '<!doctype html><title>twin</title>', 'no-cache']);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const asset = await get('/assets/app-1234.js');
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/..%2f..%2f..%2fetc%2fpasswd', { accept: 'text/html' })).headers.get('content-type')).toContain('text/html');
    expect(await (await get('/..%2f..%2f..%2fetc%2fpasswd', { accept: 'text/html' })).text()).not.toContain('root:');
    expect((await get('/health/ready')).status).toBe(200);
  });

  it('serves HTTPS when given a certificate, with Secure session cookies', async () => {
    const tls = await selfSignedTls('localhost');
    const secure = await startAndon({ plant, log, mqtt: { url: broker.url, username: 'andon' }, deviceCredentials: { 'hall-1': await hashSecret(deviceToken) }, twinDir, tls });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const body = JSON.stringify({ token: deviceToken });
        const req = request(`${secure.url}/api/v1/auth/device`, { method: 'POST', ca: tls.cert, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie']) });
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).toBe(200);
      expect(answer.cookie).toMatch(/; Secure$/);
    } finally {
      await secure.close();
    }
  });
});
