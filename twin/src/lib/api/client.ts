/**
 * The twin's one HTTP client: relative URLs under /api/v1 (the cloud and the edge andon server serve
 * the twin from their own origin), the session cookie sent by the browser, and on every change
 * (POST/PUT/PATCH/DELETE) the X-CSRF-Token header the cloud checks against its pt_csrf cookie.
 * Errors carry the cloud's own reason ({error}) so a refused action can say why.
 */
export const csrfCookie = 'pt_csrf';
export const csrfHeader = 'X-CSRF-Token';
const timeoutMs = 15_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The words to show for a failed call: the cloud's own reason when it gave one. */
export const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export interface ApiClientOptions {
  base?: string;
  fetch?: typeof fetch;
  /** called on a 401 (the session ended): the app sends the user to the login page */
  onUnauthorized?: (path: string) => void;
}

/** The pt_csrf cookie's value, if the page can see one. */
export function readCookie(name: string, cookies = typeof document === 'undefined' ? '' : document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  private csrf: string | null = null;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: ApiClientOptions = {}) {
    this.base = opts.base ?? '/api/v1';
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
  }

  /** Remembers the CSRF token a login or /auth/me answered (the cookie wins when readable). */
  setCsrfToken(token: string | null | undefined): void {
    this.csrf = token ?? null;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path + queryString(query), undefined, signal);
  }

  /** `timeoutMs`: for calls that compute (a plan, a simulation) longer than the default 15 s allows */
  post<T>(path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>('POST', path, body ?? {}, undefined, timeoutMs);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, limitMs = timeoutMs): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD') {
      const token = readCookie(csrfCookie) ?? this.csrf;
      if (token) headers[csrfHeader] = token;
    }
    const timeout = AbortSignal.timeout(limitMs);
    const res = await this.fetchFn(this.base + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      if (res.status === 401) this.opts.onUnauthorized?.(path);
      const reason = typeof data === 'object' && data && 'error' in data ? String((data as { error: unknown }).error) : res.statusText;
      throw new ApiError(res.status, reason || `HTTP ${res.status}`, data);
    }
    return data as T;
  }
}
