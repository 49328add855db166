import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Registry } from 'prom-client';
import { bearerToken, errorAnswer, metricsAnswer, metricsTokenOf, notFoundAnswer, readinessAnswer, readJsonBody, refusalHeaders, tokenMatches, unauthorizedAnswer, serviceRegistry, type HttpAnswer, type ServiceHttpOptions } from './http.js';

function send(res: Response, a: HttpAnswer): void {
  if (a.headers) res.set(a.headers);
  res.status(a.status).json(a.body);
}

/** Default bound of a JSON body, bytes (routes that take more say so with their own `jsonBody`). */
export const defaultJsonLimit = 1024 * 1024;

/**
 * Reads the JSON body (at most `limitBytes`) into `req.body`. Mount it AFTER the route's credential
 * check: a refused request never has its body read (`createServiceApp` parses nothing by itself).
 */
export function jsonBody(limitBytes: number = defaultJsonLimit): RequestHandler {
  return (req, _res, next) => {
    // read already (another parser before it, body-parser's convention): nothing left to read
    const parsed = req as { _body?: boolean };

    if (parsed._body || req.readableEnded) return next();
    readJsonBody(req, limitBytes).then((body) => {
      req.body = body;
      parsed._body = true;
      next();
    }, next);
  };
}

/** Sends a refusal; a body still on its way is not read: the connection closes after the answer. */
export function refuse(req: Request, res: Response, a: HttpAnswer): void {
  res.set(refusalHeaders(req));
  send(res, a);
}

/** Every request must carry `Authorization: Bearer <token>`; then its JSON body (bounded) is read. */
export function requireBearer(expected: string, bodyLimit: number = defaultJsonLimit): RequestHandler {
  const parse = jsonBody(bodyLimit);
  return (req, res, next) => {
    if (!tokenMatches(bearerToken(req), expected)) return refuse(req, res, unauthorizedAnswer);
    parse(req, res, next);
  };
}

/**
 * An express app with the probes every program serves without authentication (GET /health/live,
 * GET /health/ready: 503 until ready) and GET /metrics (Prometheus) behind the metrics bearer token
 * (`metricsToken`, default env METRICS_TOKEN). Routes added after this are the service's own; each
 * reads its body only after its own credential check (`requireBearer`, or `jsonBody` after another
 * check); `finish` adds the JSON 404 and error handlers.
 * (Machine pods use the express-free `createLightService` with the same probes and answers.)
 */
export function createServiceApp(opts: ServiceHttpOptions): { app: Express; registry: Registry; finish: () => void } {
  const registry = serviceRegistry(opts.registry);
  const metricsToken = metricsTokenOf(opts);
  const app = express();
  app.disable('x-powered-by');
  app.get('/health/live', (_req, res) => void res.json({ live: true }));
  app.get('/health/ready', (_req, res) => send(res, readinessAnswer(opts.ready)));
  app.get('/metrics', async (req, res) => {
    const a = await metricsAnswer(registry, metricsToken, bearerToken(req));
    if (a.status !== 200) return send(res, a);
    res.set('Content-Type', registry.contentType).send(a.body);
  });
  const finish = () => {
    app.use((req: Request, res: Response) => refuse(req, res, notFoundAnswer));
    app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
      const a = errorAnswer(err, opts.log);
      // a body refused for its size was not read to its end
      if (a.status === 413) res.set('Connection', 'close');
      send(res, a);
    });
  };
  return { app, registry, finish };
}

export function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
