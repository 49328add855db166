import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySite, loadPlant } from '@plant-twin/plant-model';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { ClockGuard } from './clock-guard.js';
import { startMachinePod, type MachinePod } from './pod.js';
import type { MessageBody } from './publisher.js';
import { collect, ofKind, quietLog, tempDir, TestBroker, uniquePlantId, waitFor } from './test-support.js';

const hour = 3_600_000;
const state = (ts: number): MessageBody => ({ kind: 'state', ts, state: 'running', previous: 'idle', quality: 'good' });

describe('clock guard', () => {
  const wall = () => Date.UTC(2025, 5, 2, 10);
  const live = new ClockGuard({ scale: 1, maxSkewS: 300, maxAgeH: 168, live: true, wall });
  const history = new ClockGuard({ scale: 1, maxSkewS: 300, maxAgeH: 168, live: false, wall });

  it("keeps a machine time within the bound and replaces one beyond it by the pod's, keeping the machine's", () => {
    expect(live.stamp(state(wall() - 299_000))).toEqual(state(wall() - 299_000));
    expect(live.stamp(state(wall() + hour))).toEqual({ ...state(wall()), clock: 'pod', machineTs: wall() + hour });
    expect(live.stamp(state(86_400_000))).toEqual({ ...state(wall()), clock: 'pod', machineTs: 86_400_000 });
    const sample: MessageBody = { kind: 'sample', ts: 0, values: [{ name: 'tonnage', value: 1, quality: 'good', ts: 0 }] };
    expect(live.stamp(sample)).toEqual({ kind: 'sample', ts: wall(), clock: 'pod', machineTs: 0, values: [{ name: 'tonnage', value: 1, quality: 'good', ts: wall() }] });
  });

  it('lets machines that report history report the past, up to maxAgeH, but never the future', () => {
    expect(history.stamp(state(wall() - 5 * hour))).toEqual(state(wall() - 5 * hour));
    expect(history.stamp(state(wall() - 200 * hour))).toMatchObject({ ts: wall(), clock: 'pod' });
    expect(history.stamp(state(wall() + hour))).toMatchObject({ ts: wall(), clock: 'pod' });
  });

  it("follows a simulated plant's clock faster than real time from its origin, the bound in wall seconds", () => {
    const origin = { plantMs: Date.UTC(2025, 5, 3, 6, 30), wallMs: wall() - 60_000 };
    const g = new ClockGuard({ scale: 60, origin, maxSkewS: 300, maxAgeH: 168, live: true, wall });
    const plantNow = origin.plantMs + hour; // one wall minute at 60x
    expect(g.podNow()).toBe(plantNow);
    expect(g.stamp(state(plantNow - 4 * hour))).toEqual(state(plantNow - 4 * hour));
    expect(g.stamp(state(plantNow - 6 * hour))).toMatchObject({ ts: plantNow, clock: 'pod' });
    // faster than real time with no origin: no clock of its own, nothing is judged
    expect(new ClockGuard({ scale: 60, maxSkewS: 300, maxAgeH: 168, live: true }).stamp(state(0))).toEqual(state(0));
  });

  it('leaves what the pod says itself alone', () => {
    const pod: MessageBody = { kind: 'pod', ts: 0, status: 'online', machineConnected: true };
    expect(live.stamp(pod)).toBe(pod);
  });
});

describe('machine pods and PLCs with a wrong clock', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-clock');
  const plantId = uniquePlantId('clock');
  const sims: SimulatedPlant[] = [];
  const pods: MachinePod[] = [];
  let sub: Awaited<ReturnType<typeof collect>>;

  /** a simulated S7 PLC whose clock starts at `startMs` and runs in real time, read by a pod that guards the clock */
  const plcAt = async (machineId: string, startMs: number) => {
    const sim = await startSimulatedPlant({ machines: [machineId], ephemeralPorts: true, speed: 1, startMs, seed: 3, log: quietLog() });
    sims.push(sim);
    const [host, port] = sim.machine(machineId).face.endpoint.split(':');
    const plant = applySite(loadPlant(), { version: 1, site: 'clock-test', machines: { [machineId]: { host: host!, port: Number(port) } } });
    const pod = await startMachinePod({
      plant, machineId, mqttUrl: broker.url, apiToken: 'clock-test-token-0123456789', stateDir: join(root, machineId), topicPlantId: plantId, log: quietLog(),
      clock: { scale: 1, maxSkewS: 300, maxAgeH: 168 },
    });
    pods.push(pod);
  };

  beforeAll(async () => {
    await broker.start();
    sub = await collect(broker.url, plantId);
    await plcAt('PRS-01', Date.UTC(1970, 0, 1, 0, 0, 5)); // its clock battery died
    await plcAt('PRS-02', Date.now() + hour); // set an hour ahead
    await plcAt('WLD-01', Date.now()); // right
    await waitFor(() => pods.every((p) => p.ready()), 20_000, 'pods ready');
  });
  afterAll(async () => {
    for (const p of pods) await p.stop();
    for (const s of sims) await s.stop();
    await sub?.close();
    await broker.stop();
  });

  it("stamps the messages of a PLC at 1970 or an hour ahead with the pod's time, marked, and keeps a right one's", async () => {
    const of = (id: string) => sub.messages.filter((r) => r.message.machineId === id && r.message.kind !== 'pod').map((r) => r.message);
    for (const id of ['PRS-01', 'PRS-02', 'WLD-01']) await expect.poll(() => ofKind(sub.messages.filter((r) => r.message.machineId === id), 'state').length, { timeout: 10_000 }).toBeGreaterThan(0);
    const now = Date.now();
    for (const [id, machineTs] of [['PRS-01', Date.UTC(1970, 0, 1)], ['PRS-02', now + hour]] as const) {
      for (const m of of(id)) {
        expect(m, id).toMatchObject({ clock: 'pod' });
        expect(Math.abs(m.ts - now), `${id} ${m.kind} stamped near the pod's time`).toBeLessThan(30_000);
        expect(Math.abs(m.machineTs! - machineTs), `${id} ${m.kind} keeps what the PLC said`).toBeLessThan(60_000);
        if (m.kind === 'sample') for (const v of m.values) expect(Math.abs(v.ts - now)).toBeLessThan(30_000);
      }
    }
    for (const m of of('WLD-01')) {
      expect(m.clock).toBeUndefined();
      expect(Math.abs(m.ts - now)).toBeLessThan(30_000);
    }
    expect(sub.invalid).toEqual([]);
  });
});
