/**
 * The andon screen over time: a device-link sign-in, then live events at the plant's pace and more
 * (a state change, counts and alarm edges every 250 ms) and the hub dropping every socket every 20 s,
 * for a minute of warm-up and then `minutes`. The page's JS heap (after a forced GC, every minute), DOM
 * nodes and event listeners are read through the DevTools protocol: flat means nothing grows with time.
 */
import type { Browser, CDPSession } from 'playwright-core';
import type { MachineMessage } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { startTwinCloud } from '../browser/cloud.js';
import { plantHistory } from '../browser/seed.js';
import { round } from './stats.js';

async function reading(cdp: CDPSession) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  return { heapMb: heap.usedSize / 1e6, nodes: metric('Nodes'), listeners: metric('JSEventListeners') };
}

export async function andonSoak(browser: Browser, minutes: number, log: (s: string) => void): Promise<Record<string, number | number[]>> {
  const plant = loadPlant();
  const tc = await startTwinCloud(plant);
  try {
    await tc.ingest(plantHistory(plant, { now: Date.now(), hours: 0.5, sampleS: 60 }));
    const admin = await tc.context(browser);
    const csrf = (await admin.cookies()).find((c) => c.name === 'pt_csrf')!.value;
    const made = await admin.request.post('/api/v1/admin/devices', { data: { name: 'bench andon' }, headers: { 'x-csrf-token': csrf } });
    if (!made.ok()) throw new Error(`device token: HTTP ${made.status()} ${await made.text()}`);
    const { token } = (await made.json()) as { token: string };
    await admin.close();

    const screen = await browser.newContext({ baseURL: tc.url, ignoreHTTPSErrors: true, viewport: { width: 1920, height: 1080 } });
    const page = await screen.newPage();
    await page.goto(`/andon?device=${encodeURIComponent(token)}`);
    await page.waitForFunction((n) => document.querySelectorAll('article.tile').length === n, plant.machines.length);
    const cdp = await screen.newCDPSession(page);
    await cdp.send('Performance.enable');

    const states = ['running', 'idle', 'fault', 'starved', 'running', 'setup'] as const;
    let seq = 0, tick = 0, drops = 0;
    const events = setInterval(() => {
      const m = plant.machines[tick % plant.machines.length]!;
      const state = states[Math.floor(tick / plant.machines.length) % states.length]!;
      const ts = Date.now();
      const base = { v: 1 as const, machineId: m.id, ts };
      const alarm = m.alarms[0];
      const msgs: MachineMessage[] = [
        { ...base, id: `${m.id}/soak/${++seq}`, seq, kind: 'state', state, previous: null, quality: 'good' },
        { ...base, id: `${m.id}/soak/${++seq}`, seq, kind: 'counter', goodDelta: 2, scrapDelta: 0, goodTotal: seq, scrapTotal: 0 },
        ...(alarm ? [{ ...base, id: `${m.id}/soak/${++seq}`, seq, kind: 'alarm' as const, code: alarm.code, text: alarm.text, severity: alarm.severity, active: state === 'fault' }] : []),
      ];
      tick++;
      void tc.ingest(msgs).catch((e: unknown) => log(`ingest: ${String(e)}`));
    }, 250);
    const cuts = setInterval(() => {
      drops++;
      tc.cloud.io.disconnectSockets(true);
    }, 20_000);

    // a minute of warm-up (code compiled, caches filled), then a reading every minute
    await page.waitForTimeout(60_000);
    const start = await reading(cdp);
    log(`andon: ${minutes} min of live events and socket drops`);
    const byMinute: number[] = [];
    for (let i = 0; i < minutes; i++) {
      await page.waitForTimeout(60_000);
      byMinute.push(round((await reading(cdp)).heapMb));
    }
    clearInterval(events);
    clearInterval(cuts);
    await page.waitForTimeout(3_000);
    const end = await reading(cdp);
    await screen.close();
    return {
      andon_minutes: minutes,
      andon_socket_drops: drops,
      andon_heap_start_mb: round(start.heapMb),
      andon_heap_end_mb: round(end.heapMb),
      andon_heap_growth_kb: round((end.heapMb - start.heapMb) * 1000, 0),
      andon_dom_nodes_start: start.nodes,
      andon_dom_nodes_end: end.nodes,
      andon_listeners_start: start.listeners,
      andon_listeners_end: end.listeners,
      andon_heap_mb_by_minute: byMinute,
    };
  } finally {
    await tc.close();
  }
}
