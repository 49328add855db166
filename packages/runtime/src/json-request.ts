import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { gzipSync } from 'node:zlib';

export interface JsonRequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** gzip the body (Content-Encoding: gzip), as the edge's publisher sends its batches */
  gzip?: boolean;
  /** pinned CA of an HTTPS server */
  ca?: string | Buffer;
  timeoutMs?: number;
  /** another loopback address (127.0.0.2 …) plays another client */
  localAddress?: string;
  /** kept-alive connections of the caller's (with their own CA); default: a connection of its own */
  agent?: Agent;
  /** aborts the request (a long poll at stop) */
  signal?: AbortSignal;
}

export interface JsonAnswer {
  status: number;
  /** the parsed JSON, or the text when the answer is not JSON (Prometheus metrics) */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A JSON request to one of the plant's programs over a real socket (HTTPS with a pinned CA when given),
 * on a connection of its own unless the caller brings an agent: a kept-alive one the server just
 * closed would fail a caller by chance. node:http, not fetch: fetch's parser is WebAssembly, which V8's
 * lite mode (the edge's small programs) does not have.
 */
export function jsonRequest(method: string, url: string, opts: JsonRequestOptions = {}): Promise<JsonAnswer> {
  const u = new URL(url);
  const json = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const payload = json && opts.gzip ? gzipSync(json) : json;
  const headers: Record<string, string> = {
    ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
    ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
    ...opts.headers,
  };
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = opts.ca ? { ca: opts.ca } : {};
  const local = opts.localAddress ? { localAddress: opts.localAddress } : {};
  return new Promise((resolve, reject) => {
    const r = send(u, { method, headers, agent: opts.agent ?? false, ...tls, ...local }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the text itself
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    r.on('error', reject);
    // one listener per request, removed with it: a caller's signal may outlive many requests
    const abort = () => r.destroy(new Error(`${method} ${url}: stopped`));
    opts.signal?.addEventListener('abort', abort, { once: true });
    r.on('close', () => opts.signal?.removeEventListener('abort', abort));
    if (opts.timeoutMs) r.setTimeout(opts.timeoutMs, () => r.destroy(new Error(`${method} ${url}: no answer within ${opts.timeoutMs} ms`)));
    if (payload) r.write(payload);
    r.end();
  });
}
