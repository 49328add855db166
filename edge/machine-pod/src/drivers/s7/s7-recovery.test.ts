import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySite, loadPlant, type Plant, type Site } from '@plant-twin/plant-model';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { ChaosProxy } from '@plant-twin/s7-driver/testing';
import { startMachinePod, type MachinePod } from '../../pod.js';
import { collect, latestByTime, ofKind, quietLog, tempDir, TestBroker, uniquePlantId, waitFor, type Received } from '../../test-support.js';

const token = 'test-token-0123456789';
/** pods started before their PLCs listen (an S7-1500 and an S7-1200) */
const early = ['PRS-01', 'IMM-02'];
/** pods whose links are reset at the same instant mid-run */
const dropped = ['PRS-02', 'IMM-01', 'WLD-01'];
/**
 * How far the simulated PLCs' clocks run behind the pods' (within the 300 s a PLC clock may be off):
 * the plant simulator's clock starts when it begins loading and it then spends seconds starting its
 * faces, so its PLCs say a time behind the wall clock the pods stamp a lost link with.
 */
const plcBehindMs = 20_000;
/** every tag and the state must read good this soon after the link is back */
const recoveryMs = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Recovery after a lost S7 link, read as the cloud and the twin read it (latest by source time): a
 * pod that says the link is lost stamps that with its own clock, and what the PLC says afterwards must
 * never be stamped before it, else the cloud keeps the "bad" for good.
 */
describe('S7 pods recover every value and the state after a lost link', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-s7-recovery');
  const plantId = uniquePlantId('s7rec');
  const pods = new Map<string, MachinePod>();
  const proxies = new Map<string, ChaosProxy>();
  let sim: SimulatedPlant | undefined;
  let plant: Plant;
  let sub: Awaited<ReturnType<typeof collect>>;
  // the simulated plant's clock, moved here (anchored to the wall clock, as the simulator's) so a test
  // can stall it as a starved simulator stalls
  let ticker: NodeJS.Timeout | undefined;
  let stalled = false;
  let stepping = false;

  const of = (id: string): Received[] => sub.messages.filter((r) => r.message.machineId === id);
  /** tags the pod published at all: its first (bad) sample names every sample tag of the map */
  const sampleTags = (id: string) => new Set(ofKind(of(id), 'sample').flatMap((s) => s.values.map((v) => v.name)));
  /** what is not good as the cloud reads it: tags, then `state` */
  const notGood = (id: string) => {
    const { state, values } = latestByTime(of(id), id);
    const bad = [...values].filter(([, v]) => v.quality !== 'good').map(([n]) => n);
    if (state?.quality !== 'good') bad.push(`state (${state?.state ?? 'none'} ${state?.quality ?? ''})`);
    return bad;
  };
  const startPod = async (id: string, port: number) => {
    const machines: Site['machines'] = { [id]: { host: '127.0.0.1', port } };
    const podPlant = applySite(loadPlant(), { version: 1, site: 'recovery-test', machines });
    // the clock guard as main.ts always sets it
    pods.set(id, await startMachinePod({ plant: podPlant, machineId: id, mqttUrl: broker.url, apiToken: token, stateDir: join(root, id), topicPlantId: plantId, log: quietLog(), clock: { scale: 1, maxSkewS: 300, maxAgeH: 168 } }));
  };

  beforeAll(async () => {
    await broker.start();
    sub = await collect(broker.url, plantId);
    const machines: Site['machines'] = {};
    for (const id of [...early, ...dropped]) machines[id] = { host: '127.0.0.1', port: await freePort() };
    plant = applySite(loadPlant(), { version: 1, site: 'recovery-sim', machines });
  });
  afterAll(async () => {
    clearInterval(ticker);
    for (const p of pods.values()) await p.stop();
    for (const p of proxies.values()) await p.close();
    await sim?.stop();
    await sub?.close();
    await broker.stop();
  });

  it('a pod started before its PLC listens (ECONNREFUSED) reads every tag and the state good once the PLC answers', async () => {
    for (const id of early) await startPod(id, machineInterfacePort(plant, id));
    for (const id of early) await expect.poll(() => latestByTime(of(id), id).state?.quality, { timeout: 10_000 }).toBe('bad');
    for (const id of early) expect(notGood(id), `${id}: every tag bad while the PLC is away`).toEqual([...sampleTags(id), 'state (off bad)']);
    // the PLCs come up a few seconds later
    await new Promise((r) => setTimeout(r, 3000));
    const startMs = Date.now() - plcBehindMs;
    sim = await startSimulatedPlant({ plant, machines: [...early, ...dropped], realTime: false, seed: 5, startMs, log: quietLog() });
    const wall0 = performance.now();
    const s = sim;
    ticker = setInterval(() => {
      if (stalled || stepping) return;
      stepping = true;
      void s.step(startMs + Math.round(performance.now() - wall0)).finally(() => (stepping = false));
    }, 50);
    for (const id of early) {
      await expect.poll(() => notGood(id), { timeout: recoveryMs, interval: 250 }).toEqual([]);
      expect(sampleTags(id).size, `${id}: sample tags`).toBeGreaterThan(20);
      expect(pods.get(id)!.ready()).toBe(true);
    }
    expect(sub.invalid).toEqual([]);
  });

  it('pods whose links are reset at the same instant, while the simulator stalls, each recover by themselves', async () => {
    for (const id of dropped) {
      const proxy = await new ChaosProxy({ host: '127.0.0.1', port: machineInterfacePort(plant, id) }).listen();
      proxies.set(id, proxy);
      await startPod(id, proxy.port);
    }
    await waitFor(() => dropped.every((id) => pods.get(id)!.ready()), 20_000, 'pods connected');
    for (const id of dropped) await expect.poll(() => notGood(id), { timeout: recoveryMs, interval: 250 }).toEqual([]);
    const before = new Map(dropped.map((id) => [id, of(id).length]));
    // the simulator is starved (load 40): its PLCs' clocks stand still while the pods' run on, every
    // link is reset at once, refused for a while and comes back; then the simulator catches up
    stalled = true;
    await new Promise((r) => setTimeout(r, 2000));
    for (const p of proxies.values()) {
      p.refuse(true);
      p.dropAll({ reset: true });
    }
    for (const id of dropped) await expect.poll(() => latestByTime(of(id), id).state?.quality, { timeout: 10_000 }).toBe('bad');
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of proxies.values()) p.refuse(false);
    await waitFor(() => dropped.every((id) => pods.get(id)!.ready()), 20_000, 'pods reconnected');
    // a poll or two on the stalled PLCs before the simulator catches up
    await new Promise((r) => setTimeout(r, 500));
    stalled = false;
    for (const id of dropped) {
      await expect.poll(() => notGood(id), { timeout: recoveryMs, interval: 250 }).toEqual([]);
      expect(of(id).length, `${id} published after the reset`).toBeGreaterThan(before.get(id)!);
    }
    expect(sub.invalid).toEqual([]);
  });
});

function machineInterfacePort(plant: Plant, id: string): number {
  const itf = plant.machines.find((m) => m.id === id)!.interface;
  if (itf.type !== 's7') throw new Error(`${id} is not an S7 machine`);
  return itf.port;
}
