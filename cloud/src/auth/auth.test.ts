import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import { ingestPath } from '@plant-twin/contracts';
import { answerBeforeBody } from '@plant-twin/runtime/testing';
import { call } from '../test-support/http.js';
import { dbKinds } from '../test-support/db.js';
import { CookieClient, cookieLogin } from '../test-support/session.js';
import { startTestCloud, testEdge, type TestCloud } from '../test-support/cloud.js';

const metricsToken = 'cloud-metrics-token-for-tests';
const cookieAttrs = (setCookie: string[] | string | undefined, name: string) => [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`)) ?? '';

describe.each(dbKinds)('sessions, roles and credentials on %s', (kind) => {
  let t: TestCloud;
  let url: string;
  beforeAll(async () => {
    t = await startTestCloud(kind, { metricsToken });
    url = t.cloud.url;
  });
  afterAll(async () => t?.close());

  it('logs a browser in with an httpOnly, Secure, SameSite=Strict session cookie and a readable CSRF cookie', async () => {
    const c = new CookieClient(url);
    const r = await c.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: t.adminPassword, session: 'cookie' } });
    expect(r.status).toBe(200);
    expect(r.body.token).toBeUndefined();
    expect(r.body).toMatchObject({ user: { username: 'admin', role: 'admin' }, csrfToken: c.csrf });
    const session = cookieAttrs(r.headers['set-cookie'], 'pt_session');
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/Secure/i);
    expect(session).toMatch(/SameSite=Strict/i);
    expect(session).toMatch(/Path=\//);
    const csrf = cookieAttrs(r.headers['set-cookie'], 'pt_csrf');
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/Secure/i);
    expect(csrf).toMatch(/SameSite=Strict/i);
    const me = await c.call('GET', '/api/v1/auth/me');
    expect(me.body).toEqual({ username: 'admin', role: 'admin', expiresAt: r.body.expiresAt, kind: 'user', csrfToken: c.csrf });
    // a bearer login answers the token and needs no CSRF token
    const bearer = await call('POST', `${url}/api/v1/auth/login`, { body: { username: 'admin', password: t.adminPassword } });
    expect(bearer.body).toMatchObject({ token: expect.any(String), user: { role: 'admin' } });
    expect((await call('GET', `${url}/api/v1/auth/me`, { token: bearer.body.token })).body).toMatchObject({ kind: 'user', username: 'admin' });
    expect((await call('GET', `${url}/api/v1/auth/me`, { token: bearer.body.token })).body.csrfToken).toBeUndefined();
  });

  it('refuses a cookie-authenticated change without the right X-CSRF-Token (403), and takes it with', async () => {
    const c = await cookieLogin(url, 'admin', t.adminPassword);
    const body = { username: 'csrf-check', role: 'viewer' };
    const none = await c.call('POST', '/api/v1/users', { body, csrf: false });
    expect(none).toMatchObject({ status: 403, body: { error: 'CSRF token missing or wrong: reload the page' } });
    expect((await c.call('POST', '/api/v1/users', { body, csrf: 'forged-token-of-another-page' })).status).toBe(403);
    // the header alone (no pt_csrf cookie) is not enough either
    const noCookie = new CookieClient(url);
    noCookie.cookies.set('pt_session', c.cookies.get('pt_session')!);
    expect((await noCookie.call('POST', '/api/v1/users', { body, csrf: c.csrf! })).status).toBe(403);
    expect((await c.call('POST', '/api/v1/users', { body })).status).toBe(201);
    // reads need none
    expect((await c.call('GET', '/api/v1/users')).status).toBe(200);
  });

  it('logs out: the session ends and both cookies are cleared', async () => {
    const c = await cookieLogin(url, 'admin', t.adminPassword);
    const session = c.cookies.get('pt_session')!;
    const out = await c.call('POST', '/api/v1/auth/logout');
    expect(out.status).toBe(200);
    expect(cookieAttrs(out.headers['set-cookie'], 'pt_session')).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(c.cookies.has('pt_session')).toBe(false);
    expect(c.cookies.has('pt_csrf')).toBe(false);
    const replay = new CookieClient(url);
    replay.cookies.set('pt_session', session);
    expect((await replay.call('GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('refuses without a session (401) and without the role (403), naming the role needed', async () => {
    const none = await call('GET', `${url}/api/v1/machines`);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/^log in first/);
    const viewer = await t.user('vic', 'viewer');
    const users = await call('GET', `${url}/api/v1/users`, { token: viewer.token });
    expect(users).toMatchObject({ status: 403, body: { error: 'needs role admin (you are viewer)' } });
    const ack = await call('POST', `${url}/api/v1/alarms/ack`, { token: viewer.token, body: { machineId: 'PRS-01', code: 1, raisedAt: 1 } });
    expect(ack).toMatchObject({ status: 403, body: { error: 'needs role supervisor or engineer or admin (you are viewer)' } });
    const cmd = await call('POST', `${url}/api/v1/jobs/J1/commands`, { token: viewer.token, body: { action: 'hold' } });
    expect(cmd).toMatchObject({ status: 403, body: { error: 'needs role planner or admin (you are viewer)' } });
    expect((await call('GET', `${url}/api/v1/machines`, { token: viewer.token })).status).toBe(200);
  });

  it('checks credentials before it reads a body: a 20 MB upload without them is answered at once and never read', async () => {
    for (const path of ['/api/v1/users', '/api/v1/alarms/ack', '/api/v1/jobs/J1/commands', '/api/v1/edge/jobs', ingestPath]) {
      const r = await answerBeforeBody(url + path);
      expect(r.status, path).toBe(401);
      expect(r.headers.connection, path).toBe('close');
    }
    // with a session but not the role: refused before the body too
    const viewer = await t.user('vera', 'viewer');
    expect((await answerBeforeBody(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${viewer.token}` } })).status).toBe(403);
    // with the right credential, the route's own bound refuses an announced 20 MB body unread
    expect((await answerBeforeBody(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${t.adminToken}` } })).status).toBe(413);
    const edge = { authorization: `Bearer ${testEdge.token}`, 'x-edge-id': testEdge.id };
    expect((await answerBeforeBody(`${url}/api/v1/edge/jobs`, { headers: edge })).status).toBe(413);
    // ingestion's bound is 16 MiB compressed: an announced 20 MB is refused unread too
    expect((await answerBeforeBody(url + ingestPath, { headers: edge })).status).toBe(413);
    // the login route judges the address before reading, then reads at most 4 KB
    expect((await answerBeforeBody(`${url}/api/v1/auth/login`)).status).toBe(413);
  });

  it('trades an andon device token for a long viewer cookie session; deleting the device ends it', async () => {
    const made = await call('POST', `${url}/api/v1/admin/devices`, { token: t.adminToken, body: { name: 'andon hall 1' } });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const screen = new CookieClient(url);
    const r = await screen.call('POST', '/api/v1/auth/device', { body: { token: made.body.token } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'device', user: { role: 'viewer', username: 'device:andon hall 1' } });
    expect(r.body.expiresAt - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await screen.call('GET', '/api/v1/auth/me')).body).toMatchObject({ kind: 'device', role: 'viewer' });
    expect((await screen.call('GET', '/api/v1/machines')).status).toBe(200);
    expect((await screen.call('POST', '/api/v1/alarms/ack', { body: { machineId: 'PRS-01', code: 1, raisedAt: 1 } })).status).toBe(403);
    expect((await screen.call('POST', '/api/v1/auth/password', { body: { currentPassword: 'x', newPassword: 'y'.repeat(12) } })).body.error).toBe('an andon device has no password');
    expect((await call('POST', `${url}/api/v1/auth/device`, { body: { token: 'x'.repeat(43) } })).status).toBe(401);
    const listed = await call('GET', `${url}/api/v1/admin/devices`, { token: t.adminToken });
    expect(listed.body.devices).toContainEqual(expect.objectContaining({ id: made.body.id, name: 'andon hall 1', createdBy: 'admin' }));
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
    expect((await call('DELETE', `${url}/api/v1/admin/devices/${made.body.id}`, { token: t.adminToken })).status).toBe(200);
    expect((await screen.call('GET', '/api/v1/machines')).status).toBe(401);
  });

  it('authenticates sockets by the session cookie (same origin only) or auth.token, and says why when it refuses', async () => {
    const c = await cookieLogin(url, 'admin', t.adminPassword);
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const open = (opts: Parameters<typeof ioClient>[1]) => ioClient(url, { transports: ['websocket'], reconnection: false, ...opts });
    const byCookie = open({ extraHeaders: { cookie, origin: url } });
    const snapshot = await new Promise<{ serverTime: number; machines: unknown[] }>((resolve) => byCookie.on('snapshot', resolve));
    expect(snapshot.machines).toHaveLength(t.cloud.model.machineIds.length);
    expect(Math.abs(snapshot.serverTime - Date.now())).toBeLessThan(5000);
    expect(await byCookie.emitWithAck('subscribe', 'PRS-01')).toEqual({ ok: true });
    expect(await byCookie.emitWithAck('subscribe', 'NOPE-99')).toEqual({ ok: false, error: 'no machine NOPE-99' });
    byCookie.close();
    const otherSite = open({ extraHeaders: { cookie, origin: 'https://evil.example' } });
    expect((await new Promise<Error>((resolve) => otherSite.on('connect_error', resolve))).message).toBe('origin https://evil.example may not use this session');
    otherSite.close();
    const nobody = open({});
    expect((await new Promise<Error>((resolve) => nobody.on('connect_error', resolve))).message).toMatch(/^log in first/);
    nobody.close();
    const byToken = open({ auth: { token: t.adminToken } });
    await new Promise((resolve) => byToken.on('snapshot', resolve));
    byToken.close();
  });

  it('keeps /metrics behind the metrics token and sends security headers', async () => {
    expect((await call('GET', `${url}/metrics`)).status).toBe(401);
    expect((await call('GET', `${url}/metrics`, { token: t.adminToken })).status).toBe(401);
    const m = await call('GET', `${url}/metrics`, { token: metricsToken });
    expect(m.status).toBe(200);
    expect(m.body).toContain('cloud_ingest_batches_total');
    const h = (await call('GET', `${url}/health/live`)).headers;
    expect(h['content-security-policy']).toContain("default-src 'self'");
    expect(h['content-security-policy']).toContain("script-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-frame-options']).toBe('DENY');
    // HSTS only where the cloud itself serves HTTPS
    expect(h['strict-transport-security']).toBeUndefined();
  });
});

describe.each(dbKinds)('login throttle on %s', (kind) => {
  let t: TestCloud;
  let url: string;
  const login = (username: string, password: string, localAddress: string) => new CookieClient(url, localAddress).call('POST', '/api/v1/auth/login', { body: { username, password } });
  beforeAll(async () => {
    t = await startTestCloud(kind);
    url = t.cloud.url;
  });
  afterAll(async () => t?.close());

  it('lets one address try at most 5 passwords a minute, over all user names, with growing delays', async () => {
    const from = '127.0.0.10';
    for (let i = 0; i < 3; i++) expect((await login(`nobody${i}`, 'wrong-password', from)).status).toBe(401);
    const delayed = await login('nobody3', 'wrong-password', from);
    expect(delayed.status).toBe(429);
    expect(delayed.body.error).toMatch(/too many failed logins from this address: try again in \d+ s/);
    expect(Number(delayed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // another address is not held back by this one
    expect((await login('nobody4', 'wrong-password', '127.0.0.11')).status).toBe(401);
  });

  it('never locks the real user out: while one address hammers the account, the right password from another works', async () => {
    const attacker = '127.0.0.20';
    let refused = 0;
    for (let i = 0; i < 30; i++) if ((await login('admin', `guess-${i}`, attacker)).status === 429) refused++;
    expect(refused).toBeGreaterThanOrEqual(25);
    const real = await login('admin', t.adminPassword, '127.0.0.21');
    expect(real.status).toBe(200);
    // the attacker's address stays refused, even with the right password (no oracle)
    expect((await login('admin', t.adminPassword, attacker)).status).toBe(429);
  });

  it('caps the tries on one account from many addresses, and a browser that logged in before still gets in', async () => {
    const victim = await t.user('vic-target', 'planner');
    // the real user's browser logged in once before: it holds a known-client cookie
    const browser = new CookieClient(url, '127.0.0.30');
    expect((await browser.call('POST', '/api/v1/auth/login', { body: { username: 'vic-target', password: victim.password, session: 'cookie' } })).status).toBe(200);
    expect(browser.cookies.get('pt_known')).toBeTruthy();
    // a crowd of addresses, two wrong passwords each (never enough to slow any one address)
    const statuses: number[] = [];
    for (let a = 40; a < 52; a++) for (let i = 0; i < 2; i++) statuses.push((await login('vic-target', `crowd-${a}-${i}`, `127.0.0.${a}`)).status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    const capped = await login('vic-target', victim.password, '127.0.0.60');
    expect(capped.status).toBe(429);
    expect(capped.body.error).toMatch(/too many failed logins for vic-target/);
    // the real user's browser (known client) is judged on its own and gets in, from the same NAT address as the crowd too
    const again = await browser.call('POST', '/api/v1/auth/login', { body: { username: 'vic-target', password: victim.password, session: 'cookie' } });
    expect(again.status).toBe(200);
    const viaNat = new CookieClient(url, '127.0.0.41');
    viaNat.cookies.set('pt_known', browser.cookies.get('pt_known')!);
    expect((await viaNat.call('POST', '/api/v1/auth/login', { body: { username: 'vic-target', password: victim.password } })).status).toBe(200);
    // a known-client cookie is good for its own account only
    const other = new CookieClient(url, '127.0.0.60');
    other.cookies.set('pt_known', browser.cookies.get('pt_known')!);
    expect((await other.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'wrong-password' } })).status).toBe(401);
  });

  it('audits failed logins with the address', async () => {
    const a = await call('GET', `${url}/api/v1/audit?action=auth.login_failed&limit=5`, { token: t.adminToken });
    expect(a.status).toBe(200);
    expect(a.body.length).toBeGreaterThan(0);
    expect(a.body.every((e: { action: string }) => e.action === 'auth.login_failed')).toBe(true);
    expect(a.body[0].detail.address).toMatch(/^(::ffff:)?127\.0\.0\.\d+$/);
  });
});
