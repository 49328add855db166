import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
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
