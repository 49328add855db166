/**
 * The real cloud in this process for the twin's browser runs (screenshots, the benchmark): HTTPS with a
 * self-signed certificate as in production (Secure cookies), PGlite in memory, an edge credential to
 * ingest a seeded history through the real ingest API, and the built twin served by the cloud itself.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { startCloud, type RunningCloud } from '@plant-twin/cloud';
import { batch, call } from '@plant-twin/cloud/testing';
import { ingestPath, type MachineMessage } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { createLogger, hashSecret, selfSignedTls } from '@plant-twin/runtime';

export interface TwinCloud {
  cloud: RunningCloud;
  url: string;
  ca: string;
  adminPassword: string;
  /** the edge credential the cloud accepts (ingest, jobs mirror, command channel) */
  edge: { id: string; token: string };
  ingest(messages: readonly MachineMessage[]): Promise<void>;
  /** a browser context logged in as admin with the session cookie (as the twin's login does) */
  context(browser: Browser, o?: { width?: number; height?: number; dark?: boolean; baseURL?: string }): Promise<BrowserContext>;
  close(): Promise<void>;
}

const edgeId = 'edge-twin';

export async function startTwinCloud(plant: Plant, o: { liveIntervalMs?: number } = {}): Promise<TwinCloud> {
  // stderr: the benchmark's stdout is its JSON
  const log = createLogger('twin-browser', {}, process.stderr);
  log.level = 'warn';
  const tls = await selfSignedTls();
  const edgeToken = randomBytes(24).toString('base64url');
  const cloud = await startCloud(
    {
      port: 0,
      host: '127.0.0.1',
      plant,
      edgeCredentials: { [edgeId]: await hashSecret(edgeToken) },
      tls,
      printAdminPassword: false,
      metricsToken: randomBytes(24).toString('base64url'),
      ...(o.liveIntervalMs ? { liveIntervalMs: o.liveIntervalMs } : {}),
    },
    log,
  );
  let seq = 0;
  return {
    cloud,
    url: cloud.url,
    ca: tls.cert,
    adminPassword: cloud.firstAdminPassword!,
    edge: { id: edgeId, token: edgeToken },
    async ingest(messages) {
      for (let i = 0; i < messages.length; i += 1000) {
        const r = await call('POST', cloud.url + ingestPath, {
          body: batch(edgeId, ++seq, messages.slice(i, i + 1000) as MachineMessage[]),
          gzip: true,
          headers: { 'x-edge-id': edgeId },
          token: edgeToken,
          ca: tls.cert,
          timeoutMs: 60_000,
        });
        if (r.status !== 200) throw new Error(`ingest batch ${seq}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      }
    },
    async context(browser, c = {}) {
      const context = await browser.newContext({
        baseURL: c.baseURL ?? cloud.url,
        ignoreHTTPSErrors: true,
        viewport: { width: c.width ?? 1280, height: c.height ?? 720 },
        colorScheme: c.dark ? 'dark' : 'light',
        // not the plant's zone: every time on screen must come from the plant model
        timezoneId: 'America/Los_Angeles',
      });
      const r = await context.request.post('/api/v1/auth/login', { data: { username: 'admin', password: cloud.firstAdminPassword, session: 'cookie' } });
      if (!r.ok()) throw new Error(`log in as admin: HTTP ${r.status()} ${await r.text()}`);
      return context;
    },
    close: () => cloud.close(),
  };
}
