import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startEdgeBroker } from './broker.js';

// the contract's maxMqttPacketBytes (this package does not depend on the contracts)
const open = { host: '127.0.0.1', auth: 'anonymous', maxPacketBytes: 65 * 1024 } as const;

describe('edge broker', () => {
  it('delivers QoS 1 messages in order between MQTT 3.1.1 clients and closes cleanly', async () => {
    const broker = await startEdgeBroker({ port: 0, ...open });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'sub' });
    const got: number[] = [];
    sub.on('message', (_t, p) => got.push(Number(p.toString())));
    await sub.subscribeAsync('t/#', { qos: 1 });
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'pub' });
    for (let i = 0; i < 200; i++) await pub.publishAsync('t/x', String(i), { qos: 1 });
    await expect.poll(() => got.length).toBe(200);
    expect(got).toEqual([...Array(200).keys()]);
    expect(broker.clients()).toBe(2);
    await pub.endAsync();
    await sub.endAsync();
    await broker.close();
  });
});

describe('edge broker durable sessions', () => {
  const durableSessions = [{ clientId: 'pub', topics: ['t/#'] }];
  const collect = async (url: string) => {
    const got: string[] = [];
    const sub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'pub', clean: false, reconnectPeriod: 0 });
    sub.on('message', (_t, p) => got.push(p.toString()));
    await sub.subscribeAsync('t/#', { qos: 1 });
    return { sub, got };
  };

  it('queues for the durable session from the start, before its client ever connected', async () => {
    const broker = await startEdgeBroker({ port: 0, ...open, durableSessions });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'pod' });
    for (let i = 0; i < 50; i++) await pub.publishAsync('t/x', `early ${i}`, { qos: 1 });
    expect(await broker.queued('pub')).toBe(50);
    const { sub, got } = await collect(url);
    for (let i = 0; i < 50; i++) await pub.publishAsync('t/x', `live ${i}`, { qos: 1 });
    await expect.poll(() => got.length).toBe(100);
    expect(new Set(got).size).toBe(100);
    await expect.poll(() => broker.queued('pub')).toBe(0);
    await pub.endAsync();
    await sub.endAsync();
    await broker.close();
  });

  it('close() disconnects the producers first and lets the durable client take everything it acknowledged to them', async () => {
    const broker = await startEdgeBroker({ port: 0, ...open, durableSessions });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const { sub, got } = await collect(url);
    // a slow consumer: the broker holds a backlog for it when it is told to stop
    sub.removeAllListeners('message');
    sub.on('message', (_t, p) => setTimeout(() => got.push(p.toString()), 1));
    const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'pod', reconnectPeriod: 0 });
    pub.on('error', () => undefined);
    const acked: string[] = [];
    void (async () => {
      // until the closing broker disconnects it: what it has not acknowledged stays with the producer
      for (let i = 0; pub.connected; i++) {
        await pub.publishAsync('t/x', `m ${i}`, { qos: 1 });
        acked.push(`m ${i}`);
      }
    })().catch(() => undefined);
    await expect.poll(() => acked.length, { timeout: 20_000 }).toBeGreaterThan(500);
    await broker.close();
    await expect.poll(() => acked.every((m) => got.includes(m)), { timeout: 10_000 }).toBe(true);
    expect(new Set(got).size).toBe(got.length);
    await pub.endAsync(true);
    await sub.endAsync(true);
  });
});
