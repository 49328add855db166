import { request } from 'node:http';

export interface EarlyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends a request that announces a large body (default 20 MB) but writes only its first KB, and
 * resolves with the answer. A service that reads a body before checking credentials never answers
 * (it waits for the rest), so this rejects after `timeoutMs`.
 */
export function answerBeforeBody(url: string, opts: { method?: string; announcedBytes?: number; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<EarlyAnswer> {
  const announced = opts.announcedBytes ?? 20 * 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      f();
    };
    const req = request(url, { method: opts.method ?? 'POST', headers: { 'content-type': 'application/json', 'content-length': String(announced), ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body })));
    });
    const timer = setTimeout(() => settle(() => reject(new Error(`no answer within ${timeoutMs} ms while the body was unsent: the service waits for the body`))), timeoutMs);
    // the server closing the connection after its answer, while we still "send", is expected
    req.on('error', (err) => settle(() => reject(err)));
    req.on('close', () => settle(() => reject(new Error('connection closed without an answer'))));
    req.write(`{"x":"${'a'.repeat(1024)}`);
  });
}
