import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { request } from 'node:http';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret } from '@plant-twin/runtime';
import { startCloud } from '../app.js';
import { dropSchema } from '@plant-twin/db';

function post(url: string, body: Buffer, token: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length, authorization: `Bearer ${token}`, 'x-edge-id': 'bench-edge' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/**
 * Rows per second through POST /api/v1/ingest with batches like the publisher's: 1000 messages of
 * the eleven machines' process values (each sample message carries the values of one poll), with
 * states and per-second counters mixed in. A row is one stored value, state, counter, alarm, ...
 */
export async function benchIngest(opts: { databaseUrl?: string | undefined; batches?: number } = {}) {
  const plant = loadPlant();
  const log = createLogger('bench');
  log.level = 'warn';
  const token = 'bench-edge-token';
  const schema = `bench_ingest_${process.pid}`;
  const cloud = await startCloud({ port: 0, host: '127.0.0.1', plant, databaseUrl: opts.databaseUrl, dbSchema: schema, edgeCredentials: { 'bench-edge': await hashSecret(token) }, printAdminPassword: false, rollupIntervalMs: 3_600_000 }, log);
  try {
    const batches = opts.batches ?? 60;
    const perBatch = 1000;
    // stamped in the last hours, inside the window the cloud accepts (older messages would be quarantined, not stored)
    const t0 = Date.now() - batches * perBatch * 100 - 60_000;
    let seq = 0, rows = 0, ts = t0;
    const bodies: Buffer[] = [];
    for (let b = 1; b <= batches; b++) {
      const messages: MachineMessage[] = [];
      while (messages.length < perBatch) {
        ts += 100;
        const m = plant.machines[messages.length % plant.machines.length]!;
        const id = `${m.id}/bench/${++seq}`;
        if (seq % 50 === 0) messages.push({ v: 1, id, machineId: m.id, ts, seq, kind: 'state', state: seq % 100 === 0 ? 'running' : 'idle', previous: null, quality: 'good' });
        else if (seq % 10 === 0) messages.push({ v: 1, id, machineId: m.id, ts, seq, kind: 'counter', goodDelta: 1, scrapDelta: 0, goodTotal: seq, scrapTotal: 0 });
        else {
          const values = m.tags.filter((t) => !t.role && t.type !== 'string').slice(0, 10).map((t, i) => ({ name: t.name, value: Math.round((seq % 97) * 10 + i) / 10, quality: 'good' as const, ts }));
          messages.push({ v: 1, id, machineId: m.id, ts, seq, kind: 'sample', values });
        }
        const last = messages[messages.length - 1]!;
        rows += last.kind === 'sample' ? last.values.length : 1;
      }
      bodies.push(gzipSync(JSON.stringify({ v: 1, edgeId: 'bench-edge', seq: b, sentAt: Date.now(), messages })));
    }
    // warm-up batch outside the measurement is the first one
    await post(cloud.url + ingestPath, bodies[0]!, token);
    const s = performance.now();
    const cpu0 = process.cpuUsage();
    for (const body of bodies.slice(1)) {
      const r = await post(cloud.url + ingestPath, body, token);
      if (r.status !== 200 || (JSON.parse(r.text) as { stored: number }).stored !== perBatch) throw new Error(`ingest answered ${r.status} ${r.text}`);
    }
    const seconds = (performance.now() - s) / 1000;
    // CPU time of this process (HTTP client, server and, with PGlite, the database): on a machine
    // shared with other work, rows per CPU second is the figure that does not depend on the load
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const measuredRows = Math.round((rows * (batches - 1)) / batches);
    return {
      ingest_rows_per_s: Math.round(measuredRows / seconds),
      ingest_rows_per_cpu_s: Math.round(measuredRows / cpuSeconds),
      ingest_messages_per_s: Math.round((perBatch * (batches - 1)) / seconds),
      ingest_batch_ms: Math.round((seconds * 1000) / (batches - 1)),
      ingest_db: cloud.db.kind,
      ingest_batch_messages: perBatch,
      ingest_rows_per_batch: Math.round(rows / batches),
    };
  } finally {
    await cloud.close();
    if (opts.databaseUrl) await dropSchema(opts.databaseUrl, schema);
  }
}
