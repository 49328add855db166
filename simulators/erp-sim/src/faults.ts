import type { NextFunction, Request, Response } from 'express';
import * as z from 'zod';
import { Rng } from './rng.js';

const rate = z.number().min(0).max(1);
export const faultsSchema = z.strictObject({
  /** share of requests answered 503 before doing anything */
  error5xx: rate.default(0),
  /** share of requests left unanswered for timeoutMs, then dropped */
  timeout: rate.default(0),
  /** share of requests whose connection is dropped before doing anything */
  drop: rate.default(0),
  /** share of requests processed (a confirmation recorded) whose connection is then dropped unanswered */
  dropAfterCommit: rate.default(0),
  /** share of requests processed whose answer is then held back for timeoutMs and the connection dropped (a slow ERP after commit) */
  hangAfterCommit: rate.default(0),
  /** every request answered 503 (ERP down for maintenance) */
  down: z.boolean().default(false),
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  /** which endpoints misbehave */
  scope: z.enum(['all', 'orders', 'confirmations']).default('all'),
});
export type FaultScope = 'orders' | 'confirmations';
export type Faults = z.output<typeof faultsSchema>;

/**
 * Misbehaviour of the ERP's business endpoints, decided per request by a seeded random stream.
 * `after`: do the work, then drop the connection without an answer; `hang`: do the work, answer never.
 */
export class FaultInjector {
  private readonly rng: Rng;
  constructor(
    public faults: Faults,
    seed: number,
  ) {
    this.rng = new Rng((seed ^ 0x5eed) >>> 0);
  }

  middleware(endpoint: FaultScope) {
    return (req: Request, res: Response, next: NextFunction) => {
      const f = this.faults;
      if (f.scope !== 'all' && f.scope !== endpoint) return next();
      if (f.down) return void res.status(503).set('Retry-After', '5').json({ error: 'ERP unavailable (maintenance)' });
      const r = this.rng.next();
      let edge = f.error5xx;
      if (r < edge) return void res.status(503).json({ error: 'ERP temporarily unavailable' });
      if (r < (edge += f.timeout)) {
        const timer = setTimeout(() => req.socket.destroy(), f.timeoutMs);
        req.socket.once('close', () => clearTimeout(timer));
        return;
      }
      if (r < (edge += f.drop)) return void req.socket.destroy();
      res.locals.timeoutMs = f.timeoutMs;
      res.locals.fault = r < (edge += f.dropAfterCommit) ? 'after' : r < edge + f.hangAfterCommit ? 'hang' : 'none';
      next();
    };
  }
}

/** Answers unless the fault injector decided to drop the connection after the work was done. */
export function reply(res: Response, status: number, body: unknown): void {
  if (res.locals.fault === 'after') return void res.req.socket.destroy();
  if (res.locals.fault === 'hang') {
    const timer = setTimeout(() => res.req.socket.destroy(), (res.locals.timeoutMs as number | undefined) ?? 30_000);
    res.req.socket.once('close', () => clearTimeout(timer));
    return;
  }
  res.status(status).json(body);
}
