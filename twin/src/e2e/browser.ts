import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '@plant-twin/plant-model';
import { chromiumPath } from '@plant-twin/runtime/testing';

/**
 * Debian's Chromium driven by playwright-core for the twin's end-to-end tests: the brief's flags plus
 * software WebGL (SwiftShader, asked for explicitly since Chromium drops the automatic fallback),
 * screenshots of what a person sees saved as test artifacts with a check that they are not blank, and
 * axe-core run inside the page.
 */

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export const artifactsDir = join(repoRoot, 'twin', 'test-artifacts');

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });

export interface PageOptions {
  width?: number;
  height?: number;
  dark?: boolean;
}

/** A fresh browser context (own cookies) on the twin, trusting the run's self-signed certificate. */
export async function openTwin(browser: Browser, baseURL: string, o: PageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    ignoreHTTPSErrors: true,
    viewport: { width: o.width ?? 1280, height: o.height ?? 720 },
    colorScheme: o.dark ? 'dark' : 'light',
    timezoneId: 'America/Los_Angeles', // not the plant's zone: times on screen must come from the plant, not the browser
  });
  const page = await context.newPage();
  return { context, page };
}

export interface PixelStats {
  /** standard deviation of the luma of all pixels (0..255) */
  lumaStdDev: number;
  /** share of pixels that differ from the most common colour */
  nonBackground: number;
}

/**
 * Pixel statistics of a PNG, decoded by the browser in a page of its own (no content security policy
 * there, and nothing in the page under test changes).
 */
async function pixelStats(browser: Browser, png: Buffer): Promise<PixelStats> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    return await page.evaluate(async (b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const n = data.length / 4;
      const counts = new Map<number, number>();
      let sum = 0, sumSq = 0;
      for (let i = 0; i < data.length; i += 4) {
        const luma = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        sum += luma;
        sumSq += luma * luma;
        const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const mean = sum / n;
      const top = Math.max(...counts.values());
      return { lumaStdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), nonBackground: 1 - top / n };
    }, png.toString('base64'));
  } finally {
    await context.close();
  }
}

export interface Screenshot extends PixelStats {
  file: string;
}

/** Saves what the page shows as `<artifactsDir>/<name>.png` and measures whether anything is on it. */
export async function screenshot(browser: Browser, page: Page, name: string): Promise<Screenshot> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = join(artifactsDir, `${name}.png`);
  const png = await page.screenshot({ animations: 'disabled' });
  writeFileSync(file, png);
  return { file, ...(await pixelStats(browser, png)) };
}

/** What a page that shows something has at least: some contrast and more than a sliver of non-background. */
export const notBlank = (s: PixelStats) => s.lumaStdDev > 8 && s.nonBackground > 0.02;

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations of the page as it is (WCAG 2.1 A/AA rules). Injected through
 * the DevTools protocol (page.evaluate), which the page's content security policy does not block.
 */
export async function axeSerious(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'unknown', help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
