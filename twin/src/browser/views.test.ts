import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadPlant } from '@plant-twin/plant-model';
import { missingTool } from '@plant-twin/runtime/testing';
import { axeSerious, launchChromium, notBlank, screenshot } from '../e2e/browser.js';
import { startTwinCloud, type TwinCloud } from './cloud.js';
import { LinkProxy } from './proxy.js';
import { lastWorkday, plantHistory } from './seed.js';

/**
 * The hall, machine and andon views in Debian's Chromium (software WebGL) against the real cloud in
 * this process, with eight hours of seeded history ingested through its API: what a person sees, at
 * 1280×720, at 360 px and in the dark theme, saved as screenshots (twin/test-artifacts/views-*.png).
 */
const why = missingTool('chromium');

describe.skipIf(!!why)(`twin views in Chromium (${why ?? 'chromium present'})`, () => {
  const plant = loadPlant();
  let browser: Browser;
  let tc: TwinCloud;
  // a past working day (OEE needs planned time, which a weekend has not), and the last hours until now
  const workday = lastWorkday(Date.now(), plant.plant.timezone);

  beforeAll(async () => {
    tc = await startTwinCloud(plant);
    await tc.ingest(plantHistory(plant, { now: workday + 4 * 3_600_000, hours: 8, sampleS: 180, boot: 'workday', seed: 5 }));
    await tc.ingest(plantHistory(plant, { now: Date.now(), hours: 4, sampleS: 60, fault: 'WLD-01', starved: 'IMM-02', offline: 'CMM-01' }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('hall: 3D scene beside eleven tiles; a fault in colour with icon and word, an offline pod as "no data since"', async () => {
    const context = await tc.context(browser);
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    await page.waitForSelector('canvas');
    await page.waitForTimeout(1500);
    const fault = page.locator('a.tile[data-machine="WLD-01"]');
    expect(await fault.locator('[data-tone]').getAttribute('data-tone')).toBe('alarm');
    expect(await fault.textContent()).toContain('Fault');
    const offline = page.locator('a.tile[data-machine="CMM-01"]');
    expect(await offline.textContent()).toMatch(/No data since \d\d:\d\d:\d\d/);
    expect(notBlank(await screenshot(browser, page, 'views-hall-1280'))).toBe(true);
    const findings = await axeSerious(page);
    expect(findings, JSON.stringify(findings)).toEqual([]);
    await context.close();
  });

  it('hall by keyboard alone: arrows select a machine in the 3D hall and in the tiles, Enter opens it', async () => {
    const context = await tc.context(browser);
    const page = await context.newPage();
    await page.goto('/?bench');
    await page.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    // a click on a machine in the scene selects it (raycast on the instanced meshes)
    const at = await page.evaluate(() => (window as unknown as { __hallBench: { pointOf(id: string): { x: number; y: number } } }).__hallBench.pointOf('PNT-01'));
    await page.mouse.click(at.x, at.y);
    await page.locator('section.sel strong', { hasText: 'PNT-01' }).waitFor();
    await page.focus('canvas');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const card = page.locator('section.sel');
    await card.waitFor();
    const chosen = (await card.locator('strong').textContent())!;
    expect(await page.locator(`a.tile[data-machine="${chosen}"]`).getAttribute('class')).toContain('sel');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/machines/${chosen}`);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    await page.focus('a.tile');
    await page.keyboard.press('ArrowRight');
    const second = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.machine);
    expect(second).toBe(await page.locator('a.tile').nth(1).getAttribute('data-machine'));
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/machines/${second}`);
    await context.close();
  });

  it('hall at 360 px: tiles only, no WebGL canvas; and in the dark theme', async () => {
    const narrow = await tc.context(browser, { width: 360, height: 740 });
    const page = await narrow.newPage();
    await page.goto('/');
    await page.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    expect(await page.locator('canvas').count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(notBlank(await screenshot(browser, page, 'views-hall-360'))).toBe(true);
    await narrow.close();
    const dark = await tc.context(browser, { dark: true });
    const p2 = await dark.newPage();
    await p2.goto('/');
    await p2.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    await p2.waitForTimeout(1500);
    expect(await p2.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(notBlank(await screenshot(browser, p2, 'views-hall-dark'))).toBe(true);
    await dark.close();
  });

  it('machine view: live parameters, trends with limit bands, timeline, job, alarms and OEE; reload keeps the URL', async () => {
    const context = await tc.context(browser);
    const page = await context.newPage();
    await page.goto(`/machines/PRS-01?at=${workday}`);
    await page.waitForSelector('figure[data-trend] canvas', { timeout: 30_000 });
    await page.waitForSelector('[data-kpi="oee"]');
    await page.waitForSelector('tr[data-tag="tonnage"]');
    await page.waitForTimeout(1000);
    expect(await page.locator('figure[data-trend]').count()).toBeGreaterThanOrEqual(2);
    expect(notBlank(await screenshot(browser, page, 'views-machine-1280'))).toBe(true);
    await page.locator('#job-h').scrollIntoViewIfNeeded();
    expect(notBlank(await screenshot(browser, page, 'views-machine-1280-lower'))).toBe(true);
    const findings = await axeSerious(page);
    expect(findings, JSON.stringify(findings)).toEqual([]);
    await page.reload();
    await page.waitForSelector('figure[data-trend] canvas', { timeout: 30_000 });
    expect(new URL(page.url()).search).toBe(`?at=${workday}`);
    await context.close();
    for (const [name, opts] of [['views-machine-dark', { dark: true }], ['views-machine-360', { width: 360, height: 740 }]] as const) {
      const c = await tc.context(browser, opts);
      const p = await c.newPage();
      await p.goto('/machines/PRS-01');
      await p.waitForSelector('tr[data-tag="tonnage"]');
      await p.waitForTimeout(1500);
      expect(notBlank(await screenshot(browser, p, name))).toBe(true);
      await c.close();
    }
  });

  it('live link cut: banner and "no data" at once; on return the views fetch fresh state', async () => {
    const proxy = new LinkProxy(tc.cloud.port);
    await proxy.start();
    const context = await tc.context(browser, { baseURL: `https://127.0.0.1:${proxy.port}` });
    const page = await context.newPage();
    await page.goto('/');
    await page.waitForFunction(() => document.querySelectorAll('a.tile').length === 11);
    await page.waitForSelector('.live.s-up');
    expect(await page.locator('[role="alert"]').count()).toBe(0);

    await proxy.cut();
    const banner = page.locator('[role="alert"]');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/Live connection lost at \d\d:\d\d:\d\d/);
    expect(await page.locator('a.tile[data-machine="PRS-01"]').textContent()).toMatch(/No data since/);
    expect(notBlank(await screenshot(browser, page, 'views-hall-link-down'))).toBe(true);

    // while the link is down PRS-01 faults: the event is missed, the resync must fetch it
    await tc.ingest([{ v: 1, id: `PRS-01/cut/1`, machineId: 'PRS-01', ts: Date.now(), seq: 1, kind: 'state', state: 'fault', previous: 'running', quality: 'good' }]);
    const resync = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/machines', { timeout: 10_000 });
    await proxy.restore();
    await resync;
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('a.tile[data-machine="PRS-01"] [data-tone]')?.getAttribute('data-tone') === 'alarm', undefined, { timeout: 10_000 });
    await context.close();
    await proxy.cut();
  });

  it('andon at 1920×1080 with a device link: no login, token gone from the URL, state word and count at least 100 px', async () => {
    const admin = await tc.context(browser);
    const made = await admin.request.post('/api/v1/admin/devices', { data: { name: 'hall screen' }, headers: { 'x-csrf-token': (await admin.cookies()).find((c) => c.name === 'pt_csrf')!.value } });
    expect(made.status()).toBe(201);
    const { token } = (await made.json()) as { token: string };
    await admin.close();
    const screen = await browser.newContext({ baseURL: tc.url, ignoreHTTPSErrors: true, viewport: { width: 1920, height: 1080 } });
    const page = await screen.newPage();
    await page.goto(`/andon?device=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => document.querySelectorAll('article.tile').length === 11);
    expect(page.url()).not.toContain('device=');
    await page.waitForTimeout(1000);
    const heights = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="andon-state"], [data-testid="andon-count"]')].map((e) => parseFloat(getComputedStyle(e).fontSize)),
    );
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(100);
    expect(notBlank(await screenshot(browser, page, 'views-andon-1920'))).toBe(true);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('article.tile').length === 11);
    await screen.close();
  });
});
