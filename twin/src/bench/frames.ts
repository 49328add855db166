/**
 * Hall frame figures in Chromium with software WebGL (SwiftShader), at 1280×720: work per frame is the
 * render call plus a forced 1-pixel readback (the scene module's bench hook), not the rAF interval,
 * which only measures the scheduler (DESIGN.md). The same figures for the naive baseline in the same page.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import type { MachineMessage } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { plantHistory } from '../browser/seed.js';
import { startTwinCloud } from '../browser/cloud.js';
import { median, quantile, round } from './stats.js';

interface Hook {
  frame(t: number): number;
  renders(): number;
  drawCalls(): number;
  machines(): number;
  pixelRatio(): number;
}
declare global {
  interface Window {
    __hallBench?: Hook & { naive(): Promise<Hook> };
    __naive?: Hook;
  }
}

export interface HallOpen {
  page: Page;
  /** gzip size of every script of the first load (KB) */
  jsKbGz: number;
  close(): Promise<void>;
}

/**
 * Samples for every machine every 15 s, so that the cloud keeps judging them live: without them the
 * whole plant turns stale at once two minutes after the seeded history ends, mid-measurement. Samples
 * send no plant event, so nothing changes on screen (an idle hall stays idle).
 */
function keepAlive(plant: Plant, ingest: (m: MachineMessage[]) => Promise<void>): () => void {
  let seq = 0;
  const timer = setInterval(() => {
    const ts = Date.now();
    seq++;
    void ingest(plant.machines.map((m) => ({ v: 1, id: `${m.id}/alive/${seq}`, machineId: m.id, ts, seq, kind: 'sample', values: [{ name: 'heartbeat', value: seq % 32768, quality: 'good', ts }] }))).catch(() => undefined);
  }, 15_000);
  return () => clearInterval(timer);
}

/** The hall of `plant`, served by an in-process cloud with a seeded hour of history, open with the bench hook. */
export async function openHall(browser: Browser, plant: Plant): Promise<HallOpen> {
  const tc = await startTwinCloud(plant);
  let stopAlive = () => undefined as void;
  try {
    // recent enough that the cloud judges every machine live (samples each minute), one machine in fault
    await tc.ingest(plantHistory(plant, { now: Date.now(), hours: 0.5, sampleS: 60, fault: plant.machines[0]!.id }));
    stopAlive = keepAlive(plant, (m) => tc.ingest(m));
    const context = await tc.context(browser);
    const page = await context.newPage();
    const scripts: Promise<number>[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.body().then((b) => gzipSync(b).length, () => 0));
    });
    await page.goto('/?bench');
    await page.waitForFunction((n) => window.__hallBench?.machines() === n && document.querySelectorAll('a.tile').length === n, plant.machines.length, { timeout: 120_000 });
    await settle(page);
    const jsKbGz = (await Promise.all(scripts)).reduce((a, b) => a + b, 0) / 1024;
    return { page, jsKbGz, close: async () => (stopAlive(), await context.close(), await tc.close()) };
  } catch (e) {
    stopAlive();
    await tc.close();
    throw e;
  }
}

/**
 * Until the page has finished loading: the live link up (its snapshot and resync take the hall from
 * the REST answer to the live state: tiles and colours change once more) and no frame drawn for a
 * second. Measuring before that counted the load's last frame as an idle render, and its tile and
 * colour updates for 500 machines as long tasks of the animation.
 */
async function settle(page: Page): Promise<void> {
  await page.waitForSelector('.live.s-up', { timeout: 60_000 });
  await page.waitForFunction(
    () => {
      const w = window as unknown as { __hallBench: Hook; __settle?: { renders: number; at: number } };
      const renders = w.__hallBench.renders();
      if (w.__settle?.renders !== renders) w.__settle = { renders, at: performance.now() };
      return performance.now() - w.__settle.at > 1000;
    },
    undefined,
    { polling: 100, timeout: 60_000 },
  );
}

/** `n` measured frames with every machine animating (after a warm-up), in ms. */
export function measureFrames(page: Page, which: '__hallBench' | '__naive', n: number): Promise<number[]> {
  return page.evaluate(
    async ({ which, n }) => {
      const h = window[which]!;
      for (let i = 0; i < 20; i++) h.frame(i / 60);
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        times.push(h.frame(i / 60));
        // hand the main thread back now and then, as a page would between frames
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 0));
      }
      return times;
    },
    { which, n },
  );
}

/** Frames the scene drew by itself per second while nothing changed. */
export async function idleRendersPerS(page: Page, which: '__hallBench' | '__naive', seconds: number): Promise<number> {
  const r0 = await page.evaluate((w) => window[w]!.renders(), which);
  await page.waitForTimeout(seconds * 1000);
  const r1 = await page.evaluate((w) => window[w]!.renders(), which);
  return round((r1 - r0) / seconds, 1);
}

/** Animates every machine for `seconds` on requestAnimationFrame, counting main-thread tasks over 50 ms. */
export function animateWatchingLongTasks(page: Page, seconds: number): Promise<{ frames: number[]; longTasks: number; longestMs: number }> {
  return page.evaluate(async (seconds) => {
    const long: number[] = [];
    const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration)));
    obs.observe({ type: 'longtask', buffered: false });
    const frames: number[] = [];
    const h = window.__hallBench!;
    await new Promise<void>((done) => {
      const end = performance.now() + seconds * 1000;
      const tick = (at: number) => {
        frames.push(h.frame(at / 1000));
        if (at < end) requestAnimationFrame(tick);
        else done();
      };
      requestAnimationFrame(tick);
    });
    await new Promise((r) => setTimeout(r, 100));
    obs.disconnect();
    return { frames, longTasks: long.length, longestMs: long.length ? Math.max(...long) : 0 };
  }, seconds);
}

export const summary = (times: readonly number[]) => ({ median: round(median(times)), p95: round(quantile(times, 0.95)) });
