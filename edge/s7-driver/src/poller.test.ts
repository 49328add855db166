import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TagValue } from '@plant-twin/contracts';
import { loadPlant, parseS7Address, type S7Address } from '@plant-twin/plant-model';
import { S7Connection } from './connection.js';
import { putValue } from './codec.js';
import { S7Poller, type PollReport, type PollerTag } from './poller.js';
import { ChaosProxy } from './testing/chaos-proxy.js';
import { machineImage, startS7Server, type RunningS7Server } from './testing/snap7-server.js';

const plant = loadPlant();
const s7Machines = plant.machines.filter((m) => m.interface.type === 's7');
const clockValue = 1_780_000_000_000;

const servers = new Map<string, RunningS7Server>();
beforeAll(async () => {
  for (const m of s7Machines) servers.set(m.id, await startS7Server(machineImage(m).dbs));
});
afterAll(async () => {
  for (const s of servers.values()) await s.stop();
});

function poller(machine: { tags: readonly PollerTag[] }, port: number, extra: Partial<ConstructorParameters<typeof S7Poller>[0]> = {}, pduSize = 960) {
  const connection = new S7Connection({ host: '127.0.0.1', port, pduSize, backoffBaseMs: 50, backoffMaxMs: 300, connectTimeoutMs: 1000, requestTimeoutMs: 1000 });
  return new S7Poller({ connection, tags: machine.tags, fastMs: 50, slowMs: 200, changeMs: 100, ...extra });
}

const until = async (cond: () => boolean, ms = 4000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Sets a tag's value in the server's DB as the PLC program would. */
function plcWrite(server: RunningS7Server, address: string, value: number | boolean | string) {
  const a = parseS7Address(address) as S7Address;
  const buf = Buffer.from(server.get(a.db));
  putValue(a, buf, value);
  server.set(a.db, buf);
}

describe('S7Poller', () => {
  it('reads every tag of every S7 machine, good and stamped with the PLC clock', async () => {
    for (const m of s7Machines) {
      const img = machineImage(m);
      const p = poller(m, servers.get(m.id)!.port).start();
      const first: TagValue[] = [];
      p.on('values', (v: TagValue[]) => first.push(...v));
      await until(() => first.length >= m.tags.length);
      for (const t of m.tags) {
        const v = p.current().find((x) => x.name === t.name)!;
        expect(v.quality, `${m.id}.${t.name}`).toBe('good');
        expect(v.value, `${m.id}.${t.name}`).toEqual(img.values.get(t.name));
        expect(v.ts).toBe(clockValue);
      }
      await p.stop();
      await p.connection.close();
    }
  });

  it('reports only changes beyond the deadband, and every quality change', async () => {
    const m = s7Machines[0]!; // PRS-01: tonnage DB10,REAL4 deadband 5; slide_position DB10,REAL8 deadband 0
    const server = servers.get(m.id)!;
    const p = poller(m, server.port).start();
    const seen: TagValue[] = [];
    p.on('values', (v: TagValue[]) => seen.push(...v));
    await until(() => seen.length >= m.tags.length);
    const base = p.current().find((v) => v.name === 'tonnage')!.value as number;
    seen.length = 0;
    plcWrite(server, 'DB10,REAL4', base + 3); // inside the deadband
    plcWrite(server, 'DB10,REAL8', 17.25); // no deadband: any change
    await until(() => seen.some((v) => v.name === 'slide_position'));
    await new Promise((r) => setTimeout(r, 150));
    expect(seen.find((v) => v.name === 'tonnage')).toBeUndefined();
    expect(p.current().find((v) => v.name === 'tonnage')!.value).toBe(base + 3); // current() has the latest read
    expect(seen.map((v) => v.name).sort()).toEqual(['slide_position']);
    plcWrite(server, 'DB10,REAL4', base + 5.5); // 5.5 from the last reported value
    await until(() => seen.some((v) => v.name === 'tonnage'));
    expect(seen.find((v) => v.name === 'tonnage')!.value).toBe(base + 5.5);
    plcWrite(server, 'DB10,REAL4', base);
    await p.stop();
    await p.connection.close();
  });

  it('on a dropped connection marks every value bad, reconnects with backoff and resumes', async () => {
    const m = s7Machines[1]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }, { split: true }).listen();
    const p = poller(m, proxy.port).start();
    const events: { up: boolean; error?: string }[] = [];
    p.on('connection', (e) => events.push(e));
    const seen: TagValue[] = [];
    p.on('values', (v: TagValue[]) => seen.push(...v));
    await until(() => p.current().every((v) => v.quality === 'good'));
    proxy.refuse(true);
    proxy.dropAll();
    await until(() => p.current().every((v) => v.quality === 'bad'));
    expect(seen.filter((v) => v.quality === 'bad').length).toBe(m.tags.length);
    const downAt = events.length;
    await new Promise((r) => setTimeout(r, 500)); // several refused attempts: announced once
    expect(events.slice(downAt - 1).filter((e) => !e.up).length).toBe(1);
    expect(p.connection.stats.failedConnects).toBeGreaterThanOrEqual(2);
    proxy.refuse(false);
    await until(() => p.current().every((v) => v.quality === 'good'));
    expect(events.map((e) => e.up)).toEqual([true, false, true]);
    // the proxy destroys both sockets: the PLC's side closes, or resets when data was still in flight
    expect(events[1]!.error).toMatch(/closed|ECONNRESET/);
    await p.stop();
    await p.connection.close();
    await proxy.close();
  });

  it('reports every tag bad (value null) when the PLC is unreachable from the start', async () => {
    const m = s7Machines[0]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }).listen();
    proxy.refuse(true);
    const p = poller(m, proxy.port).start();
    const seen: TagValue[] = [];
    const events: { up: boolean; error?: string }[] = [];
    p.on('values', (v: TagValue[]) => seen.push(...v));
    p.on('connection', (e) => events.push(e));
    await until(() => seen.length >= m.tags.length);
    expect(seen.every((v) => v.quality === 'bad' && v.value === null && v.ts > 0)).toBe(true);
    expect(events).toEqual([{ up: false, error: expect.stringMatching(/closed by the PLC/) }]);
    await p.stop();
    await p.connection.close();
    await proxy.close();
  });

  it('marks values stale when replies are too slow while the link is up', async () => {
    const m = s7Machines[4]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }).listen();
    const connection = new S7Connection({ host: '127.0.0.1', port: proxy.port, requestTimeoutMs: 5000 });
    const p = new S7Poller({ connection, tags: m.tags, fastMs: 50, slowMs: 100, changeMs: 100, staleFactor: 2, minStaleMs: 250 }).start();
    await until(() => p.current().every((v) => v.quality === 'good'));
    proxy.options.delayMs = 900;
    await until(() => p.current().every((v) => v.quality === 'stale'));
    expect(connection.connected).toBe(true);
    proxy.options.delayMs = 0;
    await until(() => p.current().every((v) => v.quality === 'good'));
    await p.stop();
    await connection.close();
    await proxy.close();
  });

  it('writes setpoints on the same connection and refuses read-only tags', async () => {
    const m = s7Machines[2]!;
    const p = poller(m, servers.get(m.id)!.port).start();
    await until(() => p.current().every((v) => v.quality === 'good'));
    const sp = m.tags.find((t) => t.role === 'setpoint')!;
    await p.write(sp.name, 42.5);
    await until(() => p.current().find((v) => v.name === sp.name)!.value === 42.5);
    expect(p.connection.stats.connects).toBe(1);
    await expect(p.write('good_count', 1)).rejects.toThrow(/good_count is not writable/);
    await expect(p.write(sp.name, 'x')).rejects.toThrow(/cannot write "x" as REAL/);
    await p.stop();
    await p.connection.close();
  });

  it('plans the not-due classes into a tick when they cost no extra PDU', async () => {
    const m = s7Machines[2]!;
    const big = poller(m, servers.get(m.id)!.port, {}, 960);
    expect(big.planFor(['fast']).requests.length).toBe(1);
    expect(big.planFor(['fast']).slots.size).toBe(m.tags.length); // the whole map rides along
    const small = poller(m, servers.get(m.id)!.port, {}, 240);
    const fast = small.planFor(['fast']);
    expect(fast.slots.size).toBeLessThan(m.tags.length);
    expect(fast.slots.has('plc_clock')).toBe(true);
    expect(small.planFor(['fast', 'slow', 'change']).slots.size).toBe(m.tags.length);
    small.start();
    const polls: PollReport[] = [];
    small.on('poll', (r: PollReport) => polls.push(r));
    await until(() => polls.length >= 12);
    expect(polls.every((r) => r.ok && r.pdus >= 1)).toBe(true);
    expect(new Set(polls.map((r) => r.class)).size).toBeGreaterThan(1);
    await small.stop();
    await small.connection.close();
  });

  it('names the TIA Portal fix for a DB that is not there, keeps the rest good, and stamps local time without a clock', async () => {
    const tags = [
      { name: 'ok', address: 'DB1,INT0', type: 'int' as const, poll: 'fast' as const },
      { name: 'ghost', address: 'DB77,REAL0', type: 'real' as const, poll: 'fast' as const },
    ];
    const p = poller({ tags }, servers.get(s7Machines[0]!.id)!.port).start();
    const problems: { message: string; tags: string[] }[] = [];
    p.on('problem', (x) => problems.push(x));
    await until(() => problems.length > 0 && p.current().find((v) => v.name === 'ok')!.quality === 'good');
    expect(problems[0]!.tags).toEqual(['ghost']);
    expect(problems[0]!.message).toMatch(/DB77 does not exist.*Optimized block access/);
    expect(p.current().find((v) => v.name === 'ghost')!.quality).toBe('bad');
    const ts = p.current().find((v) => v.name === 'ok')!.ts;
    expect(Math.abs(ts - Date.now())).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 200));
    expect(problems.length).toBe(1); // reported once, not every poll
    await p.stop();
    await p.connection.close();
  });
});

describe('S7Poller with a faulty listener', () => {
  it('turns a throwing listener into a process warning and keeps polling', async () => {
    const m = s7Machines[0]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }).listen();
    const p = poller(m, proxy.port);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    p.on('values', () => {
      throw new Error('listener bug');
    });
    p.on('connection', () => {
      throw new Error('listener bug');
    });
    p.start();
    await until(() => p.stats.polls >= 3 && warnings.length >= 2);
    proxy.dropAll(); // 'down' -> every value bad -> the throwing listeners again, inside socket handlers
    await until(() => p.connection.stats.reconnects === 1 && p.stats.polls >= 6);
    expect(warnings.every((w) => /listener threw: listener bug/.test(w))).toBe(true);
    process.off('warning', onWarning);
    await p.stop();
    await p.connection.close();
    await proxy.close();
  });
});

describe('registerS7Metrics', () => {
  it('exposes poll duration, PDUs, connection state and reconnects', async () => {
    const { Registry } = await import('prom-client');
    const { registerS7Metrics } = await import('./metrics.js');
    const m = s7Machines[3]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }).listen();
    const p = poller(m, proxy.port);
    const registry = new Registry();
    registerS7Metrics(registry, p, m.id);
    p.start();
    await until(() => p.stats.polls >= 3);
    proxy.dropAll();
    await until(() => p.connection.stats.reconnects === 1 && p.connection.connected);
    const text = await registry.metrics();
    expect(text).toMatch(/s7_poll_duration_seconds_count\{machine="IMM-02",class="fast\+change\+slow"\} [1-9]/);
    expect(text).toMatch(/s7_poll_pdus_total\{machine="IMM-02"\} [1-9]/);
    expect(text).toMatch(/s7_connected\{machine="IMM-02"\} 1/);
    expect(text).toMatch(/s7_reconnects_total\{machine="IMM-02"\} 1/);
    await p.stop();
    await p.connection.close();
    await proxy.close();
  });
});
