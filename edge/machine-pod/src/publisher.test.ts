import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxMessageBytes, parseMachineMessage, type MachineMessage } from '@plant-twin/contracts';
import { machineById, loadPlant } from '@plant-twin/plant-model';
import { Registry } from 'prom-client';
import { createPodMetrics } from './metrics.js';
import { Publisher } from './publisher.js';
import { collect, quietLog, tempDir, TestBroker, uniquePlantId, waitFor } from './test-support.js';

const machine = machineById(loadPlant(), 'PRS-01');
function publisher(url: string, stateDir: string, plantId: string, bootId: string, extra: { maxQueueBytes?: number; registry?: Registry } = {}) {
  const metrics = createPodMetrics(extra.registry ?? new Registry(), machine.id);
  return new Publisher({ url, machineId: machine.id, areaId: machine.area, plantId, bootId, stateDir, log: quietLog(), metrics, machineConnected: () => true, maxQueueBytes: extra.maxQueueBytes });
}
const sample = (i: number) => ({ kind: 'sample' as const, ts: 1_700_000_000_000 + i, values: [{ name: 'tonnage', value: i, quality: 'good' as const, ts: 1_700_000_000_000 + i }] });
const parsed = (payloads: string[]) => payloads.map((p) => parseMachineMessage(p)).map((r) => (r.ok ? r.value : null)).filter((m): m is MachineMessage => m !== null);

describe('publisher outbox', () => {
  const root = tempDir('pod-pub');
  const brokers: TestBroker[] = [];
  afterAll(async () => {
    for (const b of brokers) await b.stop();
  });

  it('queues what is accepted while the broker is down and delivers it in order on reconnect', async () => {
    const broker = await new TestBroker().start();
    brokers.push(broker);
    const plantId = uniquePlantId('pub');
    const pub = publisher(broker.url, join(root, 'a'), plantId, 'boot1');
    pub.start();
    await waitFor(() => pub.connected(), 15_000, 'connected');
    const first = Array.from({ length: 50 }, (_, i) => pub.publish(sample(i), { durable: true }));
    await Promise.all(first);
    // aedes emits 'publish' after it has sent the PUBACK: let it record the first 50 before it goes
    await waitFor(() => broker.received.filter((r) => r.topic.endsWith('/sample')).length >= 50, 15_000, 'broker saw the first 50');
    await broker.stop();
    await waitFor(() => !pub.connected(), 15_000, 'disconnected');
    let acked = 0;
    const during = Array.from({ length: 150 }, (_, i) => pub.publish(sample(50 + i), { durable: true }).then(() => acked++));
    expect(pub.queueDepth()).toBe(150);
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toBe(0);
    await broker.start();
    await Promise.all(during);
    // aedes emits 'publish' after it has sent the PUBACK
    await waitFor(() => broker.received.filter((r) => r.topic.endsWith('/sample')).length >= 200, 15_000, 'broker saw all');
    const values = parsed(broker.received.filter((r) => r.topic.endsWith('/sample')).map((r) => r.payload)).map((m) => (m.kind === 'sample' ? m.values[0]!.value : null));
    const want = Array.from({ length: 200 }, (_, i) => i);
    expect(values).toEqual(want);
    expect(pub.queueDepth()).toBe(0);
    await pub.stop();
  });

  it('bounds the queue by the size of its messages: beyond it samples are dropped and counted, events still accepted', async () => {
    const broker = await new TestBroker().start();
    brokers.push(broker);
    const port = broker.port;
    await broker.stop();
    const registry = new Registry();
    const plantId = uniquePlantId('bound');
    const pub = publisher(`mqtt://127.0.0.1:${port}`, join(root, 'bound'), plantId, 'bootQ', { maxQueueBytes: 4_000 });
    const accepted = Array.from({ length: 100 }, (_, i) => pub.publish(sample(i), { durable: true }));
    const kept = pub.queueDepth();
    // a sample's text here is ~170 characters: the bound holds about 24 of them, the rest are dropped
    expect(kept).toBeGreaterThanOrEqual(15);
    expect(kept).toBeLessThanOrEqual(35);
    const state = pub.publish({ kind: 'state', ts: 500, state: 'idle', previous: null, quality: 'good' }, { durable: true });
    expect(pub.queueDepth()).toBe(kept + 1);
    pub.release();
    await pub.stop();
    const settled = await Promise.allSettled([...accepted, state]);
    // dropped samples resolve at once; the kept ones and the state wait for a broker that never came
    expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(kept + 1);
    const counted = publisher(`mqtt://127.0.0.1:${port}`, join(root, 'bound2'), plantId, 'bootR', { maxQueueBytes: 1_000, registry });
    for (let i = 0; i < 10; i++) void counted.publish(sample(i), { durable: false }).catch(() => undefined);
    const dropped = (await registry.getSingleMetric('pod_messages_dropped_total')!.get()).values[0]!.value;
    expect(dropped).toBe(10 - counted.queueDepth());
    expect(dropped).toBeGreaterThan(0);
    counted.release();
    await counted.stop();
  });

  it('never makes a message above the contract bound: a large sample goes out as several, in order', async () => {
    const broker = await new TestBroker().start();
    brokers.push(broker);
    const pub = publisher(broker.url, join(root, 'split'), uniquePlantId('split'), 'bootS');
    pub.start();
    await waitFor(() => pub.connected(), 15_000, 'connected');
    // 200 values of 1000 characters: ~210 KB of text, beyond the 64 KiB bound
    const values = Array.from({ length: 200 }, (_, i) => ({ name: `text_${i}`, value: 'x'.repeat(1000), quality: 'good' as const, ts: 1 }));
    await pub.publish({ kind: 'sample', ts: 1, values }, { durable: true });
    const names = () => parsed(broker.received.filter((r) => r.topic.endsWith('/sample')).map((r) => r.payload)).flatMap((m) => (m.kind === 'sample' ? m.values : []));
    await waitFor(() => names().length === values.length, 15_000, 'every value at the broker');
    const sent = broker.received.filter((r) => r.topic.endsWith('/sample'));
    expect(sent.length).toBeGreaterThanOrEqual(4);
    for (const r of sent) expect(Buffer.byteLength(r.payload)).toBeLessThanOrEqual(maxMessageBytes);
    const messages = parsed(sent.map((r) => r.payload));
    expect(messages.flatMap((m) => (m.kind === 'sample' ? m.values.map((v) => v.name) : []))).toEqual(values.map((v) => v.name));
    // consecutive seqs: no gap for the cloud to wonder about
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => messages[0]!.seq + i));
    await pub.stop();
  });

  it('keeps durable messages on disk across a pod restart and sends them with their original ids', async () => {
    const broker = await new TestBroker().start();
    brokers.push(broker);
    const port = broker.port;
    await broker.stop();
    const stateDir = join(root, 'b');
    const plantId = uniquePlantId('pub');
    const a = publisher(`mqtt://127.0.0.1:${port}`, stateDir, plantId, 'bootA');
    a.start();
    void a.publish(sample(1), { durable: true });
    void a.publish(sample(2), { durable: true });
    void a.publish({ kind: 'state', ts: 5, state: 'idle', previous: null, quality: 'good' }, { durable: false });
    await a.stop(); // the pod goes away with the broker unreachable
    await broker.start();
    const b = publisher(broker.url, stateDir, plantId, 'bootB');
    b.start();
    await waitFor(() => broker.received.filter((r) => r.topic.endsWith('/sample')).length === 2, 15_000, 'replay');
    const replayed = parsed(broker.received.filter((r) => r.topic.endsWith('/sample')).map((r) => r.payload));
    expect(replayed.map((m) => m.id)).toEqual(['PRS-01/bootA/1', 'PRS-01/bootA/2']);
    // the non-durable one came from a source the driver reads again; it is not replayed
    expect(broker.received.some((r) => r.topic.endsWith('/state'))).toBe(false);
    await b.stop();
  });

  it('publishes through Mosquitto with a retained online status, retained offline on stop', async () => {
    const plantId = uniquePlantId('mosq');
    const sub = await collect('mqtt://127.0.0.1:1883', plantId);
    const pub = publisher('mqtt://127.0.0.1:1883', join(root, 'c'), plantId, 'bootM');
    pub.start();
    await pub.publish(sample(7), { durable: true });
    await waitFor(() => sub.messages.some((r) => r.message.kind === 'sample'), 15_000, 'sample via mosquitto');
    await waitFor(() => sub.messages.some((r) => r.message.kind === 'pod'), 15_000, 'pod status');
    expect(sub.messages.find((r) => r.message.kind === 'pod')?.message).toMatchObject({ status: 'online', machineConnected: true });
    await pub.stop();
    await waitFor(() => sub.messages.filter((r) => r.message.kind === 'pod').length === 2, 15_000, 'offline status');
    expect(sub.messages.filter((r) => r.message.kind === 'pod').at(-1)!.message).toMatchObject({ status: 'offline' });
    // a late subscriber sees the retained status
    const late = await collect('mqtt://127.0.0.1:1883', plantId);
    await waitFor(() => late.messages.length > 0, 15_000, 'retained');
    expect(late.messages[0]).toMatchObject({ retained: true, message: { kind: 'pod', status: 'offline' } });
    expect(sub.invalid).toEqual([]);
    // clean up the retained topic on the shared broker
    await sub.client.publishAsync(pub.topic('pod'), '', { retain: true, qos: 1 });
    await sub.close();
    await late.close();
  });
});
