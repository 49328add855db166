import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { HttpError, validate } from './http.js';
import { createLightService } from './light-service.js';
import { createLogger } from './logger.js';
import { answerBeforeBody } from './testing/partial-body.js';

let server: Server;
let base: string;
let ready = false;
const token = 'light-service-test-token';
const metricsToken = 'light-service-metrics-token';

beforeAll(async () => {
  const log = createLogger('light-service-test');
  log.level = 'silent';
  const s = createLightService({ log, ready: () => ({ ready, detail: { machine: ready } }), metricsToken });
  s.route('GET', '/api/items/current', () => ({ status: 200, body: { current: true } }), { auth: token });
  s.route('GET', '/api/items/:id', (req) => ({ status: 200, body: { id: req.params.id, limit: req.query.limit ?? null } }), { auth: token });
  s.route('POST', '/api/items', (req) => ({ status: 201, body: validate(z.object({ name: z.string().min(1), qty: z.number().int() }), req.body) }), { auth: token });
  s.route('POST', '/api/small', (req) => ({ status: 200, body: req.body }), { auth: token, bodyLimit: 100 });
  s.route('POST', '/api/fail/:how', (req) => {
    if (req.params.how === 'teapot') throw new HttpError(418, 'short and stout');
    throw new Error('boom');
  });
  server = await s.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const call = async (path: string, init: RequestInit & { auth?: string } = {}) => {
  const res = await fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.auth !== undefined ? { authorization: init.auth } : { authorization: `Bearer ${token}` }), ...init.headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
};

describe('light (node:http) service', () => {
  it('serves liveness and readiness (503 until ready) without a token, and Prometheus metrics with the metrics token only', async () => {
    expect(await call('/health/live', { auth: '' })).toMatchObject({ status: 200, body: { live: true } });
    expect(await call('/health/ready', { auth: '' })).toMatchObject({ status: 503, body: { ready: false, detail: { machine: false } } });
    ready = true;
    expect(await call('/health/ready', { auth: '' })).toMatchObject({ status: 200, body: { ready: true } });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('process_resident_memory_bytes');
  });

  it('refuses a request without credentials before reading its body, and closes the connection', async () => {
    const r = await answerBeforeBody(`${base}/api/items`);
    expect(r.status).toBe(401);
    expect(r.headers.connection).toBe('close');
    // with the token, a body larger than the route's bound is refused from its announced length
    const big = await answerBeforeBody(`${base}/api/small`, { headers: { authorization: `Bearer ${token}` }, announcedBytes: 101 });
    expect(big.status).toBe(413);
    expect((await call('/api/small', { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(50) }) })).status).toBe(200);
  });

  it('answers 401 with WWW-Authenticate for a missing or wrong bearer token', async () => {
    const none = await call('/api/items/a1', { auth: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call('/api/items/a1', { auth: 'Bearer wrong' })).status).toBe(401);
  });

  it('routes by method and pattern, first match first, with decoded params and the query', async () => {
    expect(await call('/api/items/current')).toMatchObject({ status: 200, body: { current: true } });
    expect(await call('/api/items/a%2F1?limit=5')).toMatchObject({ status: 200, body: { id: 'a/1', limit: '5' } });
    expect(await call('/api/items/a1/')).toMatchObject({ status: 200, body: { id: 'a1' } });
    expect(await call('/api/items/a1', { method: 'DELETE' })).toMatchObject({ status: 404, body: { error: 'not found' } });
    expect(await call('/nowhere')).toMatchObject({ status: 404 });
  });

  it('validates JSON bodies: 400 naming the wrong fields, 400 for broken JSON, 413 above 1 MB', async () => {
    expect(await call('/api/items', { method: 'POST', body: JSON.stringify({ name: 'n', qty: 2 }) })).toMatchObject({ status: 201, body: { name: 'n', qty: 2 } });
    const bad = await call('/api/items', { method: 'POST', body: JSON.stringify({ name: '', qty: 1.5 }) });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { path: string }) => f.path).sort()).toEqual(['name', 'qty']);
    expect(await call('/api/items', { method: 'POST', body: '{not json' })).toMatchObject({ status: 400, body: { error: 'body is not valid JSON' } });
    expect((await call('/api/items', { method: 'POST', body: JSON.stringify({ name: 'x'.repeat(1_100_000), qty: 1 }) })).status).toBe(413);
    expect((await call('/api/items/%E0%A4%A', {})).status).toBe(400);
  });

  it('answers a thrown HttpError with its status and anything else with 500 without details', async () => {
    expect(await call('/api/fail/teapot', { method: 'POST' })).toMatchObject({ status: 418, body: { error: 'short and stout' } });
    expect(await call('/api/fail/other', { method: 'POST' })).toMatchObject({ status: 500, body: { error: 'internal error' } });
  });
});
