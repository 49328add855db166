import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parseMachineMessage, parseTopic, type MachineMessage, type StateMessage, type TagValue, type TopicParts } from '@plant-twin/contracts';
import { applySite, loadPlant, type Plant, type Site } from '@plant-twin/plant-model';
import { pino } from 'pino';

export { TestBroker } from '@plant-twin/mqtt-link/testing';

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

/**
 * A machine as the cloud and the twin read it: its state and each tag's value with the latest source
 * time, a later message winning a tie (the cloud's latest_value, the live board). What arrived last
 * is not what they show when it is stamped earlier than what came before.
 */
export function latestByTime(rs: Received[], machineId: string): { state: StateMessage | undefined; values: Map<string, TagValue> } {
  let state: StateMessage | undefined;
  const values = new Map<string, TagValue>();
  for (const { message: m } of rs) {
    if (m.machineId !== machineId) continue;
    if (m.kind === 'state' && (!state || state.ts <= m.ts)) state = m;
    if (m.kind === 'sample') for (const v of m.values) if ((values.get(v.name)?.ts ?? -Infinity) <= v.ts) values.set(v.name, v);
  }
  return { state, values };
}

/** Waits until `check` returns true (for hooks, where expect.poll is not allowed). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
