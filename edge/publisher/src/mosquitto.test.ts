import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlantFile, loadPlant } from '@plant-twin/plant-model';
import { spawnPublisher, testPublisherEnv, type PublisherProcess } from './testing/child.js';
import { startIngestDouble, type IngestDouble } from './testing/ingest-double.js';
import { checkDelivery, startProducer, type Producer } from './testing/producer.js';

// Mosquitto on 127.0.0.1:1883 is shared: a plant id, client ids and topics unique to this run
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const plantId = `pt-${run}`;
const mosquitto = 'mqtt://127.0.0.1:1883';
const publisherClientId = `publisher-test-${run}`;
const producerClientId = `producer-test-${run}`;
const edgeId = `edge-${run}`;
const token = 'mosquitto-test-token';

let dir: string;
let plantFile: string;
let cloud: IngestDouble;
let producer: Producer | undefined;
const children: PublisherProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'publisher-mosq-'));
  const text = await readFile(defaultPlantFile, 'utf8');
  const changed = text.replace(/^(plant:\n {2}id: )\S+$/m, `$1${plantId}`);
  expect(changed).not.toBe(text);
  plantFile = join(dir, 'plant.yaml');
  await writeFile(plantFile, changed);
  cloud = await startIngestDouble({ credentials: { [edgeId]: token } });
  await writeFile(join(dir, 'ca.pem'), cloud.ca!);
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) await c.kill('SIGKILL');
  await producer?.close();
  await cloud?.close();
  // leave no persistent sessions behind on the shared broker
  for (const clientId of [publisherClientId, producerClientId]) {
    const c = await mqtt.connectAsync(mosquitto, { protocolVersion: 4, clientId, clean: true });
    await c.endAsync();
  }
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<PublisherProcess> {
  const p = await spawnPublisher(testPublisherEnv({ mqttUrl: mosquitto, plantFile, cloudUrl: cloud.url, caFile: join(dir, 'ca.pem'), edgeId, token, dir }, { MQTT_CLIENT_ID: publisherClientId, BUFFER_MAX_MB: '64' }));
  children.push(p);
  await expect.poll(() => p.ready(), { timeout: 15_000 }).toBe(true);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// child processes and restarts: generous on a loaded CI machine (about 20-30 s alone)
describe('publisher program on Mosquitto (persistent session)', () => {
  it('gets what Mosquitto kept while it was SIGKILLed, through a cloud outage, exactly once and in order', async () => {
    const plant = loadPlant(plantFile);
    expect(plant.plant.id).toBe(plantId);
    let pub = await start();
    producer = await startProducer({ url: mosquitto, plantId, machines: plant.machines.map((m) => ({ id: m.id, area: m.area })), clientId: producerClientId });
    // 11 machines x 5 messages/s: Mosquitto's default max_queued_messages (1000) must hold what comes
    // while the publisher is down (a site sets it higher)
    producer.run(200);
    await sleep(700);
    await cloud.down();
    await sleep(700);
    // killed while messages flow and the cloud is away; Mosquitto keeps them for the session
    await pub.kill('SIGKILL');
    await sleep(1_000);
    pub = await start();
    await sleep(500);
    await cloud.up();
    // and once more in the middle of a batch the cloud stored but did not answer
    const held = await cloud.holdNext();
    await pub.kill('SIGKILL');
    held.release();
    pub = await start();
    await sleep(700);
    producer.pause();
    await producer.flush();
    await expect.poll(() => cloud.messages(edgeId).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(producer.produced.length);
    const check = checkDelivery(producer.produced, cloud.messages(edgeId));
    expect(check).toMatchObject({ lost: 0, duplicated: 0, altered: 0, outOfOrder: [] });
    expect(check.arrivedChecksum).toBe(check.producedChecksum);
    expect(cloud.stats).toMatchObject({ conflicts: 0, gaps: 0, rejected: 0, unauthorized: 0 });
    expect(await pub.kill('SIGTERM')).toBe(0);
  }, 150_000);
});
