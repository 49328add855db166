import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startEdgeBroker } from './broker.js';

describe('edge broker', () => {
  it('delivers QoS 1 messages in order between MQTT 3.1.1 clients and closes cleanly', async () => {
    const broker = await startEdgeBroker({ port: 0, host: '127.0.0.1' });
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
