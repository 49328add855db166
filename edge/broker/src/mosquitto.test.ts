import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedTls } from '@plant-twin/runtime';

/**
 * The site's Mosquitto as `npm run edge:secrets` configures it from the plant model (the same
 * derivation as the embedded broker's users and rules): started here on free ports with the
 * generated files, it must accept the generated PBKDF2 passwords and enforce the same rules.
 * (The system Mosquitto on 1883, which allows anonymous clients for other tests, is left alone.)
 */
const cli = fileURLToPath(new URL('../../../packages/supervisor/dist/edge-secrets.js', import.meta.url));
const root = 'plant-twin/v1/plant1';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const listening = async (port: number, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const s = netConnect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (up) return;
    if (Date.now() > end) throw new Error(`Mosquitto did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

let dir: string;
let mosquitto: ChildProcess;
let mosquittoLog = '';
let port: number;
let tlsPort: number;
let ca: string;
let secrets: Record<string, string>;
const clients: MqttClient[] = [];

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
  dir = mkdtempSync(join(tmpdir(), 'mosquitto-site-'));
  [port, tlsPort] = [await freePort(), await freePort()];
  const tls = await selfSignedTls('localhost');
  ca = tls.cert;
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key, { mode: 0o600 });
  const out = join(dir, 'out');
  const args = [cli, '--out', out, '--mqtt-port', String(port), '--tls-port', String(tlsPort), '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--mqtt-user', userInfo().username];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  secrets = Object.fromEntries(readFileSync(join(out, 'secrets.env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  mosquitto = spawn('mosquitto', ['-c', join(out, 'mosquitto', 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  mosquitto.stdout!.on('data', (d) => (mosquittoLog += d));
  mosquitto.stderr!.on('data', (d) => (mosquittoLog += d));
  await listening(port).catch((err: Error) => {
    throw new Error(`${err.message}: ${mosquittoLog}`);
  });
  await listening(tlsPort);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  mosquitto?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connect = async (username?: string, password?: string, extra: mqtt.IClientOptions = {}) => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, clientId: username ?? 'nobody', reconnectPeriod: 0, connectTimeout: 5_000, ...(username ? { username, password } : {}), ...extra });
  clients.push(c);
  c.on('error', () => undefined);
  return c;
};
const as = (user: string, key: string, extra: mqtt.IClientOptions = {}) => connect(user, secrets[key], extra);
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: number }) => err.code);
const settled = (p: Promise<unknown>, ms = 1_000) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
const reading = async (user: string, key: string) => {
  const c = await as(user, key);
  const got: string[] = [];
  c.on('message', (topic, p) => got.push(`${topic} ${p.toString()}`));
  await c.subscribeAsync(`${root}/+/+/+`, { qos: 1 });
  return { c, got };
};

describe('site Mosquitto configured by npm run edge:secrets', () => {
  it('accepts the generated passwords and refuses anonymous clients and wrong passwords', async () => {
    expect(await refusal(connect())).toBe(5);
    expect(await refusal(connect('pod-prs-01', 'wrong password'))).toBe(5);
    expect(await refusal(connect('publisher-plant1-edge', secrets.MQTT_PASSWORD_POD_PRS_01))).toBe(5);
    const pod = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01');
    expect(pod.connected).toBe(true);
    await pod.endAsync();
  });

  it("lets a pod publish on its own machine only and read nothing; the publisher and the andon read everything", async () => {
    const publisher = await reading('publisher-plant1-edge', 'MQTT_PASSWORD_PUBLISHER');
    const andon = await reading('andon', 'MQTT_PASSWORD_ANDON');
    const other = await reading('pod-prs-02', 'MQTT_PASSWORD_POD_PRS_02');
    const pod = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01');
    // Mosquitto acknowledges a refused publish (MQTT 3.1.1 has no negative PUBACK) or drops the connection
    await settled(pod.publishAsync(`${root}/press/PRS-02/alarm`, 'forged', { qos: 1 }));
    await settled(pod.publishAsync(`plant-twin/v1/other-plant/press/PRS-01/state`, 'elsewhere', { qos: 1 }));
    const pod2 = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01');
    await pod2.publishAsync(`${root}/press/PRS-01/state`, 'own', { qos: 1 });
    await expect.poll(() => publisher.got).toEqual([`${root}/press/PRS-01/state own`]);
    await expect.poll(() => andon.got).toEqual([`${root}/press/PRS-01/state own`]);
    // the reader may publish nothing, the pod's subscription gets nothing
    await settled(publisher.c.publishAsync(`${root}/press/PRS-02/counter`, 'from the publisher', { qos: 1 }));
    await pod2.publishAsync(`${root}/press/PRS-01/state`, 'last', { qos: 1 });
    await expect.poll(() => andon.got.length).toBe(2);
    expect(andon.got).toEqual([`${root}/press/PRS-01/state own`, `${root}/press/PRS-01/state last`]);
    expect(other.got).toEqual([]);
  });

  it("ties the client id to the user: a pod cannot take over the publisher's session", async () => {
    const publisher = await as('publisher-plant1-edge', 'MQTT_PASSWORD_PUBLISHER', { clean: false });
    let kicked = false;
    publisher.on('close', () => (kicked = true));
    const pod = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01', { clientId: 'publisher-plant1-edge' });
    await pod.publishAsync(`${root}/press/PRS-01/state`, 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(kicked).toBe(false);
    await publisher.endAsync();
    // leave no session behind
    await (await as('publisher-plant1-edge', 'MQTT_PASSWORD_PUBLISHER', { clean: true })).endAsync();
  });

  it('closes the connection of a packet above the contract bound', async () => {
    const publisher = await reading('publisher-plant1-edge', 'MQTT_PASSWORD_PUBLISHER');
    const pod = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01');
    const closed = new Promise<void>((r) => pod.once('close', () => r()));
    pod.publish(`${root}/press/PRS-01/sample`, Buffer.alloc(1024 * 1024, 'y'), { qos: 1 });
    await closed;
    const pod2 = await as('pod-prs-01', 'MQTT_PASSWORD_POD_PRS_01');
    await pod2.publishAsync(`${root}/press/PRS-01/sample`, 'small', { qos: 1 });
    await expect.poll(() => publisher.got).toEqual([`${root}/press/PRS-01/sample small`]);
  });

  it('serves the same users over TLS', async () => {
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 4, clientId: 'andon', username: 'andon', password: secrets.MQTT_PASSWORD_ANDON, ca, servername: 'localhost', reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(c);
    expect(c.connected).toBe(true);
    await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { protocolVersion: 4, clientId: 'x', ca, servername: 'localhost', reconnectPeriod: 0, connectTimeout: 5_000 })).rejects.toMatchObject({ code: 5 });
  });
});
