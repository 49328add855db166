import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A JSON request to one of the plant's programs over a real socket (HTTPS with a pinned CA when given).
 * An answer that is not JSON (Prometheus metrics) comes back as its text.
 */
export function jsonRequest(
  method: string,
  url: string,
  opts: { body?: unknown; headers?: Record<string, string>; ca?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers = { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...opts.headers };
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(u, { method, headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the text itself
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    r.on('error', reject);
    if (opts.timeoutMs) r.setTimeout(opts.timeoutMs, () => r.destroy(new Error(`${method} ${url}: no answer within ${opts.timeoutMs} ms`)));
    if (payload) r.write(payload);
    r.end();
  });
}
