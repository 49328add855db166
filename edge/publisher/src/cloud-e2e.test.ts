import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type CloudConfig, type RunningCloud } from '@plant-twin/cloud';
import type { SampleMessage } from '@plant-twin/contracts';
import { testPostgresUrl } from '@plant-twin/db';
import { startOpenBroker } from './testing/open-broker.js';
import { defaultPlantFile, loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { spawnPublisher, testPublisherEnv, type PublisherProcess } from './testing/child.js';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';
import { startProducer, type Producer } from './testing/producer.js';

// The real cloud (cloud/, HTTPS, PostgreSQL 15 in a schema of its own) instead of the ingestion double.
const plant = loadPlant(defaultPlantFile);
const edgeId = 'edge-cloud-e2e';
const token = randomBytes(18).toString('base64url');
const schema = `pub_e2e_${randomBytes(5).toString('hex')}`;

let dir: string;
let broker: Awaited<ReturnType<typeof startOpenBroker>>;
let cloud: RunningCloud | null = null;
let cloudConfig: CloudConfig;
/** the publisher reaches the cloud through it, so a restarted cloud may listen on a new port */
let cloudLink: TcpProxy;
let producer: Producer | undefined;
const children: PublisherProcess[] = [];
const log = createLogger('cloud-e2e').child({}, { level: 'warn' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'publisher-cloud-'));
  broker = await startOpenBroker();
  const tls = await selfSignedTls();
  await writeFile(join(dir, 'ca.pem'), tls.cert);
  cloudConfig = {
    port: 0,
    host: '127.0.0.1',
    plant,
    databaseUrl: testPostgresUrl(),
    dbSchema: schema,
    edgeCredentials: { [edgeId]: await hashSecret(token) },
    tls,
    printAdminPassword: false,
    rollupIntervalMs: 3_600_000,
  };
  cloud = await startCloud(cloudConfig, log);
  cloudLink = await startTcpProxy({ host: '127.0.0.1', port: cloud.port });
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill('SIGKILL');
  await producer?.close();
  cloud ??= await startCloud(cloudConfig, log);
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(cloud.db.db);
  await cloud.close();
  await cloudLink.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<PublisherProcess> {
  const p = await spawnPublisher(testPublisherEnv({ mqttUrl: `mqtt://127.0.0.1:${broker.port}`, plantFile: defaultPlantFile, cloudUrl: `https://127.0.0.1:${cloudLink.port}`, caFile: join(dir, 'ca.pem'), edgeId, token, dir }));
  children.push(p);
  await expect.poll(() => p.ready(), { timeout: 15_000 }).toBe(true);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** names the step when the shared PostgreSQL (migrations, locks) or a restart stalls */
async function within<T>(ms: number, step: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${step}: no result within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
const sampleKey = (machineId: string, tag: string, ts: number, value: unknown, quality: string) => JSON.stringify([machineId, tag, ts, value, quality]);

// child processes and restarts: generous on a loaded CI machine (about 20-30 s alone)
describe('publisher program against the real cloud', () => {
  it('stores every message once through a cloud restart and publisher SIGKILLs', async () => {
    let pub = await start();
    producer = await startProducer({ url: `mqtt://127.0.0.1:${broker.port}`, plantId: plant.plant.id, machines: plant.machines.map((m) => ({ id: m.id, area: m.area })), clientId: 'cloud-e2e-producer' });
    producer.run(50);
    await sleep(1_000);
    // the cloud goes away; the publisher is killed while it is away and comes back before it
    await within(20_000, 'closing the cloud', cloud!.close());
    cloud = null;
    await sleep(700);
    await pub.kill('SIGKILL');
    pub = await start();
    await sleep(500);
    cloud = await within(30_000, 'restarting the cloud', startCloud(cloudConfig, log));
    cloudLink.retarget(cloud.port);
    // killed again while the backlog drains
    await sleep(300);
    await pub.kill('SIGKILL');
    pub = await start();
    await sleep(500);
    producer.pause();
    await within(20_000, 'producer flush', producer.flush());

    const db = cloud.db.db;
    const produced = producer.produced;
    await expect
      .poll(async () => Number((await db.selectFrom('message_seen').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), { timeout: 30_000, interval: 250 })
      .toBe(produced.length);
    const batches = await db.selectFrom('edge_batch').select(['seq', 'messages', 'stored']).where('edge_id', '=', edgeId).orderBy('seq').execute();
    // each message went out in exactly one batch seq, and every batch was stored whole
    expect(batches.reduce((s, b) => s + Number(b.messages), 0)).toBe(produced.length);
    expect(batches.reduce((s, b) => s + Number(b.stored), 0)).toBe(produced.length);
    expect(batches.map((b) => Number(b.seq))).toEqual(batches.map((_, i) => i + 1));
    const ids = new Set((await db.selectFrom('message_seen').select('id').execute()).map((r) => r.id));
    expect(produced.filter((m) => !ids.has(m.id))).toEqual([]);
    // content: every sample value as the producer made it
    const want = produced
      .filter((m): m is SampleMessage => m.kind === 'sample')
      .flatMap((m) => m.values.map((v) => sampleKey(m.machineId, v.name, v.ts, v.value, v.quality)))
      .sort();
    const rows = await db.selectFrom('sample').select(['machine_id', 'tag', 'ts', 'num', 'txt', 'quality']).execute();
    const got = rows.map((r) => sampleKey(r.machine_id, r.tag, Number(r.ts), r.txt ?? (r.num === null ? null : Number(r.num)), r.quality)).sort();
    expect(got).toEqual(want);
    const counters = await db.selectFrom('counter_event').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(counters.n)).toBe(produced.filter((m) => m.kind === 'counter').length);
    expect(await pub.kill('SIGTERM')).toBe(0);
  }, 150_000);
});
