#!/usr/bin/env node
/**
 * npm run bench:twin [-- --json] [--only frames|live|latency|andon] [--runs N] [--andon-minutes M]
 *
 * The twin's figures (issue 14), measured in Debian's Chromium with software WebGL at 1280×720:
 * hall frame work (render + 1-pixel readback) for the 11-machine plant with every machine animating,
 * its draw calls and idle renders, the same for a generated 500-machine plant with long tasks over
 * 30 s, the first load's JavaScript (gzip), a naive scene's figures in the same run as the baseline,
 * the live banner's and resynchronisation's times around a cut link,
 * (with the whole simulated plant running) the latency from a PLC value to the machine view and from
 * a state change to the hall, and the andon screen's memory over minutes of live events and reconnects.
 */
import type { Browser } from 'playwright-core';
import { loadPlant } from '@plant-twin/plant-model';
import { launchChromium } from '../e2e/browser.js';
import { bigPlant } from './big-plant.js';
import { animateWatchingLongTasks, idleRendersPerS, measureFrames, openHall, summary } from './frames.js';
import { andonSoak } from './andon.js';
import { plantLatency } from './latency.js';
import { liveLink } from './live.js';
import { median, round } from './stats.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const andonMinutes = args.includes('--andon-minutes') ? Number(args[args.indexOf('--andon-minutes') + 1]) : 2;
const framesPerRun = 300;
const log = (s: string) => void (json ? process.stderr : process.stdout).write(`${s}\n`);

async function frameFigures(browser: Browser) {
  const plant = loadPlant();
  log(`hall: ${plant.machines.length} machines, ${runs} runs of ${framesPerRun} frames`);
  const hall = await openHall(browser, plant);
  try {
    const idle = await idleRendersPerS(hall.page, '__hallBench', 10);
    const ours = [];
    for (let r = 0; r < runs; r++) ours.push(summary(await measureFrames(hall.page, '__hallBench', framesPerRun)));
    const drawCalls = await hall.page.evaluate(() => window.__hallBench!.drawCalls());
    const pixelRatio = await hall.page.evaluate(() => window.__hallBench!.pixelRatio());
    const canvas = await hall.page.evaluate(() => {
      const c = document.querySelector('canvas')!;
      return `${c.width}x${c.height}`;
    });
    await hall.page.evaluate(async () => void (window.__naive = await window.__hallBench!.naive()));
    const naiveIdle = await idleRendersPerS(hall.page, '__naive', 3);
    const naive = [];
    for (let r = 0; r < runs; r++) naive.push(summary(await measureFrames(hall.page, '__naive', framesPerRun)));
    const naiveDrawCalls = await hall.page.evaluate(() => window.__naive!.drawCalls());
    const med = (xs: { median: number; p95: number }[], k: 'median' | 'p95') => round(median(xs.map((x) => x[k])));
    return {
      frame_ms_median: med(ours, 'median'),
      frame_ms_p95: med(ours, 'p95'),
      draw_calls: drawCalls,
      idle_renders_per_s: idle,
      js_kb_gz: round(hall.jsKbGz, 1),
      naive_frame_ms_median: med(naive, 'median'),
      naive_frame_ms_p95: med(naive, 'p95'),
      naive_draw_calls: naiveDrawCalls,
      naive_idle_renders_per_s: naiveIdle,
      frame_p95_ratio_naive_to_ours: round(med(naive, 'p95') / med(ours, 'p95'), 1),
      canvas_px: canvas,
      pixel_ratio: pixelRatio,
      runs_p95: ours.map((x) => x.p95),
    };
  } finally {
    await hall.close();
  }
}

async function frameFigures500(browser: Browser) {
  const plant = bigPlant(loadPlant(), 500);
  log('hall: 500 machines, 30 s animating');
  const hall = await openHall(browser, plant);
  try {
    const drawCalls = await hall.page.evaluate(() => (window.__hallBench!.frame(0), window.__hallBench!.drawCalls()));
    const run = await animateWatchingLongTasks(hall.page, 30);
    const s = summary(run.frames);
    return { frame_ms_median_500: s.median, frame_ms_p95_500: s.p95, long_tasks_500: run.longTasks, longest_task_ms_500: round(run.longestMs), frames_500: run.frames.length, draw_calls_500: drawCalls };
  } finally {
    await hall.close();
  }
}

const browser = await launchChromium();
const out: Record<string, unknown> = {};
try {
  if (!only || only === 'frames') Object.assign(out, await frameFigures(browser), await frameFigures500(browser));
  if (!only || only === 'live') Object.assign(out, await liveLink(browser, log));
  if (!only || only === 'latency') Object.assign(out, await plantLatency(browser, log));
  if (!only || only === 'andon') Object.assign(out, await andonSoak(browser, andonMinutes, log));
} finally {
  await browser.close();
}
if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
else for (const [k, v] of Object.entries(out)) log(`${k.padEnd(34)} ${JSON.stringify(v)}`);
process.exit(0);
