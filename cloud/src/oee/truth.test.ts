import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPath } from '@plant-twin/contracts';
import { PlantSim } from '@plant-twin/machine-sim';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret } from '@plant-twin/runtime';
import { startCloud, type RunningCloud } from '../app.js';
import { call } from '../test-support/http.js';
import { oeeDifferences, podMessages, truthOee } from '../test-support/truth.js';

/**
 * Simulator ground truth: a seeded shift of three machines (jobs, changeovers, faults, micro-stops,
 * scrap) recorded by the simulator, published as a pod would (state changes, per-second counters),
 * ingested through the API; the cloud's OEE must match the OEE of the simulator's own record
 * within 0.5 percentage points.
 */
const plant = loadPlant();
const machines = ['PRS-01', 'IMM-01', 'CNC-01'];
// Monday 6 April 2026, early shift 06:00-14:00 Berlin (CEST) = 04:00-12:00 UTC
const shiftStart = Date.UTC(2026, 3, 6, 4);
const shiftEnd = Date.UTC(2026, 3, 6, 12);
const token = 'truth-edge-token';

describe('OEE against the simulator ground truth', () => {
  let cloud: RunningCloud;
  let sim: PlantSim;
  let adminToken: string;

  beforeAll(async () => {
    sim = new PlantSim({ plant, seed: 'oee-truth-1', startMs: shiftStart - 3_600_000, machines });
    const queue: Record<string, { part: string; qty: number }[]> = {};
    for (const id of machines) {
      const parts = plant.machines.find((m) => m.id === id)!.parts;
      queue[id] = [0, 1, 2, 0].map((i) => ({ part: parts[i % parts.length]!.partNumber, qty: Math.ceil((2.5 * 3600) / parts[i % parts.length]!.idealCycleS) }));
    }
    let n = 0;
    // a dispatcher: load the next job whenever a machine has finished its current one
    for (let t = sim.now(); t < shiftEnd + 30 * 60_000; t += 60_000) {
      for (const id of machines) {
        const m = sim.machine(id);
        const job = m.jobView();
        if (job && (job.state === 'completed' || job.state === 'cancelled')) m.clear();
        if (!m.jobView() && queue[id]!.length) {
          const next = queue[id]!.shift()!;
          expect(m.load(`J${++n}`, next.part, next.qty)).toBe('ok');
          m.start();
        }
      }
      sim.advanceTo(t + 60_000);
    }
    const log = createLogger('truth-test');
    log.level = 'silent';
    // a recorded shift replayed later: the accepted window reaches back to it
    const acceptWindow = { pastMs: Date.now() - shiftStart + 86_400_000, futureMs: 300_000 };
    cloud = await startCloud({ port: 0, host: '127.0.0.1', plant, edgeCredentials: { 'edge-t': await hashSecret(token) }, printAdminPassword: false, acceptWindow }, log);
    adminToken = (await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: cloud.firstAdminPassword } })).body.token;
    const messages = machines.flatMap((id) => podMessages(sim.truth, id, sim.now())).sort((a, b) => a.ts - b.ts);
    let seq = 0;
    for (let i = 0; i < messages.length; i += 1000) {
      const r = await call('POST', cloud.url + ingestPath, { body: { v: 1, edgeId: 'edge-t', seq: ++seq, sentAt: Date.now(), messages: messages.slice(i, i + 1000) }, gzip: true, headers: { 'x-edge-id': 'edge-t' }, token });
      expect(r.status).toBe(200);
    }
    await cloud.runRollups();
  });
  afterAll(async () => cloud?.close());

  it('matches the truth within 0.5 percentage points per machine (rolled-up hours and raw edges)', async () => {
    const r = await call('GET', `${cloud.url}/api/v1/oee?from=${shiftStart}&to=${shiftEnd}`, { token: adminToken });
    expect(r.status).toBe(200);
    for (const id of machines) {
      const truth = truthOee(sim.truth, cloud.model, id, shiftStart, shiftEnd, sim.now());
      const got = r.body.machines[id];
      // the scenario must exercise the losses, or matching proves little
      expect(truth.producedQuantity).toBeGreaterThan(50);
      expect(truth.actualUnitSetupTime + truth.actualUnitDownTime).toBeGreaterThan(0);
      expect(got.plannedBusyTime).toBe(truth.plannedBusyTime);
      expect(got.producedQuantity).toBe(truth.producedQuantity);
      expect(oeeDifferences(got, truth, 0.5), id).toEqual([]);
    }
    // an arbitrary sub-range (partial hours at both ends) as well
    const from = shiftStart + 47 * 60_000, to = shiftEnd - 73 * 60_000;
    const part = (await call('GET', `${cloud.url}/api/v1/oee?from=${from}&to=${to}`, { token: adminToken })).body;
    for (const id of machines) expect(oeeDifferences(part.machines[id], truthOee(sim.truth, cloud.model, id, from, to, sim.now()), 0.5), id).toEqual([]);
  });
});
