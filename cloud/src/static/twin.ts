import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type RequestHandler } from 'express';

/** Paths that are never the twin's: the API, the socket, the probes, the metrics. */
const notTwin = /^\/(api|socket\.io|health)(\/|$)|^\/metrics$/;

/**
 * Serves the built twin (`twin/dist`): hashed assets with a year's cache (their names change with
 * their content), index.html never cached (it names the current assets), and an SPA fallback: a GET
 * for any other path that accepts text/html gets index.html, so every view has its own URL and a
 * reload works. Without a build, such a GET is answered 503 with what to run.
 */
export function twinApp(dir: string): RequestHandler[] {
  const index = join(dir, 'index.html');
  const assets = express.static(dir, {
    index: false,
    setHeaders: (res, path) => res.set('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  // a navigation names text/html; a missing asset (a path with an extension) stays a 404
  const wantsPage = (req: Request) => (req.method === 'GET' || req.method === 'HEAD') && !notTwin.test(req.path) && !/\.[A-Za-z0-9]+$/.test(req.path) && Boolean(req.headers.accept?.includes('text/html'));
  const fallback: RequestHandler = (req, res, next) => {
    if (!wantsPage(req)) return next();
    if (!existsSync(index)) return void res.status(503).type('text/plain').send('The twin is not built: run npm run build (it builds twin/dist).\n');
    res.set('Cache-Control', 'no-cache').sendFile(index);
  };
  return [assets, fallback];
}
