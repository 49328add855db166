import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, jsonBody, listen, requireBearer } from './express-app.js';
import { createLogger } from './logger.js';
import { answerBeforeBody } from './testing/partial-body.js';

const token = 'express-app-test-token';
const metricsToken = 'express-app-metrics-token';
let server: Server;
let base: string;

beforeAll(async () => {
  const log = createLogger('express-app-test');
  log.level = 'silent';
  const { app, finish } = createServiceApp({ log, ready: () => true, metricsToken });
  app.use('/api', requireBearer(token, 200));
  app.post('/api/echo', (req, res) => void res.json({ got: req.body }));
  app.post('/open/echo', jsonBody(100), (req, res) => void res.json({ got: req.body }));
  finish();
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string, body: unknown, auth = `Bearer ${token}`) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });

describe('express service app', () => {
  it('checks the bearer token before it reads a body: a refused 20 MB upload is never read', async () => {
    const r = await answerBeforeBody(`${base}/api/echo`);
    expect(r.status).toBe(401);
    expect(r.headers.connection).toBe('close');
    expect(JSON.parse(r.body)).toEqual({ error: 'missing or invalid bearer token' });
    const wrong = await answerBeforeBody(`${base}/api/echo`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('reads the body after the check, within the bound of the route', async () => {
    expect(await (await post('/api/echo', { a: 1 })).json()).toEqual({ got: { a: 1 } });
    expect((await post('/api/echo', { a: 'x'.repeat(300) })).status).toBe(413);
    // a body larger than the bound is refused from its announced length, without reading it
    expect((await answerBeforeBody(`${base}/api/echo`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(413);
    expect(await (await post('/open/echo', { b: 2 }, '')).json()).toEqual({ got: { b: 2 } });
    expect((await post('/open/echo', { b: 'x'.repeat(200) }, '')).status).toBe(413);
  });

  it('keeps the probes open and /metrics behind the metrics token', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const refused = await fetch(`${base}/metrics`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'metrics need the metrics bearer token (METRICS_TOKEN)' });
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('process_cpu_seconds_total');
  });
});
