import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { bearerToken, errorAnswer, notFoundAnswer, readinessAnswer, tokenMatches, unauthorizedAnswer, serviceRegistry, type HttpAnswer, type ServiceHttpOptions } from './http.js';

function send(res: Response, a: HttpAnswer): void {
  if (a.headers) res.set(a.headers);
  res.status(a.status).json(a.body);
}

/** Middleware: every request must carry `Authorization: Bearer <token>`. */
export function requireBearer(expected: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (tokenMatches(bearerToken(req), expected)) return next();
    send(res, unauthorizedAnswer);
  };
}

/**
 * An express app with the probes and metrics every program serves without authentication:
 * GET /health/live, GET /health/ready (503 until ready), GET /metrics (Prometheus).
 * Routes added after this are the service's own; `finish` adds the JSON error handler.
 * (Machine pods use the express-free `createLightService` with the same probes and answers.)
 */
export function createServiceApp(opts: ServiceHttpOptions): { app: Express; registry: Registry; finish: () => void } {
  const registry = serviceRegistry(opts.registry);
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.get('/health/live', (_req, res) => void res.json({ live: true }));
  app.get('/health/ready', (_req, res) => send(res, readinessAnswer(opts.ready)));
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  const finish = () => {
    app.use((_req: Request, res: Response) => send(res, notFoundAnswer));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => send(res, errorAnswer(err, opts.log)));
  };
  return { app, registry, finish };
}

export function listen(app: Express, port: number, host = '0.0.0.0'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
