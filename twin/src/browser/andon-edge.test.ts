import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startAndon, type Andon } from '@plant-twin/andon';
import { contractVersion, machineTopic, type MachineMessage } from '@plant-twin/contracts';
import { QosPublisher } from '@plant-twin/mqtt-link';
import { TestBroker } from '@plant-twin/mqtt-link/testing';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger, hashSecret } from '@plant-twin/runtime';
import { missingTool } from '@plant-twin/runtime/testing';
import { artifactsDir, launchChromium, notBlank, screenshot } from '../e2e/browser.js';

/**
 * The shop-floor screen with the plant's internet link down: no cloud runs at all here. The edge
 * andon server serves the built twin and feeds it from the edge broker, where pod-shaped producers
 * publish contract messages; Chromium shows the states and follows a change live.
 */
const why = missingTool('chromium');
const twinDir = join(artifactsDir, '..', 'dist');

describe.skipIf(!!why)(`andon served by the edge, no cloud anywhere, in Chromium (${why ?? 'chromium present'})`, () => {
  const plant = loadPlant();
  const log = createLogger('andon-edge-test');
  log.level = 'silent';
  const deviceToken = 'andon-edge-screen-token-for-tests';
  const broker = new TestBroker();
  const pods = new Map<string, QosPublisher>();
  let andon: Andon;
  let browser: Browser;
  let seq = 0;

  const send = async (machineId: string, body: Record<string, unknown> & { kind: MachineMessage['kind'] }) => {
    const m = plant.machines.find((x) => x.id === machineId)!;
    let pub = pods.get(machineId);
    if (!pub) {
      pub = new QosPublisher({ url: broker.url, clientId: `pod-${machineId.toLowerCase()}`, log });
      pub.start();
      pods.set(machineId, pub);
    }
    for (const end = Date.now() + 10_000; !pub.connected && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    const n = ++seq;
    const message = { v: contractVersion, id: `${machineId}/edge/${n}`, machineId, seq: n, ts: Date.now(), ...body };
    await pub.publish(machineTopic({ plantId: plant.plant.id, areaId: m.area, machineId, kind: body.kind }), JSON.stringify(message), { retain: body.kind === 'pod' });
  };
  const running = async (machineId: string) => {
    await send(machineId, { kind: 'pod', status: 'online', machineConnected: true });
    await send(machineId, { kind: 'state', state: 'running', previous: 'idle', quality: 'good', jobId: `J-${machineId}`, partNumber: 'BRK-100' });
    await send(machineId, { kind: 'job', jobId: `J-${machineId}`, event: 'progress', partNumber: 'BRK-100', quantity: 400, good: 137, scrap: 2 });
  };

  beforeAll(async () => {
    if (!existsSync(join(twinDir, 'index.html'))) throw new Error(`${twinDir} is missing: run npm run build`);
    await broker.start();
    andon = await startAndon({ plant, log, mqtt: { url: broker.url, username: 'andon' }, deviceCredentials: { 'hall-1': await hashSecret(deviceToken) }, twinDir, intervalMs: 500 });
    for (const end = Date.now() + 10_000; !andon.brokerUp && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const p of pods.values()) await p.end();
    await andon?.close();
    await broker.stop();
  });

  it('shows the machines the pods report, and a fault within 2 s, from the edge alone', async () => {
    await Promise.all(plant.machines.filter((m) => m.id !== 'CMM-01').map((m) => running(m.id)));
    const context = await browser.newContext({ baseURL: andon.url, viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    await page.goto(`/andon?device=${encodeURIComponent(deviceToken)}`);
    await page.waitForFunction(() => document.querySelectorAll('article.tile').length === 11);
    expect(page.url()).not.toContain('device=');
    const tile = (id: string) => page.locator(`article.tile[data-machine="${id}"]`);
    await expect.poll(() => tile('PRS-01').textContent(), { timeout: 5000 }).toContain('Running');
    expect(await tile('PRS-01').textContent()).toContain('137');
    // nothing heard from CMM-01: "no data", never a colour of its own
    expect(await tile('CMM-01').getAttribute('data-tone')).toBe('nodata');

    const sent = Date.now();
    await send('WLD-01', { kind: 'state', state: 'fault', previous: 'running', quality: 'good', alarmCode: 301 });
    await send('WLD-01', { kind: 'alarm', code: 301, text: 'Wire feed blocked', severity: 'fault', active: true });
    await page.waitForFunction(() => document.querySelector('article.tile[data-machine="WLD-01"]')?.getAttribute('data-tone') === 'alarm', undefined, { timeout: 2000 });
    console.log(`WLD-01 fault on the edge andon ${Date.now() - sent} ms after the pod published it`);
    expect(await tile('WLD-01').textContent()).toContain('Fault');
    expect(await tile('WLD-01').textContent()).toContain('Wire feed blocked');
    expect(notBlank(await screenshot(browser, page, 'andon-edge-1920'))).toBe(true);
    await context.close();
  });
});
