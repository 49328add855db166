import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenBroker } from './testing/open-broker.js';
import { createLogger, selfSignedTls } from '@plant-twin/runtime';
import { BrokerSubscriber } from './subscriber.js';

const log = createLogger('subscriber-test').child({}, { level: 'warn' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function subscriber(url: string, got: { payload: string; release: () => void }[], ca?: string) {
  const s = new BrokerSubscriber({ url, clientId: 'sub-under-test', filter: 't/#', log, ca, onMessage: (_t, p, release) => got.push({ payload: p.toString(), release }) });
  s.start();
  cleanups.push(() => s.close());
  return s;
}

describe('BrokerSubscriber', () => {
  it('sends a PUBACK only when released: an unreleased message comes again on the next connection', async () => {
    const broker = await startOpenBroker();
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const got: { payload: string; release: () => void }[] = [];
    let sub = subscriber(url, got);
    await expect.poll(() => sub.ready).toBe(true);
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'pub' });
    cleanups.push(() => pub.endAsync());
    await pub.publishAsync('t/a', 'one', { qos: 1 });
    await pub.publishAsync('t/a', 'two', { qos: 1 });
    await expect.poll(() => got.length).toBe(2);
    got[0]!.release(); // "one" is durable, "two" is not
    await new Promise((r) => setTimeout(r, 100));
    await sub.close();
    got.length = 0;
    sub = subscriber(url, got);
    await expect.poll(() => got.map((g) => g.payload)).toEqual(['two']);
    got[0]!.release();
    await new Promise((r) => setTimeout(r, 100));
    await sub.close();
    got.length = 0;
    sub = subscriber(url, got);
    await expect.poll(() => sub.ready).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toEqual([]);
  });

  it('connects over TLS (mqtts) trusting a given CA', async () => {
    const pair = await selfSignedTls();
    const aedes = await Aedes.createBroker();
    const server = createServer(pair, aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(async () => {
      await new Promise<void>((r) => aedes.close(() => r()));
      server.close();
    });
    const url = `mqtts://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const got: { payload: string; release: () => void }[] = [];
    const sub = subscriber(url, got, pair.cert);
    await expect.poll(() => sub.ready, { timeout: 10_000 }).toBe(true);
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'tls-pub', ca: pair.cert });
    cleanups.push(() => pub.endAsync());
    await pub.publishAsync('t/secure', 'over tls', { qos: 1 });
    await expect.poll(() => got.map((g) => g.payload)).toEqual(['over tls']);
  });
});
