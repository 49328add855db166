import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { bearerToken, errorAnswer, HttpError, metricsAnswer, metricsTokenOf, notFoundAnswer, readinessAnswer, readJsonBody, refusalHeaders, tokenMatches, unauthorizedAnswer, serviceRegistry, type HttpAnswer, type ServiceHttpOptions } from './http.js';

/**
 * The express-free HTTP service of the machine pods: the same probes, metrics, JSON answers and
 * error bodies as `createServiceApp`, on node:http with a small route table. Express and its
 * dependency tree cost a pod ~8 MB of its 60 MB memory budget for six routes.
 */
export interface LightRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** parsed JSON body (undefined when the request has none) */
  body: unknown;
}

export type LightHandler = (req: LightRequest) => HttpAnswer | Promise<HttpAnswer>;

export interface LightService {
  registry: Registry;
  /**
   * adds a route; `:name` segments become params; `auth` = bearer token the request must carry
   * (checked before the body is read); `bodyLimit` = largest JSON body in bytes (default 1 MB)
   */
  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, handler: LightHandler, opts?: { auth?: string; bodyLimit?: number }): void;
  listen(port: number, host?: string): Promise<Server>;
}

interface Route {
  method: string;
  match: RegExp;
  names: string[];
  handler: LightHandler;
  auth?: string;
  bodyLimit: number;
}

const defaultBodyLimit = 1024 * 1024;

function compile(pattern: string): { match: RegExp; names: string[] } {
  const names: string[] = [];
  const re = pattern
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(seg.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { match: new RegExp(`^${re}/?$`), names };
}

function send(res: ServerResponse, a: HttpAnswer): void {
  const json = a.body === undefined ? undefined : JSON.stringify(a.body);
  res.writeHead(a.status, { ...(json !== undefined ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) } : {}), ...a.headers });
  res.end(json);
}

export function createLightService(opts: ServiceHttpOptions): LightService {
  const registry = serviceRegistry(opts.registry);
  const routes: Route[] = [];
  const metricsToken = metricsTokenOf(opts);
  const route: LightService['route'] = (method, pattern, handler, o = {}) => routes.push({ method, ...compile(pattern), handler, auth: o.auth, bodyLimit: o.bodyLimit ?? defaultBodyLimit });
  route('GET', '/health/live', () => ({ status: 200, body: { live: true } }));
  route('GET', '/health/ready', () => readinessAnswer(opts.ready));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://pod');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const a = await metricsAnswer(registry, metricsToken, bearerToken(req));
      if (a.status !== 200) return send(res, a);
      res.writeHead(200, { 'Content-Type': registry.contentType });
      return void res.end(a.body);
    }
    let params: Record<string, string> | undefined;
    // the first route whose pattern matches, as express does ('/jobs/current' before '/jobs/:jobId')
    const r = routes.find((x) => {
      if (x.method !== req.method) return false;
      const m = x.match.exec(url.pathname);
      if (!m) return false;
      params = Object.fromEntries(x.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return true;
    });
    if (!r) return send(res, { ...notFoundAnswer, headers: refusalHeaders(req) });
    if (r.auth !== undefined && !tokenMatches(bearerToken(req), r.auth)) return send(res, { ...unauthorizedAnswer, headers: { ...unauthorizedAnswer.headers, ...refusalHeaders(req) } });
    const body = await readJsonBody(req, r.bodyLimit);
    send(res, await r.handler({ params: params!, query: Object.fromEntries(url.searchParams), headers: req.headers, body }));
  }

  return {
    registry,
    route,
    listen(port, host = '127.0.0.1') {
      const server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          if (err instanceof URIError) err = new HttpError(400, 'malformed percent-encoding in the path');
          const a = errorAnswer(err, opts.log);
          // a body refused for its size is not read to its end
          if (!res.headersSent) send(res, a.status === 413 ? { ...a, headers: { ...a.headers, Connection: 'close' } } : a);
        });
      });
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server));
      });
    },
  };
}
