import { createServer, type AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NotAcknowledged, QosPublisher } from './index.js';
import { TestBroker } from './testing.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const unique = () => `mqtt-link-test/${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('QosPublisher', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  function publisherOn(url: string, extra: Partial<ConstructorParameters<typeof QosPublisher>[0]> = {}) {
    let ups = 0;
    let downs = 0;
    const pub = new QosPublisher({ url, clientId: `qos-${Math.random().toString(36).slice(2)}`, log, onConnect: () => ups++, onDisconnect: () => downs++, ...extra });
    pub.start();
    cleanup.push(() => pub.end());
    return { pub, counts: () => ({ ups, downs }) };
  }

  it.each([
    ['aedes (embedded)', 'aedes'],
    ['Mosquitto', 'mqtt://127.0.0.1:1883'],
  ])('delivers QoS 1 messages in order to %s, each promise settled by its PUBACK; retained ones stay', async (_name, where) => {
    let url = where;
    if (where === 'aedes') {
      const b = await new TestBroker().start();
      cleanup.push(() => b.stop());
      url = b.url;
    }
    const topic = unique();
    const sub = await mqtt.connectAsync(url, { clean: true });
    cleanup.push(() => sub.endAsync());
    const got: string[] = [];
    sub.on('message', (t, p) => t === `${topic}/data` && got.push(p.toString()));
    await sub.subscribeAsync(`${topic}/#`, { qos: 1 });
    const { pub } = publisherOn(url);
    await until('connected', () => pub.connected);
    const sent = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((m) => pub.publish(`${topic}/data`, m)));
    await pub.publish(`${topic}/status`, 'online', { retain: true });
    await until('all 500 at the subscriber', () => got.length === 500);
    expect(got).toEqual(sent);
    const late = await mqtt.connectAsync(url, { clean: true });
    cleanup.push(() => late.endAsync());
    const retained = new Promise<string>((r) => late.on('message', (_t, p, packet) => packet.retain && r(p.toString())));
    await late.subscribeAsync(`${topic}/status`, { qos: 1 });
    expect(await retained).toBe('online');
    await pub.publish(`${topic}/status`, '', { retain: true }); // leave no retained message on the shared broker
  });

  it('rejects while not connected and when the broker goes away before the PUBACK; reconnects when it returns', async () => {
    const b = await new TestBroker().start();
    cleanup.push(() => b.stop());
    const { pub, counts } = publisherOn(b.url);
    await expect(pub.publish('t/x', 'too early')).rejects.toBeInstanceOf(NotAcknowledged);
    await until('connected', () => pub.connected);
    await pub.publish('t/x', 'first');
    await b.stop();
    await until('disconnected', () => !pub.connected);
    expect(counts()).toEqual({ ups: 1, downs: 1 });
    await expect(pub.publish('t/x', 'while away')).rejects.toThrow(/not acknowledged by the broker: not connected/);
    await b.start(); // same port
    await until('reconnected', () => pub.connected, 15_000);
    await pub.publish('t/x', 'after');
    expect(counts()).toEqual({ ups: 2, downs: 1 });
    expect(b.received.filter((r) => r.topic === 't/x').map((r) => r.payload)).toEqual(['first', 'after']);
  });

  it('gives up a connection whose CONNACK never comes and tries again', async () => {
    let attempts = 0;
    const silent = createServer((s) => {
      attempts++;
      s.on('error', () => undefined);
      s.resume(); // reads (and drops) the CONNECT, so it sees the client close
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => silent.close(r)));
    const warnings: string[] = [];
    const spy = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    const { pub } = publisherOn(`mqtt://127.0.0.1:${(silent.address() as AddressInfo).port}`, { log: spy, connectTimeoutMs: 300 });
    await until('a second attempt', () => attempts >= 2, 5_000);
    expect(pub.connected).toBe(false);
    expect(warnings).toContain('mqtt connect timeout');
  });
});
