/**
 * The live link's figures (issue 14: a banner within 2 s of the drop, views resynchronised within 2 s
 * of the return): the hall behind a TCP relay whose connections are cut and later accepted again, five
 * times. Times are taken in the page (MutationObserver, response events) on the same clock as the cut.
 */
import type { Browser } from 'playwright-core';
import { loadPlant } from '@plant-twin/plant-model';
import { startTwinCloud } from '../browser/cloud.js';
import { LinkProxy } from '../browser/proxy.js';
import { plantHistory } from '../browser/seed.js';

export async function liveLink(browser: Browser, log: (s: string) => void): Promise<Record<string, number | number[]>> {
  const plant = loadPlant();
  const tc = await startTwinCloud(plant);
  const proxy = new LinkProxy(tc.cloud.port);
  try {
    await tc.ingest(plantHistory(plant, { now: Date.now(), hours: 0.5, sampleS: 60 }));
    await proxy.start();
    const context = await tc.context(browser, { baseURL: `https://127.0.0.1:${proxy.port}` });
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForSelector('.live.s-up');
    // the page notes when the banner comes and goes, and when a resync's GET /machines is answered
    await page.evaluate(() => {
      const w = window as unknown as { __banner: number[]; __bannerGone: number[] };
      w.__banner = [];
      w.__bannerGone = [];
      let shown = false;
      new MutationObserver(() => {
        const now = !!document.querySelector('[role="alert"]');
        if (now !== shown) (now ? w.__banner : w.__bannerGone).push(Date.now());
        shown = now;
      }).observe(document.body, { subtree: true, childList: true });
    });
    const banner: number[] = [], resync: number[] = [];
    for (let i = 0; i < 5; i++) {
      const cutAt = Date.now();
      await proxy.cut();
      await page.waitForFunction((n) => (window as unknown as { __banner: number[] }).__banner.length > n, i, { timeout: 30_000 });
      banner.push((await page.evaluate((n) => (window as unknown as { __banner: number[] }).__banner[n]!, i)) - cutAt);
      await page.waitForTimeout(3_000);
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/machines', { timeout: 30_000 });
      const backAt = Date.now();
      await proxy.restore();
      await answered;
      const doneAt = Date.now();
      await page.waitForFunction((n) => (window as unknown as { __bannerGone: number[] }).__bannerGone.length > n, i, { timeout: 30_000 });
      resync.push(doneAt - backAt);
      await page.waitForTimeout(1_000);
    }
    log(`live link: ${banner.length} cuts`);
    await context.close();
    return { live_banner_ms: banner, live_banner_ms_max: Math.max(...banner), live_resync_ms: resync, live_resync_ms_max: Math.max(...resync) };
  } finally {
    await proxy.cut();
    await tc.close();
  }
}
