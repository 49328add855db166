import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, openDb, sql, testPostgresUrl } from '@plant-twin/db';
import { createLogger, sleep } from '@plant-twin/runtime';
import { startPlantRun, type PlantRun } from '@plant-twin/supervisor';
import type { CompletedJob, ErpConfirmation } from './verdict.js';

/**
 * The site configuration's job manager: on a PostgreSQL server, in V8's lite mode (the edge's memory
 * budget rests on it, bench:edge). Lite mode has no WebAssembly: a fetch, or a library's first look
 * at fetch's globals, would end the process. ERP orders must still become jobs on the simulated
 * machines and confirmations in the ERP, with the job manager never restarted.
 */
const log = createLogger('site-job-database-test');
log.level = 'warn';
const url = testPostgresUrl();
const schema = `jm_site_${randomBytes(5).toString('hex')}`;
let run: PlantRun;

beforeAll(async () => {
  run = await startPlantRun({ seed: 13, speed: 600, portOffset: 11000, roles: ['simulators', 'erp-sim', 'broker', 'machine-pod', 'job-manager'], jobDb: { url, schema }, log });
  await run.start(180_000);
}, 240_000);
afterAll(async () => {
  await run?.close();
  await dropSchema(url, schema);
}, 60_000);

describe('the job manager on PostgreSQL (site configuration)', () => {
  it('runs in lite mode and turns ERP orders into jobs and confirmations, never restarted', async () => {
    const jm = run.byRole('job-manager');
    const child = run.sup.programs.get(jm.name)!;
    const argv = readFileSync(`/proc/${child.child!.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toContain('--lite-mode');

    let completed: CompletedJob[] = [];
    let confirmations: ErpConfirmation[] = [];
    for (const end = Date.now() + 120_000; Date.now() < end && !(completed.length >= 3 && confirmations.length >= 3); await sleep(1_000)) {
      completed = (await run.http<{ jobs: CompletedJob[] }>(jm, '/api/v1/jobs?status=completed&limit=100')).jobs;
      confirmations = (await run.http<{ confirmations: ErpConfirmation[] }>(run.byRole('erp-sim'), '/api/v1/_sim/confirmations')).confirmations;
    }
    expect(completed.length).toBeGreaterThanOrEqual(3);
    expect(confirmations.length).toBeGreaterThanOrEqual(3);
    expect(child.restarts).toBe(0);

    // the jobs are in the server's schema, not in a PGlite directory
    const db = await openDb({ url, schema, poolSize: 1 });
    try {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where status = 'completed'`.execute(db.db);
      expect(rows[0]!.n).toBeGreaterThanOrEqual(completed.length);
    } finally {
      await db.close();
    }
  }, 180_000);
});
