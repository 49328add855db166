import { performance } from 'node:perf_hooks';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret } from '@plant-twin/runtime';
import { startCloud } from '../app.js';
import { dropSchema } from '@plant-twin/db';
import { call } from '../test-support/http.js';
import { generateYear } from './oee-year.js';

const dayMs = 86_400_000;

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** Latencies of ingest batches and of /health/ready, sent back to back for `ms`, while `load` runs (if any). */
async function measure(url: string, token: string, ms: number, nextBatch: () => unknown, load?: () => Promise<void>) {
  const ingest: number[] = [], health: number[] = [];
  let oee = 0, oeeMs = 0;
  const end = performance.now() + ms;
  const timed = async <T>(into: number[], f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const r = await f();
    into.push(performance.now() - s);
    return r;
  };
  const ingestLoop = async () => {
    while (performance.now() < end) {
      const r = await timed(ingest, () => call('POST', url + ingestPath, { body: nextBatch(), gzip: true, headers: { 'x-edge-id': 'bench-edge' }, token }));
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  };
  const healthLoop = async () => {
    while (performance.now() < end) {
      await timed(health, () => call('GET', `${url}/health/ready`));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loadLoop = async () => {
    while (load && performance.now() < end) {
      const s = performance.now();
      await load();
      oee++;
      oeeMs += performance.now() - s;
    }
  };
  await Promise.all([ingestLoop(), healthLoop(), loadLoop()]);
  return { ingest, health, oee, oeeMs };
}

/**
 * What one expensive (but allowed) history query does to everyone else: ingest batch latency and
 * /health/ready latency, first alone, then while `GET /oee` over a generated year runs again and
 * again. The last `unrolledDays` days of the year are raw facts only (the rollup job behind), so the
 * query computes them from the raw 1 s facts: the widest work an allowed request can ask for.
 */
export async function benchContention(opts: { databaseUrl?: string | undefined; days?: number; unrolledDays?: number; seconds?: number; probeTooWide?: boolean } = {}) {
  const plant = loadPlant();
  const log = createLogger('bench');
  log.level = 'warn';
  const edgeToken = 'bench-edge-token';
  const schema = `bench_contention_${process.pid}`;
  const cloud = await startCloud(
    { port: 0, host: '127.0.0.1', plant, databaseUrl: opts.databaseUrl, dbSchema: schema, edgeCredentials: { 'bench-edge': await hashSecret(edgeToken) }, printAdminPassword: false, rollupIntervalMs: 3_600_000 },
    log,
  );
  try {
    const year0 = Date.UTC(2025, 0, 1);
    const year1 = year0 + (opts.days ?? 365) * dayMs;
    const unrolledDays = opts.unrolledDays ?? 7;
    await generateYear(cloud.db.db, plant, year0, year1, unrolledDays);
    const login = await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password: cloud.firstAdminPassword } });
    const session = login.body.token as string;

    // batches as a publisher sends them between two polls: 100 messages of samples, states and counters, stamped now
    let seq = 0, batchSeq = 0;
    const nextBatch = () => {
      const messages: MachineMessage[] = [];
      for (let i = 0; i < 100; i++) {
        const m = plant.machines[i % plant.machines.length]!;
        const id = `${m.id}/contention/${++seq}`, ts = Date.now();
        if (seq % 10 === 0) messages.push({ v: 1, id, machineId: m.id, ts, seq, kind: 'counter', goodDelta: 1, scrapDelta: 0, goodTotal: seq, scrapTotal: 0 });
        else {
          const values = m.tags.filter((t) => !t.role && t.type !== 'string').slice(0, 10).map((t, k) => ({ name: t.name, value: (seq % 97) + k, quality: 'good' as const, ts }));
          messages.push({ v: 1, id, machineId: m.id, ts, seq, kind: 'sample', values });
        }
      }
      return { v: 1, edgeId: 'bench-edge', seq: ++batchSeq, sentAt: Date.now(), messages };
    };
    const ms = (opts.seconds ?? 10) * 1000;
    const oeeUrl = `${cloud.url}/api/v1/oee?from=${year0}&to=${year1}`;
    let lastStatus = 0;
    const oee = async () => {
      lastStatus = (await call('GET', oeeUrl, { token: session, timeoutMs: 600_000 })).status;
    };
    const cpu0 = process.cpuUsage();
    const alone = await measure(cloud.url, edgeToken, ms, nextBatch);
    const loaded = await measure(cloud.url, edgeToken, ms, nextBatch, oee);
    const cpu = process.cpuUsage(cpu0);
    // the request of issue 15 (from 1970 to the year 287,000): refused at once, or (before the bound) minutes of work
    const s = performance.now();
    const tooWide = opts.probeTooWide === false ? undefined : await call('GET', `${cloud.url}/api/v1/oee?from=0&to=9000000000000000`, { token: session, timeoutMs: 600_000 });
    const tooWideMs = performance.now() - s;
    return {
      contention_db: cloud.db.kind,
      contention_oee_days: (year1 - year0) / dayMs,
      contention_oee_unrolled_days: unrolledDays,
      contention_oee_queries: loaded.oee,
      contention_oee_query_ms: loaded.oee ? Math.round(loaded.oeeMs / loaded.oee) : null,
      contention_oee_last_status: lastStatus,
      contention_ingest_p50_ms_alone: pct(alone.ingest, 50),
      contention_ingest_p99_ms_alone: pct(alone.ingest, 99),
      contention_ingest_p50_ms_under_oee: pct(loaded.ingest, 50),
      contention_ingest_p99_ms_under_oee: pct(loaded.ingest, 99),
      contention_ingest_batches_alone: alone.ingest.length,
      contention_ingest_batches_under_oee: loaded.ingest.length,
      contention_health_p99_ms_alone: pct(alone.health, 99),
      contention_health_p99_ms_under_oee: pct(loaded.health, 99),
      contention_health_max_ms_under_oee: pct(loaded.health, 100),
      contention_cpu_s: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      ...(tooWide ? { contention_too_wide_status: tooWide.status, contention_too_wide_ms: Math.round(tooWideMs) } : {}),
    };
  } finally {
    await cloud.close();
    if (opts.databaseUrl) await dropSchema(opts.databaseUrl, schema);
  }
}
