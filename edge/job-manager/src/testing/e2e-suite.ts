import { join } from 'node:path';
import type { ProductionOrder, ReceivedConfirmation } from '@plant-twin/contracts';
import { startErpSim, type ErpSim } from '@plant-twin/erp-sim';
import { startMachinePod, type MachinePod } from '@plant-twin/machine-pod';
import { startSimulatedPlant, type SimulatedPlant } from '@plant-twin/machine-sim';
import { applySite, loadPlant, type Site } from '@plant-twin/plant-model';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startJobManager, type JobManager } from '../service.js';
import { jobIdOf } from '../sync.js';
import { quietLog } from './fake-agent.js';
import { dbTargets, plant as plantModel, secrets, until, type DbTarget } from './harness.js';

/**
 * End to end with the real parts: S7 machine simulators, real machine pods (S7 driver, job
 * mailbox handshake, job agent API) publishing to Mosquitto, the ERP simulator and the job manager.
 */
const machines = ['PRS-01', 'PRS-02'];
const podToken = 'e2e-pod-token-0123456789';
const speed = 600;

/**
 * One database target per test file: node-snap7 servers started again in a process where others
 * were stopped can crash the process (measured: about every second run), so each file starts the
 * simulated presses once.
 */
export function e2eSuite(targetName: 'pglite' | 'postgres'): void {
  const target = dbTargets().find((t) => t().name === targetName)!;
  describe(`job manager with real machine pods on ${targetName}`, () => {
    let sim: SimulatedPlant | undefined;
    let erp: ErpSim | undefined;
    let jm: JobManager | undefined;
    let db: DbTarget | undefined;
    const pods: MachinePod[] = [];
    let dir = '';
    afterEach(async () => {
      await jm?.close();
      for (const p of pods.splice(0)) await p.stop();
      await sim?.stop();
      await erp?.close();
      await db?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('runs ERP orders on the simulated presses through the pods; confirmations match the simulator truth exactly once across a restart', async () => {
      const log = quietLog();
      dir = mkdtempSync(join(tmpdir(), 'jm-e2e-'));
      sim = await startSimulatedPlant({ machines, ephemeralPorts: true, speed, seed: 11, log });
      const site: Site['machines'] = {};
      for (const m of sim.machines) {
        const [host, port] = m.face.endpoint.split(':');
        site[m.id] = { host: host!, port: Number(port) };
      }
      const podPlant = applySite(loadPlant(), { version: 1, site: 'e2e', machines: site });
      const topicPlantId = `e2e-${process.pid}-${Date.now().toString(36)}`;
      for (const id of machines) pods.push(await startMachinePod({ plant: podPlant, machineId: id, mqttUrl: 'mqtt://127.0.0.1:1883', apiToken: podToken, stateDir: join(dir, id), topicPlantId, host: '127.0.0.1', log }));
      await until('pods ready', () => pods.every((p) => p.ready()), 60_000);

      erp = await startErpSim({ plant: plantModel, log, user: secrets.erpUser, password: secrets.erpPassword, host: '127.0.0.1', generator: { initialOrders: 0, orderIntervalMin: 0, changeIntervalMin: 0 } });
      const basic = `Basic ${Buffer.from(`${secrets.erpUser}:${secrets.erpPassword}`).toString('base64')}`;
      const erpCall = async (method: string, path: string, body?: unknown) =>
        (await (await fetch(erp!.url + path, { method, headers: { authorization: basic, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).json()) as any;
      const orders: ProductionOrder[] = [];
      for (const [quantity, priority] of [[60, 3], [40, 1], [50, 5], [30, 2]] as const) orders.push(await erpCall('POST', '/api/v1/_sim/orders', { partNumber: 'BRK-4411', workCenter: 'press', quantity, priority }));

      db = target();
      await db.prepare();
      const start = () =>
        startJobManager({
          log,
          ...db!.options(),
          apiToken: secrets.apiToken,
          erp: { url: erp!.url, user: secrets.erpUser, password: secrets.erpPassword },
          pods: Object.fromEntries(pods.map((p) => [p.machineId, p.url])),
          podToken,
          host: '127.0.0.1',
          syncMs: 200,
          orchestrateMs: 100,
          outboxMs: 100,
          backoff: { baseMs: 100, maxMs: 1000 },
        });
      const statuses = async () => (await jm!.db.selectFrom('jobs').select(['id', 'status']).execute()).map((j) => j.status);
      jm = await start();
      await until('a first job completed', async () => (await statuses()).includes('completed'), 120_000);
      await jm.close(); // the job manager goes away while the presses keep working
      jm = undefined;
      await new Promise((r) => setTimeout(r, 1000));
      jm = await start();
      await until('all four jobs completed', async () => (await statuses()).filter((s) => s === 'completed').length === 4, 180_000);
      const truth = await until('four confirmations at the ERP', async () => {
        const t = (await erpCall('GET', '/api/v1/_sim/confirmations')) as { confirmations: ReceivedConfirmation[]; duplicatesRejected: number };
        return t.confirmations.length === 4 && t;
      });
      for (const o of orders) {
        const c = truth.confirmations.filter((x) => x.orderId === o.orderId);
        expect(c, o.orderId).toHaveLength(1);
        const real = sim.truth.jobs.filter((j) => j.jobId === jobIdOf(o));
        expect(real, `simulator ran ${jobIdOf(o)} once`).toHaveLength(1);
        expect(c[0]).toMatchObject({ final: true, goodQuantity: real[0]!.good, scrapQuantity: real[0]!.scrap, machineId: real[0]!.machineId });
        expect(real[0]!.good).toBe(o.quantity);
      }
      // the sequence used both eligible presses
      expect(new Set(sim.truth.jobs.map((j) => j.machineId))).toEqual(new Set(machines));
    }, 400_000);
  });
}
