import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gzipSync } from 'node:zlib';

export interface HttpResult {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** A JSON request over a real socket (HTTPS with a pinned CA when given). */
export function call(method: string, url: string, opts: { body?: unknown; headers?: Record<string, string>; gzip?: boolean; ca?: string; token?: string; timeoutMs?: number; localAddress?: string } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const json = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const payload = json && opts.gzip ? gzipSync(json) : json;
  const headers: Record<string, string> = { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // localAddress: another loopback address (127.0.0.2 …) plays another client
    // a connection per request: a kept-alive one the server just closed would fail the test by chance
    const r = req(u, { method, headers, agent: false, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    r.on('error', reject);
    if (opts.timeoutMs) r.setTimeout(opts.timeoutMs, () => r.destroy(new Error(`${method} ${url}: no answer within ${opts.timeoutMs} ms`)));
    if (payload) r.write(payload);
    r.end();
  });
}
