import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobAgentPaths, type AgentJob } from '@plant-twin/contracts';
import { applySite, loadPlant, type Site } from '@plant-twin/plant-model';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { startMachinePod, type MachinePod } from './pod.js';
import { collect, ofKind, quietLog, tempDir, TestBroker, uniquePlantId, waitFor, type Received } from './test-support.js';

const token = 'test-token-0123456789';
const speed = 600;
const env = { CNC01_SQL_PASSWORD: 'sim-pw-cnc01', CNC02_SQL_PASSWORD: 'sim-pw-cnc02', PNT01_SQL_PASSWORD: 'sim-pw-pnt01' };
const machineIds = ['CNC-01', 'CNC-02', 'PNT-01', 'LSR-01', 'CMM-01', 'EOL-01'];

describe('machine pods against the simulated plant (SQL and file machines)', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-plant');
  const plantId = uniquePlantId('plant');
  let plant: SimulatedPlant;
  const pods = new Map<string, MachinePod>();
  let sub: Awaited<ReturnType<typeof collect>>;
  const of = (machineId: string): Received[] => sub.messages.filter((r) => r.message.machineId === machineId);

  const podPlant = () => {
    const machines: Site['machines'] = {};
    for (const m of plant.machines) {
      if (m.face.kind === 'file') machines[m.id] = { share: m.face.endpoint };
      else {
        const [host, port] = m.face.endpoint.split(':');
        machines[m.id] = { host: host!, port: Number(port), trustServerCertificate: true };
      }
    }
    return applySite(loadPlant(), { version: 1, site: 'sim-test', machines });
  };
  const startPod = (id: string) =>
    startMachinePod({
      plant: podPlant(), machineId: id, mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state', id), topicPlantId: plantId, env, log: quietLog(),
      file: { rescanMs: 200, stableMs: 50, timeScale: 1 / speed, minIdleMs: 1000 }, sql: { pollMs: 100, connectTimeoutMs: 15_000 },
    });
  const api = (id: string, path: string, init: RequestInit = {}) =>
    fetch(`${pods.get(id)!.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const job = async (id: string, jobId: string) => (await (await api(id, jobAgentPaths.job(jobId))).json()) as AgentJob;

  beforeAll(async () => {
    await broker.start();
    sub = await collect(broker.url, plantId);
    plant = await startSimulatedPlant({ machines: machineIds, ephemeralPorts: true, shareRoot: join(root, 'shares'), speed, seed: 7, env, log: quietLog() });
    for (const id of machineIds) pods.set(id, await startPod(id));
    await waitFor(() => [...pods.values()].every((p) => p.ready()), 20_000, 'all pods ready');
  });
  afterAll(async () => {
    for (const p of pods.values()) await p.stop();
    await plant?.stop();
    await sub?.close();
    await broker.stop();
  });

  it('every pod publishes its machine on the right topic with valid messages and a retained online status', async () => {
    for (const m of plant.machines) {
      await expect.poll(() => of(m.id).some((r) => r.message.kind === 'state' && r.message.quality === 'good'), { timeout: 10_000 }).toBe(true);
      const pod = of(m.id).find((r) => r.message.kind === 'pod');
      expect(pod?.message).toMatchObject({ status: 'online' });
      const area = plant.plant.machines.find((x) => x.id === m.id)!.area;
      expect(new Set(of(m.id).map((r) => `${r.topic.plantId}/${r.topic.areaId}`))).toEqual(new Set([`${plantId}/${area}`]));
    }
    for (const id of ['CNC-01', 'CNC-02', 'PNT-01']) await expect.poll(() => ofKind(of(id), 'sample').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(sub.invalid).toEqual([]);
  });

  it('runs a job through the SQL job queue and the file inboxes to good == quantity', async () => {
    const jobs: [string, string, string][] = [['CNC-01', 'SIM-CNC1', 'HUB-7001'], ['PNT-01', 'SIM-PNT1', 'KNC-7101'], ['LSR-01', 'SIM-LSR1', 'HUB-7001'], ['EOL-01', 'SIM-EOL1', 'HSG-3001']];
    for (const [id, jobId, partNumber] of jobs) {
      const r = await api(id, jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId, partNumber, quantity: 4 }) });
      expect(r.status, `${id}: ${await r.clone().text()}`).toBe(201);
    }
    for (const [id, jobId] of jobs) {
      await expect.poll(async () => (await job(id, jobId)).status, { timeout: 30_000 }).toBe('completed');
      const j = await job(id, jobId);
      expect(j.good, id).toBe(4);
      const truth = plant.truth.jobs.find((t) => t.jobId === jobId)!;
      expect([j.good, j.scrap], id).toEqual([truth.good, truth.scrap]);
      expect(ofKind(of(id), 'job').filter((m) => m.jobId === jobId).at(-1)).toMatchObject({ event: 'completed', good: 4 });
    }
    // CMM-01 takes no job files
    expect((await api('CMM-01', jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'X1', partNumber: 'HUB-7001', quantity: 1 }) })).status).toBe(409);
  });

  it('delivers every SQL and file cycle exactly once, in order, matching the ground truth', async () => {
    for (const id of ['CNC-01', 'PNT-01', 'LSR-01', 'EOL-01']) {
      const truth = () => plant.truth.cycles.filter((c) => c.machineId === id).map((c) => Math.round(c.at));
      // the jobs are done and the machines idle: every cycle of the ground truth must arrive
      await expect.poll(() => ofKind(of(id), 'counter').length, { timeout: 15_000 }).toBe(truth().length);
      const seen = ofKind(of(id), 'counter').map((c) => c.ts);
      expect(seen.length, id).toBeGreaterThanOrEqual(4);
      expect(seen, id).toEqual(truth().slice(0, seen.length));
    }
  });

  it('survives a TDS server restart and a share outage without gaps or duplicates', async () => {
    const sql = plant.machine('CNC-02');
    const lsr = plant.machine('LSR-01');
    const dispatch = async (id: string, jobId: string, partNumber: string, quantity: number) =>
      expect((await api(id, jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId, partNumber, quantity }) })).status).toBe(201);
    await dispatch('CNC-02', 'SIM-CNC2', 'HUB-7001', 6);
    await dispatch('LSR-01', 'SIM-LSR2', 'HUB-7001', 12);
    await expect.poll(async () => (await job('CNC-02', 'SIM-CNC2')).good, { timeout: 20_000 }).toBeGreaterThan(0);
    await sql.face.stop();
    const share = lsr.face.endpoint;
    renameSync(share, `${share}.away`);
    await expect.poll(() => ofKind(of('CNC-02'), 'state').at(-1)?.quality, { timeout: 10_000 }).toBe('bad');
    await expect.poll(() => ofKind(of('LSR-01'), 'state').at(-1)?.quality, { timeout: 10_000 }).toBe('bad');
    expect(pods.get('CNC-02')!.ready()).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));
    renameSync(`${share}.away`, share);
    await sql.face.start();
    await expect.poll(() => pods.get('CNC-02')!.ready() && pods.get('LSR-01')!.ready(), { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => (await job('CNC-02', 'SIM-CNC2')).status, { timeout: 30_000 }).toBe('completed');
    await expect.poll(async () => (await job('LSR-01', 'SIM-LSR2')).status, { timeout: 30_000 }).toBe('completed');
    for (const id of ['CNC-02', 'LSR-01']) {
      const truth = plant.truth.cycles.filter((c) => c.machineId === id).map((c) => Math.round(c.at));
      const seen = ofKind(of(id), 'counter').map((c) => c.ts);
      expect(seen, id).toEqual(truth.slice(0, seen.length));
      expect(seen.length, id).toBeGreaterThanOrEqual(truth.length - 2);
    }
    expect(readdirSync(join(lsr.face.endpoint, 'out')).filter((n) => n.endsWith('.csv')).length).toBeLessThanOrEqual(2);
    expect(existsSync(join(lsr.face.endpoint, 'archive'))).toBe(true);
  });

  it('quarantines the damaged files of a faulty share with their reason', async () => {
    const eol = plant.machine('EOL-01');
    eol.face.setFaultRate?.(1);
    const r = await api('EOL-01', jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'SIM-EOL2', partNumber: 'HSG-3001', quantity: 3 }) });
    expect(r.status).toBe(201);
    const qdir = join(eol.face.endpoint, 'quarantine');
    await expect.poll(() => existsSync(qdir) && readdirSync(qdir).some((n) => n.endsWith('.reason.txt')), { timeout: 20_000 }).toBe(true);
    const reason = readdirSync(qdir).find((n) => n.endsWith('.reason.txt'))!;
    expect(readFileSync(join(qdir, reason), 'utf8')).toMatch(/problems:\n {2}(line \d+|element )/);
    eol.face.setFaultRate?.(0);
  });
});
