import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, queryString, readCookie } from './client.js';

/** Records what the client sends and answers like the cloud. */
function recorder(status = 200, body: unknown = { ok: true }) {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { sent, fetch };
}
const header = (init: RequestInit, name: string) => (init.headers as Record<string, string>)[name];

describe('api client', () => {
  afterEach(() => {
    document.cookie = 'pt_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
  });

  it('sends the pt_csrf cookie as X-CSRF-Token on changes, never on reads', async () => {
    document.cookie = 'pt_csrf=abc%20123; path=/';
    const r = recorder();
    const api = new ApiClient({ fetch: r.fetch });
    await api.get('/machines', { tags: ['a', 'b'], from: 1, empty: '' });
    await api.post('/alarms/ack', { code: 1 });
    expect(r.sent[0]!.url).toBe('/api/v1/machines?tags=a%2Cb&from=1');
    expect(header(r.sent[0]!.init, 'X-CSRF-Token')).toBeUndefined();
    expect(header(r.sent[1]!.init, 'X-CSRF-Token')).toBe('abc 123');
    expect(r.sent[1]!.init.credentials).toBe('same-origin');
    expect(r.sent[1]!.init.body).toBe('{"code":1}');
  });

  it('falls back to the token the login answered when the cookie cannot be read', async () => {
    const r = recorder();
    const api = new ApiClient({ fetch: r.fetch });
    api.setCsrfToken('from-login');
    await api.delete('/admin/devices/3');
    expect(header(r.sent[0]!.init, 'X-CSRF-Token')).toBe('from-login');
  });

  it("throws the cloud's own reason and reports an ended session", async () => {
    let ended = '';
    const api = new ApiClient({ fetch: recorder(403, { error: 'needs role planner or admin' }).fetch, onUnauthorized: (p) => (ended = p) });
    await expect(api.post('/jobs/J1/commands', {})).rejects.toMatchObject({ status: 403, message: 'needs role planner or admin' });
    const api401 = new ApiClient({ fetch: recorder(401, { error: 'log in first' }).fetch, onUnauthorized: (p) => (ended = p) });
    await expect(api401.get('/plant')).rejects.toBeInstanceOf(ApiError);
    expect(ended).toBe('/plant');
  });

  it('reads cookies and builds query strings', () => {
    expect(readCookie('pt_csrf', 'a=1; pt_csrf=x%3Dy; b=2')).toBe('x=y');
    expect(readCookie('pt_csrf', 'a=1')).toBeNull();
    expect(queryString({ a: undefined, b: null, c: 0 })).toBe('?c=0');
    expect(queryString({})).toBe('');
  });
});
