import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOpenBroker } from './testing/open-broker.js';
import { machineTopic } from '@plant-twin/contracts';
import { encodeRecord } from './segment-log.js';
import { startPublisher, type Publisher, type PublisherConfig } from './publisher.js';
import { startIngestDouble, type IngestDouble } from './testing/ingest-double.js';
import { checkDelivery, startProducer } from './testing/producer.js';

const machines = [
  { id: 'PRS-01', area: 'press' },
  { id: 'IMM-01', area: 'moulding' },
  { id: 'CNC-01', area: 'machining' },
];
const edgeId = 'edge-test';
const token = 'test-token-123';

let dir: string;
let broker: Awaited<ReturnType<typeof startOpenBroker>>;
let cloud: IngestDouble;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'publisher-'));
  broker = await startOpenBroker();
  cloud = await startIngestDouble({ credentials: { [edgeId]: token } });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await cloud.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

const metricsToken = 'publisher-metrics-token-for-tests';
const metricsOf = async (p: Publisher) => (await fetch(`http://127.0.0.1:${p.port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();

async function publisher(over: Partial<PublisherConfig> = {}): Promise<Publisher> {
  const p = await startPublisher({
    mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
    plantId: 'plant1',
    machineIds: machines.map((m) => m.id),
    cloudUrl: cloud.url,
    cloudCa: cloud.ca,
    edgeId,
    edgeToken: token,
    bufferDir: dir,
    bufferMaxBytes: 64 * 1024 * 1024,
    port: 0,
    host: '127.0.0.1',
    metricsToken,
    backoffBaseMs: 50,
    backoffMaxMs: 300,
    batchLingerMs: 20,
    onFatal: (err) => {
      throw err;
    },
    ...over,
  });
  let closed = false;
  const close = p.close;
  p.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(() => p.close());
  await expect.poll(() => p.stats().brokerConnected, { timeout: 10_000 }).toBe(true);
  return p;
}

async function producer(clientId = 'producer') {
  const p = await startProducer({ url: `mqtt://127.0.0.1:${broker.port}`, plantId: 'plant1', machines, clientId });
  cleanups.push(() => p.close());
  return p;
}

describe('publisher (in process, aedes, HTTPS ingestion double)', () => {
  it('forwards every message once, in order, and serves health and metrics', async () => {
    const pub = await publisher();
    const prod = await producer();
    await prod.burst(400);
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 20_000 }).toBe(prod.produced.length);
    const check = checkDelivery(prod.produced, cloud.messages(edgeId));
    expect(check).toMatchObject({ lost: 0, duplicated: 0, altered: 0, outOfOrder: [] });
    expect(check.arrivedChecksum).toBe(check.producedChecksum);
    expect(cloud.stats).toMatchObject({ conflicts: 0, gaps: 0, rejected: 0, unauthorized: 0 });
    expect(cloud.batches(edgeId).map((b) => b.seq)).toEqual([...Array(cloud.batches(edgeId).length).keys()].map((i) => i + 1));

    // the cloud stores a batch before its answer reaches the publisher
    const health = async () => {
      const r = await fetch(`http://127.0.0.1:${pub.port}/health/ready`);
      return { status: r.status, ...((await r.json()) as { detail: { unsentMessages: number; ackedSeq: number } }).detail };
    };
    await expect.poll(health, { timeout: 10_000 }).toMatchObject({ status: 200, ackedSeq: cloud.batches(edgeId).length, unsentMessages: 0 });
    const metrics = await metricsOf(pub);
    expect(metrics).toMatch(new RegExp(`publisher_messages_sent_total ${prod.produced.length}\\b`));
    expect(metrics).toMatch(/publisher_buffer_messages 0\b/);
    expect(metrics).toMatch(/publisher_oldest_unsent_age_seconds 0\b/);
  });

  it('dead-letters bad messages (counted, logged, kept) without stopping', async () => {
    const pub = await publisher();
    const raw = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, clientId: 'raw' });
    const topic = (machineId: string, kind: 'sample' | 'state') => machineTopic({ plantId: 'plant1', areaId: 'press', machineId, kind });
    await raw.publishAsync(topic('PRS-01', 'sample'), 'not json {', { qos: 1 });
    await raw.publishAsync(topic('PRS-01', 'sample'), JSON.stringify({ v: 1, id: 'x', machineId: 'PRS-01', ts: 1, seq: 0, kind: 'sample', values: [{ name: 't', value: 1, quality: 'perfect', ts: 1 }] }), { qos: 1 });
    // valid message, but for a machine that is not in the plant
    await raw.publishAsync(topic('XYZ-99', 'state'), JSON.stringify({ v: 1, id: 'XYZ-99/b/0', machineId: 'XYZ-99', ts: 1, seq: 0, kind: 'state', state: 'idle', previous: null, quality: 'good' }), { qos: 1 });
    await raw.publishAsync(topic('PRS-01', 'sample'), Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await raw.endAsync();
    const prod = await producer();
    await prod.burst(5);
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 10_000 }).toBe(prod.produced.length);
    expect(pub.stats().bad).toBe(4);
    const lines = (await readFile(join(dir, 'dead-letter.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { error: string; payload?: string; payloadBase64?: string });
    expect(lines).toHaveLength(4);
    expect(lines[0]!.error).toMatch(/not JSON/);
    expect(lines[1]!.error).toMatch(/values\[0\]\.quality/);
    expect(lines[2]!.error).toMatch(/XYZ-99 is not in plant plant1/);
    expect(lines[3]!.payloadBase64).toBe(Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
    const metrics = await metricsOf(pub);
    expect(metrics).toMatch(/publisher_bad_messages_total 4\b/);
  });

  it('keeps data on disk through a cloud outage and a restart, and resends the batch journalled before it', async () => {
    await cloud.down();
    let pub = await publisher();
    const prod = await producer();
    await prod.burst(300);
    await expect.poll(() => pub.stats().unsentMessages, { timeout: 10_000 }).toBe(prod.produced.length);
    expect(pub.stats().cloudReachable).toBe(false);
    const ready = await (await fetch(`http://127.0.0.1:${pub.port}/health/ready`)).json();
    expect(ready).toMatchObject({ ready: true, detail: { cloudReachable: false, unsentMessages: prod.produced.length } });
    const metrics = await metricsOf(pub);
    expect(Number(/publisher_oldest_unsent_age_seconds ([\d.e-]+)/.exec(metrics)![1])).toBeGreaterThan(0);
    expect(Number(/publisher_batches_retried_total (\d+)/.exec(metrics)![1])).toBeGreaterThan(0);
    await pub.close();
    const restartedAt = Date.now();
    // restart with the cloud still down, more data, then the cloud comes back
    pub = await publisher();
    await prod.burst(100);
    await cloud.up();
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 20_000 }).toBe(prod.produced.length);
    const check = checkDelivery(prod.produced, cloud.messages(edgeId));
    expect(check).toMatchObject({ lost: 0, duplicated: 0, altered: 0, outOfOrder: [] });
    await expect.poll(() => pub.stats().unsentMessages).toBe(0);
    // batch 1 was cut (and journalled) before the restart and went out unchanged after it
    expect(cloud.batches(edgeId)[0]!.sentAt).toBeLessThan(restartedAt);
    expect(cloud.stats).toMatchObject({ conflicts: 0, gaps: 0, rejected: 0 });
  });

  it('with a tiny buffer bound applies back-pressure instead of dropping, and loses nothing once the cloud returns', async () => {
    await cloud.down();
    const maxBytes = 96 * 1024;
    const pub = await publisher({ bufferMaxBytes: maxBytes, batchMaxMessages: 100 });
    const prod = await producer();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, pub.stats().bufferBytes)), 5);
    cleanups.push(async () => clearInterval(sampler));
    // ~1,000 messages of ~500 bytes: several times the bound
    const burst = prod.burst(350);
    await expect.poll(() => pub.stats().backpressure, { timeout: 10_000 }).toBe(true);
    expect(pub.stats().alarm).toBe(true);
    const health = await (await fetch(`http://127.0.0.1:${pub.port}/health/ready`)).json();
    expect(health).toMatchObject({ ready: true, detail: { backpressure: true, alarm: true } });
    // the broker holds the rest: the publisher stops taking more
    const taken = pub.stats().received;
    await new Promise((r) => setTimeout(r, 300));
    expect(pub.stats().received).toBe(taken);
    expect(taken).toBeLessThan(prod.produced.length);
    await cloud.up();
    await burst;
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 30_000 }).toBe(prod.produced.length);
    clearInterval(sampler);
    expect(checkDelivery(prod.produced, cloud.messages(edgeId))).toMatchObject({ lost: 0, duplicated: 0, altered: 0, outOfOrder: [] });
    // one record may land past the bound when it is crossed; never more than one record
    expect(peak).toBeLessThanOrEqual(maxBytes + 1024);
    await expect.poll(() => pub.stats().backpressure).toBe(false);
    await expect.poll(() => pub.stats().alarm).toBe(false);
  });

  it('recovers from a torn record at the end of a segment: the rest arrives intact, the torn one never', async () => {
    await cloud.down();
    let pub = await publisher();
    const prod = await producer();
    await prod.burst(50);
    await expect.poll(() => pub.stats().unsentMessages, { timeout: 10_000 }).toBe(prod.produced.length);
    await pub.close();
    // what a power loss in the middle of a write leaves: the start of a record
    const segment = (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort().at(-1)!;
    const torn = encodeRecord(Buffer.from(JSON.stringify({ ...prod.produced[0], id: 'torn/never/1' })), Date.now());
    await appendFile(join(dir, segment), torn.subarray(0, torn.length - 5));
    await cloud.up();
    pub = await publisher();
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 20_000 }).toBe(prod.produced.length);
    expect(checkDelivery(prod.produced, cloud.messages(edgeId))).toMatchObject({ lost: 0, duplicated: 0, altered: 0, outOfOrder: [] });
    expect(cloud.messages(edgeId).some((m) => m.id === 'torn/never/1')).toBe(false);
    // and it goes on taking new messages after the cut
    await prod.burst(5);
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 10_000 }).toBe(prod.produced.length);
  });

  it('keeps a batch the cloud refuses as invalid on the edge and goes on with the next', async () => {
    const pub = await publisher({ batchLingerMs: 0, batchMaxMessages: 10 });
    cloud.setRejector((b) => (b.messages.some((m) => m.machineId === 'CNC-01' && m.seq === 3) ? 'messages[2].values: unknown tag (stricter contract)' : null));
    const prod = await producer();
    await prod.burst(10);
    await expect.poll(() => pub.stats().received === prod.produced.length && pub.stats().unsentMessages === 0, { timeout: 20_000 }).toBe(true);
    const rejected = (await readFile(join(dir, 'rejected-batches.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; error: string; messages: { id: string }[] });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.error).toMatch(/stricter contract/);
    // every message is either stored in the cloud or kept in the rejected batch, once
    const arrived = cloud.messages(edgeId);
    const kept = rejected[0]!.messages.map((m) => m.id);
    expect(kept).toContain(prod.produced.find((m) => m.machineId === 'CNC-01' && m.seq === 3)!.id);
    expect(new Set([...arrived.map((m) => m.id), ...kept]).size).toBe(prod.produced.length);
    expect(arrived.length + kept.length).toBe(prod.produced.length);
    expect(cloud.stats.gaps).toBe(1);
    const metrics = await metricsOf(pub);
    expect(metrics).toMatch(/publisher_batches_rejected_total 1\b/);
  });
});
