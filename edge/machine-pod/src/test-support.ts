import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { parseMachineMessage, parseTopic, type MachineMessage, type TopicParts } from '@plant-twin/contracts';
import { applySite, loadPlant, type Plant, type Site } from '@plant-twin/plant-model';
import { pino } from 'pino';

/** Test support: a real in-process aedes broker that can be stopped and restarted on its port. */
export class TestBroker {
  private server: Server | undefined;
  private aedes: Aedes | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** every PUBLISH the broker took in (from any client), across restarts */
  readonly received: { topic: string; payload: string; retain: boolean }[] = [];

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.aedes = await Aedes.createBroker();
    this.aedes.on('publish', (packet, client) => {
      if (client) this.received.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain });
    });
    const server = createServer(this.aedes.handle);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(this.port, '127.0.0.1', () => r());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.aedes ? this.aedes.close(() => r()) : r()));
    this.server = undefined;
    this.aedes = undefined;
  }
}

export interface Received {
  topic: TopicParts;
  message: MachineMessage;
  retained: boolean;
}

/** Subscribes to a plant's machine topics and keeps every message, failing on any contract violation. */
export async function collect(url: string, plantId: string): Promise<{ messages: Received[]; invalid: string[]; client: MqttClient; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `test-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 200 });
  const messages: Received[] = [];
  const invalid: string[] = [];
  client.on('message', (topic, payload, packet) => {
    const t = parseTopic(topic);
    const m = parseMachineMessage(payload);
    if (!t || !m.ok) invalid.push(`${topic}: ${m.ok ? 'bad topic' : m.error}`);
    else if (t.kind !== m.value.kind || t.machineId !== m.value.machineId) invalid.push(`${topic}: topic does not match message ${m.value.kind}/${m.value.machineId}`);
    else messages.push({ topic: t, message: m.value, retained: packet.retain });
  });
  await client.subscribeAsync(`plant-twin/v1/${plantId}/#`, { qos: 1 });
  return { messages, invalid, client, close: () => client.endAsync() };
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`));

export function testPlant(machines: Site['machines'] = {}): Plant {
  return applySite(loadPlant(), { version: 1, site: 'test', machines });
}

export const quietLog = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const uniquePlantId = (name: string) => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${name}`;

export function ofKind<K extends MachineMessage['kind']>(rs: Received[], kind: K): Extract<MachineMessage, { kind: K }>[] {
  return rs.filter((r) => r.message.kind === kind).map((r) => r.message as Extract<MachineMessage, { kind: K }>);
}

/** Waits until `check` returns true (for hooks, where expect.poll is not allowed). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
