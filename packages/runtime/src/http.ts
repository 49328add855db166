import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type * as z from 'zod';

/** A field-level validation error answered as 400 { error, fields: [{ path, message }] }. */
export class ValidationError extends Error {
  constructor(readonly fields: { path: string; message: string }[]) {
    super(`invalid request: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`);
  }
}

/** An error with an HTTP status, answered as { error: message }. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function validate<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new ValidationError(r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message })));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

export function bearerToken(req: { headers: IncomingHttpHeaders }): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** An HTTP answer as data: what the express and the plain node:http services both send. */
export interface HttpAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const unauthorizedAnswer: HttpAnswer = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: 'missing or invalid bearer token' } };
export const notFoundAnswer: HttpAnswer = { status: 404, body: { error: 'not found' } };

/** The answer to an error a handler threw (or a body parser raised): 400 / 413 / status / 500. */
export function errorAnswer(err: unknown, log: Logger): HttpAnswer {
  if (err instanceof ValidationError) return { status: 400, body: { error: 'invalid request', fields: err.fields } };
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message } };
  const e = err as { type?: string };
  if (e?.type === 'entity.parse.failed') return { status: 400, body: { error: 'body is not valid JSON', fields: [] } };
  if (e?.type === 'entity.too.large') return { status: 413, body: { error: 'body too large' } };
  log.error({ err }, 'request failed');
  return { status: 500, body: { error: 'internal error' } };
}

export interface ServiceHttpOptions {
  log: Logger;
  /** true when the service can do its work (e.g. connected to machine and broker) */
  ready: () => boolean | { ready: boolean; detail?: Record<string, unknown> };
  registry?: Registry;
  /** bearer token GET /metrics requires; default: env METRICS_TOKEN (the deployment gives every program one) */
  metricsToken?: string | undefined;
}

/**
 * The token /metrics requires, or undefined when none is configured: then GET /metrics refuses every
 * request (secure by default: a program started by hand does not hand its internals to anyone who
 * asks) and says how to turn it on. Every deployment sets METRICS_TOKEN.
 */
export function metricsTokenOf(opts: ServiceHttpOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = opts.metricsToken ?? (env.METRICS_TOKEN || undefined);
  if (!token) opts.log.warn('METRICS_TOKEN not set: GET /metrics refuses every request until it is');
  return token;
}

export const metricsOffAnswer: HttpAnswer = {
  status: 403,
  body: { error: 'metrics are off: no METRICS_TOKEN is configured; set METRICS_TOKEN and send it as Authorization: Bearer <token>' },
};
const metricsRefusal: HttpAnswer = {
  status: 401,
  headers: { 'WWW-Authenticate': 'Bearer' },
  body: { error: 'metrics need the metrics bearer token (METRICS_TOKEN)' },
};

/** GET /metrics: the Prometheus text (body); 401 without the metrics token, 403 when none is configured. */
export async function metricsAnswer(registry: Registry, token: string | undefined, presented: string | undefined): Promise<HttpAnswer> {
  if (token === undefined) return metricsOffAnswer;
  if (!tokenMatches(presented, token)) return metricsRefusal;
  return { status: 200, body: await registry.metrics() };
}

/**
 * Headers of a refusal sent before the request's body was read: the connection closes after the
 * answer, so a refused client cannot make the service read (or drain) a large body.
 */
export function refusalHeaders(req: { headers: IncomingHttpHeaders }): Record<string, string> {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  return hasBody ? { Connection: 'close' } : {};
}

/** The registry a service's GET /metrics serves, with Node's process metrics added. */
export function serviceRegistry(registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** GET /health/ready: 200 when ready, 503 until then, with the service's detail. */
export function readinessAnswer(ready: ServiceHttpOptions['ready']): HttpAnswer {
  const r = ready();
  const state = typeof r === 'boolean' ? { ready: r } : r;
  return { status: state.ready ? 200 : 503, body: state };
}

const bodyError = (message: string, type: 'entity.too.large' | 'entity.parse.failed') => Object.assign(new Error(message), { type });

/**
 * Reads a body of at most `limit` bytes. A body announced larger than the bound is refused before a
 * byte of it is read, and one that grows past it is dropped on the spot (nothing kept, the rest never
 * read: the 413 closes the connection), so no client can make a service read or drain more than the
 * bound. Refusals carry `type: 'entity.too.large'` (answered 413 by `errorAnswer`).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return reject(bodyError(`body larger than ${limit} bytes`, 'entity.too.large'));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) return void chunks.push(c);
      req.off('data', onData);
      req.off('end', onEnd);
      req.pause();
      chunks.length = 0;
      reject(bodyError(`body larger than ${limit} bytes`, 'entity.too.large'));
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** Reads a JSON body of at most `limit` bytes (`readBody`); undefined when there is none or it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!/\bjson\b/.test(req.headers['content-type'] ?? '')) return undefined;
  const raw = await readBody(req, limit);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw bodyError('body is not valid JSON', 'entity.parse.failed');
  }
}
