import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { startEdgeBroker, type EdgeBroker } from './broker.js';
import type { BrokerAcl } from './acl.js';

const root = 'plant-twin/v1/p1';
const acl: BrokerAcl = {
  'pod-prs-01': { publish: [`${root}/press/PRS-01/+`], retain: [`${root}/press/PRS-01/pod`], subscribe: [] },
  reader: { publish: [], retain: [], subscribe: [`${root}/+/+/+`] },
};
const passwords = { 'pod-prs-01': 'pod password 1234', reader: 'reader password 1234' };
const maxPacketBytes = 64 * 1024;

let broker: EdgeBroker;
let url: string;
let ca: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  const tls = await selfSignedTls('localhost');
  ca = tls.cert;
  const credentials = Object.fromEntries(await Promise.all(Object.entries(passwords).map(async ([u, p]) => [u, await hashSecret(p)])));
  broker = await startEdgeBroker({ port: 0, host: '127.0.0.1', tls: { port: 0, ...tls }, auth: { credentials, acl }, maxPacketBytes });
  url = `mqtt://127.0.0.1:${broker.port}`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.close();
});

const connect = async (username?: string, password?: string, extra: mqtt.IClientOptions = {}, at = url) => {
  const c = await mqtt.connectAsync(at, { protocolVersion: 4, clientId: username ?? 'nobody', reconnectPeriod: 0, connectTimeout: 5_000, ...(username ? { username, password } : {}), ...extra });
  clients.push(c);
  c.on('error', () => undefined);
  return c;
};
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: number }) => err.code);
const closed = (c: MqttClient) => new Promise<void>((r) => (c.connected ? c.once('close', () => r()) : r()));
/** the SUBACK's granted QoS (mqtt.js turns 0x80 into an error carrying the packet) */
const granted = (c: MqttClient, filter: string) =>
  c.subscribeAsync(filter, { qos: 1 }).then(
    (g) => g.map((x) => x.qos),
    (err: { packet?: { granted: number[] } }) => err.packet?.granted,
  );
const reader = async () => {
  const c = await connect('reader', passwords.reader);
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  c.on('message', (topic, p, packet) => got.push({ topic, payload: p.toString(), retain: packet.retain }));
  await c.subscribeAsync(`${root}/+/+/+`, { qos: 1 });
  return { c, got };
};

describe('edge broker authentication', () => {
  it('refuses anonymous clients, wrong passwords, unknown users and a client id that is not the user name', async () => {
    expect(await refusal(connect())).toBe(5);
    expect(await refusal(connect('pod-prs-01', 'wrong password'))).toBe(4);
    expect(await refusal(connect('intruder', 'pod password 1234'))).toBe(4);
    expect(await refusal(connect('pod-prs-01', passwords['pod-prs-01'], { clientId: 'publisher-plant1-edge' }))).toBe(2);
    const ok = await connect('pod-prs-01', passwords['pod-prs-01']);
    expect(ok.connected).toBe(true);
    await ok.endAsync();
    // the second login of a user is checked against what the first presented, not taken on trust
    expect(await refusal(connect('pod-prs-01', 'wrong password'))).toBe(4);
  });
});

describe('edge broker logins at once', () => {
  it('lets every program in when all connect together (a broker restart), checking them in turn', async () => {
    const users = Array.from({ length: 16 }, (_, i) => `pod-${i}`);
    const credentials = Object.fromEntries(await Promise.all(users.map(async (u) => [u, await hashSecret(`${u} password`)])));
    const own = await startEdgeBroker({ port: 0, host: '127.0.0.1', auth: { credentials, acl: Object.fromEntries(users.map((u) => [u, { publish: [], retain: [], subscribe: [] }])) }, maxPacketBytes });
    try {
      const at = `mqtt://127.0.0.1:${own.port}`;
      const all = await Promise.all(users.map((u) => connect(u, `${u} password`, {}, at)));
      expect(all.every((c) => c.connected)).toBe(true);
      expect(own.clients()).toBe(users.length);
    } finally {
      await own.close();
    }
  });
});

describe('edge broker authorisation by topic', () => {
  it('lets a pod publish on its own machine only, and not subscribe; the reader reads all and publishes nothing', async () => {
    const r = await reader();
    const pod = await connect('pod-prs-01', passwords['pod-prs-01']);
    await pod.publishAsync(`${root}/press/PRS-01/state`, 'own', { qos: 1 });
    await expect.poll(() => r.got.map((m) => m.payload)).toEqual(['own']);
    // a forged alarm of another machine: no PUBACK, the connection is closed, nobody gets it
    const gone = closed(pod);
    pod.publish(`${root}/press/PRS-02/alarm`, 'forged', { qos: 1 });
    await gone;
    const pod2 = await connect('pod-prs-01', passwords['pod-prs-01']);
    expect(await granted(pod2, `${root}/+/+/+`)).toEqual([128]);
    expect(await granted(r.c, '#')).toEqual([128]);
    const readerGone = closed(r.c);
    r.c.publish(`${root}/press/PRS-01/counter`, 'from the reader', { qos: 1 });
    await readerGone;
    await pod2.publishAsync(`${root}/press/PRS-01/state`, 'after', { qos: 1 });
    const r2 = await reader();
    await pod2.publishAsync(`${root}/press/PRS-01/state`, 'last', { qos: 1 });
    await expect.poll(() => r2.got.map((m) => m.payload)).toEqual(['last']);
    expect(r.got.map((m) => m.payload)).toEqual(['own']);
  });

  it('keeps retained messages to the pod status topic', async () => {
    const pod = await connect('pod-prs-01', passwords['pod-prs-01']);
    await pod.publishAsync(`${root}/press/PRS-01/pod`, 'online', { qos: 1, retain: true });
    const gone = closed(pod);
    pod.publish(`${root}/press/PRS-01/state`, 'retained state', { qos: 1, retain: true });
    await gone;
    const late = await reader();
    await expect.poll(() => late.got).toEqual([{ topic: `${root}/press/PRS-01/pod`, payload: 'online', retain: true }]);
  });
});

describe('edge broker packet size', () => {
  it('closes a connection whose packet is above the bound before reading it, and passes one just below', async () => {
    const r = await reader();
    const pod = await connect('pod-prs-01', passwords['pod-prs-01']);
    const topic = `${root}/press/PRS-01/sample`;
    const below = 'x'.repeat(maxPacketBytes - topic.length - 16);
    await pod.publishAsync(topic, below, { qos: 1 });
    await expect.poll(() => r.got.some((m) => m.topic === topic)).toBe(true);
    const gone = closed(pod);
    pod.publish(topic, Buffer.alloc(20 * 1024 * 1024, 'y'), { qos: 1 });
    await gone;
    expect(r.got.filter((m) => m.topic === topic).map((m) => m.payload.length)).toEqual([below.length]);
  });
});

describe('edge broker TLS listener', () => {
  it('serves MQTT over TLS with the same authentication', async () => {
    const at = `mqtts://127.0.0.1:${broker.tlsPort}`;
    expect(await refusal(connect('pod-prs-01', 'wrong password', { ca, servername: 'localhost' }, at))).toBe(4);
    const c = await connect('reader', passwords.reader, { ca, servername: 'localhost' }, at);
    expect(c.connected).toBe(true);
    // plain MQTT on the TLS port gets no CONNACK, only the end of the connection
    const answer = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const s = netConnect(broker.tlsPort!, '127.0.0.1', () => s.write(Buffer.from([0x10, 0x0c, 0, 4, ...Buffer.from('MQTT'), 4, 2, 0, 30, 0, 0])));
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => undefined);
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    expect(answer[0]).not.toBe(0x20);
  });
});
