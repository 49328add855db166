import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command, ProductionOrder, StoredPlan } from '@plant-twin/contracts';
import { call, startTestCloud, testEdge, type TestCloud } from '@plant-twin/cloud/testing';
import { startErpSim, type ErpSim } from '@plant-twin/erp-sim';
import { startMachinePod, type MachinePod } from '@plant-twin/machine-pod';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { applySite, loadPlant, type Site } from '@plant-twin/plant-model';
import { checkPlan } from '@plant-twin/scheduler';
import { transition } from '../lifecycle.js';
import { startJobManager, type JobManager } from '../service.js';
import { jobIdOf } from '../sync.js';
import { quietLog } from '../testing/fake-agent.js';
import { dbTargets, secrets, until, type DbTarget } from '../testing/harness.js';

/**
 * A published plan end to end: the cloud plans the job manager's jobs (from its mirror), a planner moves
 * a job, publishes, the job manager applies the schedule.publish command once and its orchestrator then
 * dispatches to the simulated presses (S7 simulators, real machine pods, Mosquitto) in the plan's order,
 * not by its priority rule. A plan naming a job the job manager does not have is refused, with the reason.
 */
const machines = ['PRS-01', 'PRS-02'];
const podToken = 'sched-pod-token-0123456789';

describe('published schedule on the simulated presses', () => {
  let sim: SimulatedPlant | undefined;
  let erp: ErpSim | undefined;
  let jm: JobManager | undefined;
  let db: DbTarget | undefined;
  let t: TestCloud | undefined;
  const pods: MachinePod[] = [];
  let dir = '';
  afterAll(async () => {
    await jm?.close();
    for (const p of pods.splice(0)) await p.stop();
    await sim?.stop();
    await erp?.close();
    await db?.cleanup();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the job manager through the command channel and the machines run the jobs in its order', async () => {
    const log = quietLog();
    dir = mkdtempSync(join(tmpdir(), 'jm-sched-'));
    sim = await startSimulatedPlant({ machines, ephemeralPorts: true, speed: 600, seed: 5, log });
    const site: Site['machines'] = {};
    for (const m of sim.machines) {
      const [host, port] = m.face.endpoint.split(':');
      site[m.id] = { host: host!, port: Number(port) };
    }
    const podPlant = applySite(loadPlant(), { version: 1, site: 'sched', machines: site });
    const topicPlantId = `sched-${process.pid}-${Date.now().toString(36)}`;
    for (const id of machines) pods.push(await startMachinePod({ plant: podPlant, machineId: id, mqttUrl: 'mqtt://127.0.0.1:1883', apiToken: podToken, stateDir: join(dir, id), topicPlantId, host: '127.0.0.1', log }));
    await until('pods ready', () => pods.every((p) => p.ready()), 60_000);

    erp = await startErpSim({ plant: loadPlant(), log, user: secrets.erpUser, password: secrets.erpPassword, host: '127.0.0.1', generator: { initialOrders: 0, orderIntervalMin: 0, changeIntervalMin: 0 } });
    const basic = `Basic ${Buffer.from(`${secrets.erpUser}:${secrets.erpPassword}`).toString('base64')}`;
    const erpCall = async (method: string, path: string, body?: unknown) =>
      (await (await fetch(erp!.url + path, { method, headers: { authorization: basic, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json()) as ProductionOrder;
    const ids: string[] = [];
    for (const [partNumber, quantity, priority] of [['BRK-4411', 300, 2], ['BRK-4412', 250, 7], ['RNF-2201', 200, 4], ['BRK-4411', 200, 9], ['RNF-2201', 150, 1], ['BRK-4412', 300, 5]] as const)
      ids.push(jobIdOf(await erpCall('POST', '/api/v1/_sim/orders', { partNumber, workCenter: 'press', quantity, priority })));

    t = await startTestCloud('postgres', { commandLifetimeMs: 60_000 });
    const url = t.cloud.url;
    const planner = (await t.user('plato', 'planner')).token;
    const api = (method: string, path: string, body?: unknown) => call(method, `${url}/api/v1${path}`, { token: planner, timeoutMs: 60_000, ...(body === undefined ? {} : { body }) });
    db = dbTargets()[1]!();
    await db.prepare();
    // jobs stay planned until the test releases them all at once: nothing runs before the plan is there
    jm = await startJobManager({
      log,
      ...db.options(),
      apiToken: secrets.apiToken,
      erp: { url: erp.url, user: secrets.erpUser, password: secrets.erpPassword },
      pods: Object.fromEntries(pods.map((p) => [p.machineId, p.url])),
      podToken,
      host: '127.0.0.1',
      syncMs: 200,
      orchestrateMs: 100,
      outboxMs: 100,
      autoRelease: false,
      backoff: { baseMs: 100, maxMs: 1000 },
      cloud: { url, edgeId: testEdge.id, token: testEdge.token, pushMs: 100, waitS: 2, backoff: { baseMs: 100, maxMs: 500 } },
    });
    await until('the mirror holds the six planned jobs', async () => (await api('GET', '/jobs?status=planned')).body.total === 6, 60_000);

    const plan = async (path: string, body: unknown) => {
      const r = await api('POST', path, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const full = (await api('GET', `/schedule/plans/${r.body.plan.id}?problem=1`)).body;
      expect(checkPlan(full.problem, full.plan.plan)).toEqual([]);
      return full.plan as StoredPlan;
    };
    const publish = async (p: StoredPlan) => {
      const r = await api('POST', `/schedule/plans/${p.id}/publish`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      return until('the edge answers the publish', async () => {
        const c = (await api('GET', `/commands/${r.body.command.id}`)).body.command as Command;
        return c.status === 'applied' || c.status === 'refused' ? c : null;
      });
    };
    const sequences = (p: StoredPlan) => Object.fromEntries(p.plan.machines.filter((m) => machines.includes(m.machineId)).map((m) => [m.machineId, m.jobs.map((j) => j.jobId)]));

    // a plan with a job this job manager does not have: refused with the reason, nothing changes
    await call('POST', `${url}/api/v1/edge/jobs`, { token: testEdge.token, headers: { 'x-edge-id': testEdge.id }, body: { edgeId: testEdge.id, events: [], jobs: [{ ...(await api('GET', `/jobs/${ids[0]}`)).body.job, id: 'GHOST-1', orderId: 'GHOST' }] } });
    const ghost = await plan('/schedule/plans', { maxTicks: 500 });
    expect(sequences(ghost)['PRS-01']!.concat(sequences(ghost)['PRS-02']!)).toContain('GHOST-1');
    const refused = await publish(ghost);
    expect(refused).toMatchObject({ status: 'refused', reason: expect.stringMatching(/has no job GHOST-1/) });
    const ghostGone = await call('POST', `${url}/api/v1/edge/jobs`, { token: testEdge.token, headers: { 'x-edge-id': testEdge.id }, body: { edgeId: testEdge.id, events: [], jobs: [{ ...(await api('GET', '/jobs/GHOST-1')).body.job, status: 'cancelled', updatedAt: new Date().toISOString() }] } });
    expect(ghostGone.status).toBe(200);

    // the optimiser's plan, then the planner puts the least urgent job first on PRS-01
    const base = await plan('/schedule/plans', { maxTicks: 2000, seed: 2 });
    const last = ids[3]!; // priority 9
    const moved = await plan(`/schedule/plans/${base.id}/move`, { jobId: last, machineId: 'PRS-01', position: 0 });
    const planned = sequences(moved);
    expect(planned['PRS-01']![0]).toBe(last);
    const applied = await publish(moved);
    expect(applied).toMatchObject({ status: 'applied', after: { planId: moved.id, machines: planned } });
    const stored = await jm.db.selectFrom('published_schedule' as never).selectAll().execute();
    expect(Object.fromEntries((stored as { machine_id: string; job_ids: string[] }[]).map((r) => [r.machine_id, r.job_ids]))).toMatchObject(planned);
    // the rule alone would start PRS-01 elsewhere: the test tells the two apart
    const priority = new Map(ids.map((id, i) => [id, [2, 7, 4, 9, 1, 5][i]!]));
    const byRule = [...planned['PRS-01']!].sort((a, b) => priority.get(a)! - priority.get(b)!);
    expect(planned['PRS-01']).not.toEqual(byRule);

    await jm.db.transaction().execute(async (trx) => {
      for (const id of ids) await transition(trx, id, 'released', { actor: 'api', reason: 'released together by the test' });
    });
    await until('the queue the cloud shows follows the plan', async () => (await api('GET', '/machines/PRS-02/queue')).body.sequencer === `published-schedule:${moved.id}`, 30_000);
    const statuses = async () => (await jm!.db.selectFrom('jobs').select(['id', 'status']).where('id', 'in', ids).execute()).map((j) => j.status);
    await until('all six jobs completed', async () => (await statuses()).every((s) => s === 'completed'), 240_000);
    for (const m of machines) {
      const ran = sim.truth.jobs.filter((j) => j.machineId === m).sort((a, b) => a.loadedAt - b.loadedAt).map((j) => j.jobId);
      expect(ran, `${m} ran its jobs in the plan's order`).toEqual(planned[m]);
    }

    // a publish that reaches the edge after its deadline is refused, never applied late
    const late = { ...applied, id: randomUUID(), seq: applied.seq + 1000, status: 'delivered' as const, args: { ...applied.args, machines: { 'PRS-01': [], 'PRS-02': [] } } };
    expect(await jm.cloud!.applier.apply(late, Date.now() - 1)).toMatchObject({ status: 'refused', reason: expect.stringMatching(/expired/) });
    expect((await jm.db.selectFrom('published_schedule' as never).select('job_ids' as never).where('machine_id' as never, '=', 'PRS-01' as never).executeTakeFirst())).toEqual({ job_ids: planned['PRS-01'] });
  }, 400_000);
});
