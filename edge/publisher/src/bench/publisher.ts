import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { startCloud } from '@plant-twin/cloud';
import type { MachineMessage } from '@plant-twin/contracts';
import { startOpenBroker } from '../testing/open-broker.js';
import { defaultPlantFile, loadPlant, type Plant } from '@plant-twin/plant-model';
import { createLogger, hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { spawnPublisher } from '../testing/child.js';
import { startIngestDouble } from '../testing/ingest-double.js';
import { checkDelivery, startProducer } from '../testing/producer.js';
import { startTcpProxy } from '../testing/tcp-proxy.js';

/**
 * Store-and-forward benchmark: the plant's message stream for `outageS` seconds of machine time is
 * published (time-compressed) while the cloud is down, then the cloud comes back and the time to
 * drain the buffer is measured. drain_factor = outage_s / drain_s (how many times faster than the
 * outage lasted the backlog is caught up). Everything is real: aedes over TCP, the publisher program
 * (node dist/main.js) with its fsynced buffer, HTTPS with gzip through a TCP relay (the outage: the
 * relay drops and refuses connections) to either the ingestion double or the real cloud
 * (`cloud: 'real'`: PGlite in memory, or PostgreSQL with `databaseUrl`; its insert speed then bounds
 * the drain). The publisher runs with its defaults, so drain_s includes the wait for its next retry
 * (backoff capped at CLOUD_RETRY_MAX_MS, 10 s). rss_peak_mb is the publisher process's peak RSS (VmHWM).
 */

export interface PublisherBenchFigures {
  cloud: 'double' | 'real';
  outage_s: number;
  /** plant message rate used: one sample per fast-poll period (500 ms) per machine with fast tags, one per 5 s with slow tags */
  plant_msgs_per_s: number;
  samples_during_outage: number;
  lost: number;
  duplicated: number;
  /** machines whose messages reached the cloud out of order (null: the real cloud does not keep arrival order) */
  out_of_order_machines: number | null;
  intake_s: number;
  intake_msgs_per_s: number;
  /** from the cloud being back until it holds every message */
  drain_s: number;
  /** from the cloud being back until the first batch is stored (the sender's backoff); part of drain_s */
  retry_wait_s: number;
  drain_msgs_per_s: number;
  drain_factor: number;
  batches: number;
  buffer_peak_mb: number;
  rss_peak_mb: number;
}

export function plantMessageRate(plant: Plant): number {
  return plant.machines.reduce((sum, m) => sum + (m.tags.some((t) => t.poll === 'fast') ? 2 : 0) + (m.tags.some((t) => t.poll === 'slow') ? 0.2 : 0), 0);
}

interface Sink {
  url: string;
  ca: string;
  /** messages stored */
  stored(): Promise<number>;
  batches(): Promise<number>;
  check(produced: readonly MachineMessage[]): Promise<{ lost: number; duplicated: number; outOfOrder: number | null }>;
  close(): Promise<void>;
}

async function doubleSink(edgeId: string, token: string): Promise<Sink> {
  const cloud = await startIngestDouble({ credentials: { [edgeId]: token } });
  return {
    url: cloud.url,
    ca: cloud.ca!,
    stored: async () => cloud.messages(edgeId).length,
    batches: async () => cloud.batches(edgeId).length,
    check: async (produced) => {
      const c = checkDelivery(produced, cloud.messages(edgeId));
      return { lost: c.lost, duplicated: c.duplicated, outOfOrder: c.outOfOrder.length };
    },
    close: () => cloud.close(),
  };
}

async function realCloudSink(edgeId: string, token: string, plant: Plant, databaseUrl: string | undefined): Promise<Sink> {
  const tls = await selfSignedTls();
  const schema = databaseUrl ? `pub_bench_${Date.now().toString(36)}` : undefined;
  const cloud = await startCloud(
    { port: 0, host: '127.0.0.1', plant, databaseUrl, dbSchema: schema, edgeCredentials: { [edgeId]: await hashSecret(token) }, tls, printAdminPassword: false, rollupIntervalMs: 3_600_000 },
    createLogger('cloud-bench').child({}, { level: 'warn' }),
  );
  const db = cloud.db.db;
  const count = async (table: 'message_seen' | 'edge_batch') => Number((await db.selectFrom(table).select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return {
    url: cloud.url,
    ca: tls.cert,
    stored: () => count('message_seen'),
    batches: () => count('edge_batch'),
    check: async (produced) => {
      const ids = new Set((await db.selectFrom('message_seen').select('id').execute()).map((r) => r.id));
      const sent = await db.selectFrom('edge_batch').select((e) => e.fn.sum<number>('messages').as('n')).where('edge_id', '=', edgeId).executeTakeFirstOrThrow();
      return { lost: produced.filter((m) => !ids.has(m.id)).length, duplicated: Number(sent.n) - produced.length, outOfOrder: null };
    },
    close: async () => {
      if (schema) await sql.raw(`drop schema if exists ${schema} cascade`).execute(db);
      await cloud.close();
    },
  };
}

export async function runPublisherBench(opts: { outageS?: number; plantFile?: string; cloud?: 'double' | 'real'; databaseUrl?: string } = {}): Promise<PublisherBenchFigures> {
  const outageS = opts.outageS ?? 3600;
  const plant = loadPlant(opts.plantFile ?? defaultPlantFile);
  const rate = plantMessageRate(plant);
  const perMachine = Math.round((rate * outageS) / plant.machines.length);
  const dir = await mkdtemp(join(tmpdir(), 'publisher-bench-'));
  const broker = await startOpenBroker();
  const sink = opts.cloud === 'real' ? await realCloudSink('edge-bench', 'bench-token', plant, opts.databaseUrl) : await doubleSink('edge-bench', 'bench-token');
  const link = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(sink.url).port) });
  await writeFile(join(dir, 'ca.pem'), sink.ca);
  const publisher = await spawnPublisher({
    MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
    PLANT_FILE: opts.plantFile ?? defaultPlantFile,
    CLOUD_URL: `https://127.0.0.1:${link.port}`,
    CLOUD_CA_FILE: join(dir, 'ca.pem'),
    EDGE_ID: 'edge-bench',
    EDGE_TOKEN: 'bench-token',
    BUFFER_DIR: join(dir, 'buffer'),
    BUFFER_MAX_MB: '1024',
    PUB_PORT: '0',
  });
  const health = async () => {
    try {
      const r = (await (await fetch(`http://127.0.0.1:${publisher.port}/health/ready`)).json()) as { ready: boolean; detail: { unsentMessages: number; bufferBytes: number } };
      return { ready: r.ready, ...r.detail };
    } catch {
      return { ready: false, unsentMessages: 0, bufferBytes: 0 };
    }
  };
  const producer = await startProducer({ url: `mqtt://127.0.0.1:${broker.port}`, plantId: plant.plant.id, machines: plant.machines.map((m) => ({ id: m.id, area: m.area })), clientId: 'bench-producer' });
  try {
    while (!(await health()).ready) await new Promise((r) => setTimeout(r, 50));
    link.down();
    let peak = 0;
    const sampler = setInterval(() => void health().then((h) => (peak = Math.max(peak, h.bufferBytes))), 200);
    const t0 = performance.now();
    await producer.burst(perMachine, Date.now() - outageS * 1000, (outageS * 1000) / perMachine);
    while ((await health()).unsentMessages < producer.produced.length) await new Promise((r) => setTimeout(r, 20));
    const intakeS = (performance.now() - t0) / 1000;
    // the sender is backing off against the dead cloud: the drain clock starts when the cloud is back
    link.up();
    const t1 = performance.now();
    let firstStoredAt = 0;
    for (let stored = 0; stored < producer.produced.length; stored = await sink.stored()) {
      if (!firstStoredAt && stored > 0) firstStoredAt = performance.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    const drainS = (performance.now() - t1) / 1000;
    clearInterval(sampler);
    const status = await readFile(`/proc/${publisher.child.pid}/status`, 'utf8').catch(() => '');
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const check = await sink.check(producer.produced);
    return {
      cloud: opts.cloud ?? 'double',
      outage_s: outageS,
      plant_msgs_per_s: Math.round(rate * 10) / 10,
      samples_during_outage: producer.produced.length,
      lost: check.lost,
      duplicated: check.duplicated,
      out_of_order_machines: check.outOfOrder,
      intake_s: round(intakeS),
      intake_msgs_per_s: Math.round(producer.produced.length / intakeS),
      drain_s: round(drainS),
      retry_wait_s: round(((firstStoredAt || performance.now()) - t1) / 1000),
      drain_msgs_per_s: Math.round(producer.produced.length / drainS),
      drain_factor: Math.round(outageS / drainS),
      batches: await sink.batches(),
      buffer_peak_mb: round(peak / 1024 / 1024),
      rss_peak_mb: Math.round(hwmKb / 1024),
    };
  } finally {
    await producer.close();
    await publisher.kill('SIGTERM');
    await link.close();
    await sink.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const outageArg = args.indexOf('--outage-s');
  const cloudArg = args.indexOf('--cloud');
  const figures = await runPublisherBench({
    outageS: outageArg >= 0 ? Number(args[outageArg + 1]) : undefined,
    cloud: cloudArg >= 0 && args[cloudArg + 1] === 'real' ? 'real' : 'double',
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  });
  if (args.includes('--json')) console.log(JSON.stringify(figures));
  else for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(24)} ${v}`);
}
