import type { Agent } from 'node:http';
import { jsonRequest } from '@plant-twin/runtime';

/** What a JSON HTTP call came back with; transport failures are thrown as Unreachable. */
export interface HttpResult {
  status: number;
  body: unknown;
}

/**
 * The request never got an answer: refused, dropped or timed out. `maybeDelivered` is true when
 * the request may have reached the server (only a refused connection proves it did not).
 */
export class Unreachable extends Error {
  constructor(
    readonly url: string,
    readonly reason: unknown,
    readonly maybeDelivered: boolean,
  ) {
    super(`${url}: ${(reason as { code?: string; message?: string })?.code ?? (reason as Error)?.message ?? String(reason)}`);
    this.name = 'Unreachable';
  }
}

/** A JSON call; an answer that is not JSON becomes `{ error: <its start> }`, an empty one null. */
export async function requestJson(url: string, init: { method: string; headers: Record<string, string>; body?: unknown; timeoutMs: number; signal?: AbortSignal | undefined; agent?: Agent }): Promise<HttpResult> {
  try {
    const r = await jsonRequest(init.method, url, {
      headers: { accept: 'application/json', ...init.headers },
      body: init.body,
      timeoutMs: init.timeoutMs,
      ...(init.signal ? { signal: init.signal } : {}),
      ...(init.agent ? { agent: init.agent } : {}),
    });
    const body = typeof r.body !== 'string' ? r.body : r.body === '' ? null : { error: r.body.slice(0, 200) };
    return { status: r.status, body };
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new Unreachable(url, err, code !== 'ECONNREFUSED' && code !== 'ENOTFOUND');
  }
}
