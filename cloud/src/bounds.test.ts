import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret } from '@plant-twin/runtime';
import { startCloud, type RunningCloud } from './app.js';
import { generateYear } from './bench/oee-year.js';
import { checkpoint, HistoryReads, QueryTimeout, type QueryBounds } from './bounds.js';
import { queryOee } from './oee/query.js';
import { dbKinds, freshDb } from './test-support/db.js';
import { call } from './test-support/http.js';

const plant = loadPlant();
const log = createLogger('bounds-test');
log.level = 'silent';
const edgeToken = 'bounds-edge-token';
const metricsToken = 'bounds-metrics-token';
const day = 86_400_000;
const bounds: QueryBounds = { maxRangeDays: 400, timeoutMs: 60_000, concurrency: 1, queue: 1 };

describe.each(dbKinds)('history query bounds and the ingest time window over HTTP on %s', (kind) => {
  let cloud: RunningCloud;
  let dbClose: () => Promise<void> = async () => undefined;
  let token: string;
  const today = Math.floor(Date.now() / day) * day;
  const get = (path: string) => call('GET', `${cloud.url}/api/v1${path}`, { token, timeoutMs: 120_000 });
  const widest = () => {
    const now = Date.now();
    return `/oee?from=${now - 400 * day}&to=${now}`;
  };

  beforeAll(async () => {
    const config = { port: 0, host: '127.0.0.1', plant, edgeCredentials: { 'edge-1': await hashSecret(edgeToken) }, printAdminPassword: false, metricsToken, queryBounds: bounds, rollupIntervalMs: 3_600_000 };
    if (kind === 'postgres') {
      const probe = await freshDb('postgres');
      await probe.db.destroy();
      cloud = await startCloud({ ...config, databaseUrl: probe.url, dbSchema: probe.schema }, log);
      dbClose = probe.close;
    } else cloud = await startCloud(config, log);
    // two days of the eleven machines at 1 s, not rolled up yet: the OEE query computes them from raw facts
    await generateYear(cloud.db.db, plant, today - 2 * day, today, 2);
    token = (await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: cloud.firstAdminPassword } })).body.token;
    expect(token).toBeTruthy();
  });
  afterAll(async () => {
    await cloud?.close();
    await dbClose();
  });

  it('refuses a too-wide range with 400 naming the bound on every history route, while ingestion keeps flowing', async () => {
    // an edge sends batches back to back all along
    let stop = false, seq = 0, n = 0;
    const acks: { at: number; status: number }[] = [];
    const edge = (async () => {
      while (!stop) {
        const messages: MachineMessage[] = plant.machines.map((m) => ({ v: 1, id: `${m.id}/bounds/${++n}`, machineId: m.id, ts: Date.now(), seq: n, kind: 'counter', goodDelta: 1, scrapDelta: 0, goodTotal: n, scrapTotal: 0 }));
        const r = await call('POST', cloud.url + ingestPath, { body: { v: 1, edgeId: 'edge-1', seq: ++seq, sentAt: Date.now(), messages }, gzip: true, headers: { 'x-edge-id': 'edge-1' }, token: edgeToken });
        acks.push({ at: Date.now(), status: r.status });
      }
    })();
    try {
      const wide = await get('/oee?from=0&to=9000000000000000');
      expect(wide.status).toBe(400);
      expect(wide.body.fields).toEqual([{ path: 'to', message: expect.stringMatching(/maximum of 400 days \(CLOUD_QUERY_MAX_DAYS\)/) }]);
      const tag = plant.machines[0]!.tags[0]!.name;
      for (const path of [`/machines/${plant.machines[0]!.id}/series?tag=${tag}&from=0&to=9000000000000000`, '/alarms?from=0', '/audit?from=0']) {
        const r = await get(path);
        expect(r.status, path).toBe(400);
        expect(JSON.stringify(r.body.fields), path).toMatch(/maximum of 400 days \(CLOUD_QUERY_MAX_DAYS\)/);
      }
      // the widest allowed range: answered, with ingestion acknowledged while it ran
      const start = Date.now();
      const allowed = await get(widest());
      const end = Date.now();
      expect(allowed.status).toBe(200);
      expect(allowed.body.plant.producedQuantity).toBeGreaterThan(0);
      expect(acks.filter((a) => a.at > start && a.at < end).length).toBeGreaterThan(0);
      expect((await call('GET', `${cloud.url}/health/ready`)).status).toBe(200);
    } finally {
      stop = true;
      await edge;
    }
    expect(acks.every((a) => a.status === 200)).toBe(true);
    const stored = await sql<{ n: number }>`select count(*)::int as n from counter_event where ts > ${today}`.execute(cloud.db.db);
    expect(Number(stored.rows[0]!.n)).toBe(n);
  });

  it('answers 503 naming the bound when more history queries come than run and wait', async () => {
    const answers = await Promise.all([get(widest()), get(widest()), get(widest())]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503]);
    expect(answers.find((a) => a.status === 503)!.body.error).toMatch(/1 running, 1 waiting; CLOUD_QUERY_CONCURRENCY, CLOUD_QUERY_QUEUE/);
  });

  it('answers a batch with a message stamped 1970 with 200, quarantined: 1, and counts it in the metric', async () => {
    const m: MachineMessage = { v: 1, id: 'PRS-01/b1970/1', machineId: 'PRS-01', ts: 1000, seq: 1, kind: 'state', state: 'fault', previous: null, quality: 'good' };
    const ok: MachineMessage = { ...m, id: 'PRS-01/b1970/2', seq: 2, ts: Date.now(), state: 'running' };
    const r = await call('POST', cloud.url + ingestPath, { body: { v: 1, edgeId: 'edge-1', seq: 1_000_000, sentAt: Date.now(), messages: [m, ok] }, gzip: true, headers: { 'x-edge-id': 'edge-1' }, token: edgeToken });
    expect(r.body).toEqual({ ack: 1_000_000, duplicate: false, stored: 1, quarantined: 1 });
    const metrics = await call('GET', `${cloud.url}/metrics`, { token: metricsToken });
    expect(metrics.body).toMatch(/cloud_ingest_quarantined_total\{reason="too_old"\} 1/);
    const alarms = await get('/alarms?machineId=PRS-01');
    expect(alarms.body.active.map((a: { code: number }) => a.code)).toContain(9001);
  });

  it('stops a query at the time limit (PostgreSQL statement_timeout; between slices on PGlite) with 503 naming it', async () => {
    // 5 ms: shorter than any OEE query over two raw days of eleven machines (on a quiet machine PostgreSQL
    // answers this one within 100 ms)
    const reads = new HistoryReads(cloud.db.db, { ...bounds, timeoutMs: 5 });
    const oee = reads.run((db, signal) => queryOee(db, cloud.model, { from: today - 2 * day, to: today, useRollups: false, signal }));
    await expect(oee).rejects.toBeInstanceOf(QueryTimeout);
    await expect(oee).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/longer than 5 ms \(CLOUD_QUERY_TIMEOUT_MS\)/) });
    const endless = reads.run(async (db, signal) => {
      for (;;) {
        await checkpoint(signal);
        await (kind === 'postgres' ? sql`select pg_sleep(5)` : sql`select 1`).execute(db);
      }
    });
    await expect(endless).rejects.toBeInstanceOf(QueryTimeout);
    // the gate is free again
    expect(await reads.run(async (db) => (await sql<{ x: number }>`select 1 as x`.execute(db)).rows[0]!.x)).toBe(1);
  });
});
