import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.js';
import { startTestCloud, type TestCloud } from '../test-support/cloud.js';

const html = { accept: 'text/html,application/xhtml+xml' };

describe('serving the twin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-dist-'));
  let t: TestCloud;
  let url: string;
  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>twin</title><script type="module" src="/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("twin")');
    t = await startTestCloud('pglite', { twinDir: dir });
    url = t.cloud.url;
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every page URL with index.html (never cached) and hashed assets with a year of cache', async () => {
    for (const path of ['/', '/machines/PRS-01', '/andon', '/alarms?severity=fault']) {
      const r = await call('GET', url + path, { headers: html });
      expect(r.status, path).toBe(200);
      expect(r.body, path).toContain('<title>twin</title>');
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.headers['content-security-policy'], path).toContain("script-src 'self'");
    }
    const asset = await call('GET', `${url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('never answers the API, the socket, the probes, the metrics or a missing asset with the page', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/machines', '/health/nope', '/socket.io/x', '/assets/gone-123.js']) {
      const r = await call('GET', url + path, { headers: html });
      expect(r.body, path).not.toContain('<title>twin</title>');
      expect([401, 404, 400], path).toContain(r.status);
    }
    // a client that does not ask for a page (an API client, a script) gets no page either
    expect((await call('GET', `${url}/machines/PRS-01`)).status).toBe(404);
    expect((await call('POST', `${url}/machines/PRS-01`, { headers: html })).status).toBe(404);
  });

  it('says what to run when the twin is not built', async () => {
    const bare = await startTestCloud('pglite', { twinDir: join(dir, 'nothing-here') });
    try {
      const r = await call('GET', `${bare.cloud.url}/`, { headers: html });
      expect(r.status).toBe(503);
      expect(r.body).toBe('The twin is not built: run npm run build (it builds twin/dist).\n');
    } finally {
      await bare.close();
    }
  });
});
