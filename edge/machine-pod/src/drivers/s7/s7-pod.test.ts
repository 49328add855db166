import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobAgentPaths, type AgentJob } from '@plant-twin/contracts';
import { applySite, loadPlant, type Site } from '@plant-twin/plant-model';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { startMachinePod, type MachinePod } from '../../pod.js';
import { collect, ofKind, quietLog, tempDir, TestBroker, uniquePlantId, waitFor, type Received } from '../../test-support.js';

const token = 'test-token-0123456789';
const machineIds = ['PRS-01', 'PRS-02', 'IMM-01', 'IMM-02', 'WLD-01'];

describe('S7 machine pods against the simulated PLCs', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-s7');
  const plantId = uniquePlantId('s7');
  let plant: SimulatedPlant;
  const pods = new Map<string, MachinePod>();
  let sub: Awaited<ReturnType<typeof collect>>;
  const of = (id: string): Received[] => sub.messages.filter((r) => r.message.machineId === id);
  const api = (id: string, path: string, init: RequestInit = {}) =>
    fetch(`${pods.get(id)!.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const job = async (id: string, jobId: string) => (await (await api(id, jobAgentPaths.job(jobId))).json()) as AgentJob;

  beforeAll(async () => {
    await broker.start();
    sub = await collect(broker.url, plantId);
    plant = await startSimulatedPlant({ machines: machineIds, ephemeralPorts: true, speed: 300, seed: 11, log: quietLog() });
    const machines: Site['machines'] = {};
    for (const m of plant.machines) {
      const [host, port] = m.face.endpoint.split(':');
      machines[m.id] = { host: host!, port: Number(port) };
    }
    const podPlant = applySite(loadPlant(), { version: 1, site: 'sim-test', machines });
    for (const id of machineIds) {
      pods.set(id, await startMachinePod({ plant: podPlant, machineId: id, mqttUrl: broker.url, apiToken: token, stateDir: join(root, id), topicPlantId: plantId, log: quietLog(), s7: { mailboxPollMs: 200 } }));
    }
    await waitFor(() => [...pods.values()].every((p) => p.ready()), 20_000, 'all S7 pods ready');
  });
  afterAll(async () => {
    for (const p of pods.values()) await p.stop();
    await plant?.stop();
    await sub?.close();
    await broker.stop();
  });

  it('reads live values, state and PLC-clock timestamps from every PLC', async () => {
    for (const id of machineIds) {
      await expect.poll(() => ofKind(of(id), 'sample').length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(ofKind(of(id), 'state')[0]).toMatchObject({ quality: 'good' });
      const area = plant.plant.machines.find((m) => m.id === id)!.area;
      expect(new Set(of(id).map((r) => r.topic.areaId))).toEqual(new Set([area]));
    }
    // simulated time runs 300x faster than the wall clock: timestamps come from the PLC clock
    const last = ofKind(of('PRS-01'), 'sample').at(-1)!;
    expect(Math.abs(last.ts - plant.sim.now())).toBeLessThan(60_000 * 5);
    expect(sub.invalid).toEqual([]);
  });

  it('runs jobs through the S7 mailbox on an S7-1500 and an S7-1200 to good == quantity, back to back', async () => {
    for (const [id, part] of [['PRS-01', 'BRK-4411'], ['IMM-01', plant.plant.machines.find((m) => m.id === 'IMM-01')!.parts[0]!.partNumber]] as const) {
      for (const n of [1, 2]) {
        const jobId = `S7-${id}-${n}`;
        const r = await api(id, jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId, partNumber: part, quantity: 3 }) });
        expect(r.status, `${id}: ${await r.clone().text()}`).toBe(201);
        await expect.poll(async () => (await job(id, jobId)).status, { timeout: 30_000 }).toBe('completed');
        const j = await job(id, jobId);
        expect(j.good).toBe(3);
        const truth = plant.truth.jobs.find((t) => t.jobId === jobId)!;
        expect([j.good, j.scrap]).toEqual([truth.good, truth.scrap]);
        const events = () => ofKind(of(id), 'job').filter((m) => m.jobId === jobId).map((m) => m.event);
        await expect.poll(() => events().at(-1)).toBe('completed');
        expect(events().slice(0, 2)).toEqual(['dispatched', 'accepted']);
        const counted = () => ofKind(of(id), 'counter').filter((c) => c.jobId === jobId).reduce((s, c) => s + c.goodDelta + c.scrapDelta, 0);
        await expect.poll(counted).toBe(j.good + j.scrap);
      }
    }
  });

  it('maps a PLC refusal to 409 with a clear message; start, hold, resume, cancel through the mailbox', async () => {
    const part = plant.plant.machines.find((m) => m.id === 'WLD-01')!.parts[0]!.partNumber;
    const r1 = await api('WLD-01', jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'W-1', partNumber: part, quantity: 50, autoStart: false }) });
    expect(r1.status).toBe(201);
    // a second pod that does not know about W-1 (fresh state) meets a PLC with a job loaded
    const other = await startMachinePod({ plant: applySite(loadPlant(), { version: 1, site: 't', machines: { 'WLD-01': { host: '127.0.0.1', port: Number(plant.machine('WLD-01').face.endpoint.split(':')[1]) } } }), machineId: 'WLD-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'WLD-01-other'), topicPlantId: `${plantId}-other`, log: quietLog() });
    await waitFor(() => other.machineConnected(), 10_000, 'second pod connected');
    const r2 = await fetch(`${other.url}${jobAgentPaths.jobs}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ jobId: 'W-2', partNumber: part, quantity: 5 }) });
    expect(r2.status).toBe(409);
    expect(((await r2.json()) as { error: string }).error).toBe('WLD-01 refused job W-2: LOAD: the PLC already has a job loaded or running (LOAD refused)');
    await other.stop();
    // start, hold, resume and cancel through the mailbox
    expect((await api('WLD-01', jobAgentPaths.action('W-1', 'start'), { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await job('WLD-01', 'W-1')).status, { timeout: 20_000 }).toBe('running');
    expect((await api('WLD-01', jobAgentPaths.action('W-1', 'hold'), { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await job('WLD-01', 'W-1')).status, { timeout: 10_000 }).toBe('held');
    expect((await api('WLD-01', jobAgentPaths.action('W-1', 'resume'), { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await job('WLD-01', 'W-1')).status, { timeout: 10_000 }).toBe('running');
    expect((await api('WLD-01', jobAgentPaths.action('W-1', 'cancel'), { method: 'POST' })).status).toBe(200);
    await expect.poll(async () => (await job('WLD-01', 'W-1')).status, { timeout: 10_000 }).toBe('cancelled');
  });

  it('marks quality bad when a PLC goes away and resumes counting when it returns', async () => {
    const prs = plant.machine('PRS-02');
    const r = await api('PRS-02', jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'S7-OUT', partNumber: 'BRK-4411', quantity: 40 }) });
    expect(r.status).toBe(201);
    await expect.poll(async () => (await job('PRS-02', 'S7-OUT')).good, { timeout: 20_000 }).toBeGreaterThan(0);
    await prs.face.stop();
    await expect.poll(() => ofKind(of('PRS-02'), 'state').at(-1)?.quality, { timeout: 10_000 }).toBe('bad');
    expect(pods.get('PRS-02')!.ready()).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    await prs.face.start();
    await expect.poll(() => pods.get('PRS-02')!.ready(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => ofKind(of('PRS-02'), 'state').at(-1)?.quality, { timeout: 10_000 }).toBe('good');
    await expect.poll(async () => (await job('PRS-02', 'S7-OUT')).status, { timeout: 30_000 }).toBe('completed');
    // counters cover the outage: the deltas add up to the job's good parts
    const j = await job('PRS-02', 'S7-OUT');
    expect(j.good).toBe(40);
    const counted = () => ofKind(of('PRS-02'), 'counter').filter((c) => c.jobId === 'S7-OUT').reduce((s, c) => s + c.goodDelta + c.scrapDelta, 0);
    await expect.poll(counted).toBe(j.good + j.scrap);
  });
});
