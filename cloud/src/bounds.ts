import { sql, type Kysely } from 'kysely';
import * as z from 'zod';
import { HttpError } from '@plant-twin/runtime';
import { dbKindOf } from './db/open.js';
import type { CloudTables } from './db/schema.js';

/**
 * Bounds of every history query (issue 15: one `GET /oee?from=0&to=9e15` stalled the cloud): a
 * maximum range answered with 400 naming it, row limits, a time limit, and a gate that lets only a
 * few such queries run at once with a bounded queue, so ingestion and the probes keep going.
 * New range routes use `rangeQuery` / `optionalRangeQuery` and run their reads through `HistoryReads`.
 */
export interface QueryBounds {
  /** widest [from, to) of a history query, days (CLOUD_QUERY_MAX_DAYS) */
  maxRangeDays: number;
  /** longest a history query may run, ms (CLOUD_QUERY_TIMEOUT_MS): PostgreSQL statement_timeout; on PGlite checked between slices */
  timeoutMs: number;
  /** history queries running at once (CLOUD_QUERY_CONCURRENCY) */
  concurrency: number;
  /** history queries waiting for a turn beyond that (CLOUD_QUERY_QUEUE); more are answered 503 */
  queue: number;
}
export const defaultQueryBounds: QueryBounds = { maxRangeDays: 400, timeoutMs: 15_000, concurrency: 2, queue: 8 };

/** Row limits of list answers (the `limit` or `points` parameter's maximum). */
export const rowLimits = { alarms: 5000, audit: 5000, seriesPoints: 10_000 } as const;

const dayMs = 86_400_000;
/** a time parameter: ms since 1970 (UTC) */
export const epochMs = z.coerce.number().int().min(0);

const tooWide = (b: QueryBounds) => `range longer than the maximum of ${b.maxRangeDays} days (CLOUD_QUERY_MAX_DAYS): ask for a shorter one`;

/** `from` and `to` (ms, required), to after from, at most `maxRangeDays` apart. */
export function rangeQuery(b: QueryBounds) {
  return z.object({ from: epochMs, to: epochMs }).superRefine((r, ctx) => {
    if (r.to <= r.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (r.to - r.from > b.maxRangeDays * dayMs) ctx.addIssue({ code: 'custom', path: ['to'], message: tooWide(b) });
  });
}

/**
 * `from` and `to` optional: `to` defaults to now, `from` to `defaultDays` before `to` (at most the
 * maximum); the same checks as `rangeQuery` after that.
 */
export function optionalRangeQuery(b: QueryBounds, defaultDays: number, now: () => number = Date.now) {
  return z.object({ from: epochMs.optional(), to: epochMs.optional() }).transform((r, ctx) => {
    const to = r.to ?? now();
    const from = r.from ?? Math.max(0, to - Math.min(defaultDays, b.maxRangeDays) * dayMs);
    if (to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (to - from > b.maxRangeDays * dayMs) ctx.addIssue({ code: 'custom', path: ['to'], message: tooWide(b) });
    return { from, to };
  });
}

/** Why a bounded read was stopped: answered 503 naming the bound. */
export class QueryTimeout extends HttpError {
  constructor(ms: number) {
    super(503, `the query took longer than ${ms} ms (CLOUD_QUERY_TIMEOUT_MS) and was stopped: ask for a shorter range or fewer machines`);
  }
}

/** Throws QueryTimeout once the signal fired; lets other work (ingestion, probes) run in between. */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

type Reader = Kysely<CloudTables>;

/**
 * Runs history queries with a concurrency limit, a bounded queue and a time limit. On PostgreSQL a
 * query runs in a read-only transaction with `SET LOCAL statement_timeout` on its own pooled connection
 * (the pool has more than `concurrency`, so ingestion always finds one). PGlite is one in-process
 * connection with no statement timeout (its WASM backend cannot be interrupted): there the query
 * runs without a transaction, as small statements between which ingestion gets its turn, and the
 * signal stops it between slices.
 */
export class HistoryReads {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly db: Reader,
    readonly bounds: QueryBounds = defaultQueryBounds,
  ) {}

  async run<T>(f: (db: Reader, signal: AbortSignal) => Promise<T>): Promise<T> {
    const { concurrency, queue, timeoutMs } = this.bounds;
    if (this.running >= concurrency) {
      if (this.waiting.length >= queue) {
        throw new HttpError(503, `too many history queries at once (${concurrency} running, ${queue} waiting; CLOUD_QUERY_CONCURRENCY, CLOUD_QUERY_QUEUE): retry shortly`);
      }
      await new Promise<void>((r) => this.waiting.push(r));
    } else this.running++;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new QueryTimeout(timeoutMs)), timeoutMs);
    try {
      if (dbKindOf(this.db) !== 'postgres') return await f(this.db, ac.signal);
      return await this.db.transaction().execute(async (trx) => {
        await sql`set transaction read only`.execute(trx);
        await sql.raw(`set local statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`).execute(trx);
        return f(trx, ac.signal);
      });
    } catch (e) {
      // 57014: query_canceled (statement_timeout)
      if ((e as { code?: string }).code === '57014') throw new QueryTimeout(timeoutMs);
      throw e;
    } finally {
      clearTimeout(timer);
      // the turn passes straight to the next waiter
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
