import { csrfCookie, csrfHeader } from '@plant-twin/contracts';
import { call, type HttpResult } from './http.js';

/**
 * A browser-like client for tests: keeps the cookies the cloud sets (as a browser would, Secure
 * or not: tests talk plain HTTP to 127.0.0.1) and sends X-CSRF-Token from pt_csrf on changes.
 * `localAddress` (127.0.0.2, …) makes it another client address.
 */
export class CookieClient {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly localAddress?: string,
  ) {}

  get csrf(): string | undefined {
    return this.cookies.get(csrfCookie);
  }

  async call(method: string, path: string, opts: { body?: unknown; csrf?: string | false; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const unsafe = !['GET', 'HEAD'].includes(method);
    const csrf = opts.csrf === false ? undefined : (opts.csrf ?? (unsafe ? this.csrf : undefined));
    const headers = { ...(cookie ? { cookie } : {}), ...(csrf ? { [csrfHeader]: csrf } : {}), ...opts.headers };
    const r = await call(method, this.base + path, { body: opts.body, headers, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    this.take(r.headers['set-cookie']);
    return r;
  }

  /** Stores Set-Cookie values; an empty or expired one deletes the cookie. */
  private take(setCookie: string | string[] | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      const expired = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** Logs in with a cookie session (as the twin does); throws when refused. */
export async function cookieLogin(base: string, username: string, password: string, localAddress?: string): Promise<CookieClient> {
  const c = new CookieClient(base, localAddress);
  const r = await c.call('POST', '/api/v1/auth/login', { body: { username, password, session: 'cookie' } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return c;
}
