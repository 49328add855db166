import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/**
 * The built twin (twin/dist) as the cloud serves it: hashed assets cached for a year, index.html never
 * cached, and a GET of any other page path that accepts text/html answered with index.html (so
 * /andon?device=... and a reload work). Paths outside the folder are never served.
 */
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that are never the twin's: the API, the socket, the probes, the metrics. */
const notTwin = /^\/(api|socket\.io|health)(\/|$)|^\/metrics$/;

/**
 * Security headers of every answer, as the cloud sends them (scripts and styles from the twin's own
 * files only, style attributes allowed for Svelte and uPlot, socket.io same-origin, no framing).
 */
export function securityHeaders(https: boolean): Record<string, string> {
  const csp = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "style-src-attr 'unsafe-inline'", "img-src 'self' data: blob:", "font-src 'self'",
    "connect-src 'self'", "worker-src 'self' blob:", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/** Answers the request from the twin's files; false when the request is not for them (the API's, or a 404). */
export function serveTwin(dir: string, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://andon').pathname);
  } catch {
    return false;
  }
  if (notTwin.test(path)) return false;
  const file = normalize(join(dir, path));
  if (file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile() && !file.endsWith(`${sep}index.html`)) {
    send(res, req, file, path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    return true;
  }
  // a navigation names text/html; a missing asset (a path with an extension) stays a 404
  if (extname(path) !== '' || !req.headers.accept?.includes('text/html')) return false;
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('The twin is not built: run npm run build (it builds twin/dist).\n');
    return true;
  }
  send(res, req, index, 'no-cache');
  return true;
}

function send(res: ServerResponse, req: IncomingMessage, file: string, cacheControl: string): void {
  res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': cacheControl });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
