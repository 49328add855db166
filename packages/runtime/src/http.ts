import { timingSafeEqual, createHash } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { z } from 'zod';

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

export function bearerToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** Middleware: every request must carry `Authorization: Bearer <token>`. */
export function requireBearer(expected: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (tokenMatches(bearerToken(req), expected)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'missing or invalid bearer token' });
  };
}

export interface ServiceHttpOptions {
  log: Logger;
  /** true when the service can do its work (e.g. connected to machine and broker) */
  ready: () => boolean | { ready: boolean; detail?: Record<string, unknown> };
  registry?: Registry;
}

/**
 * An express app with the probes and metrics every program serves without authentication:
 * GET /health/live, GET /health/ready (503 until ready), GET /metrics (Prometheus).
 * Routes added after this are the service's own; `finish` adds the JSON error handler.
 */
export function createServiceApp(opts: ServiceHttpOptions): { app: Express; registry: Registry; finish: () => void } {
  const registry = opts.registry ?? new Registry();
  collectDefaultMetrics({ register: registry });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.get('/health/live', (_req, res) => void res.json({ live: true }));
  app.get('/health/ready', (_req, res) => {
    const r = opts.ready();
    const state = typeof r === 'boolean' ? { ready: r } : r;
    res.status(state.ready ? 200 : 503).json(state);
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  const finish = () => {
    app.use((_req: Request, res: Response) => void res.status(404).json({ error: 'not found' }));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      if (err instanceof ValidationError) return void res.status(400).json({ error: 'invalid request', fields: err.fields });
      if (err instanceof HttpError) return void res.status(err.status).json({ error: err.message });
      const e = err as { type?: string; status?: number; message?: string };
      if (e?.type === 'entity.parse.failed') return void res.status(400).json({ error: 'body is not valid JSON', fields: [] });
      if (e?.type === 'entity.too.large') return void res.status(413).json({ error: 'body too large' });
      opts.log.error({ err }, 'request failed');
      res.status(500).json({ error: 'internal error' });
    });
  };
  return { app, registry, finish };
}

export function listen(app: Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
