import { Worker } from 'node:worker_threads';
import { HttpError, type Logger } from '@plant-twin/runtime';
import type { PlanTask, PlanTaskResult } from './tasks.js';

/**
 * Runs the optimiser and the what-if simulation off the cloud's event loop, in worker threads, so
 * planning never stalls ingestion, the live push or the health probes. Two lanes, one worker each:
 * `urgent` for re-plans after events and planners' edits (a second or two), `long` for new plans,
 * re-optimisation and what-if, so a minute-long optimisation never delays a re-plan after a fault.
 * Each lane queues at most `queue` tasks (more: 503), one task per plan at a time (a second one: 409),
 * and a task that overruns its time is stopped with its worker (the next task gets a fresh one).
 * Idle workers end after `idleMs`; workers never keep the process alive.
 */
export type Lane = 'urgent' | 'long';

export interface PoolOptions {
  /** tasks waiting per lane (default 8) */
  queue?: number;
  /** an idle worker ends after this long (default 60 s) */
  idleMs?: number;
  /** heap of one worker, MB (default 1,024: a 50-machine, 2,000-job plan needs well under it) */
  maxHeapMb?: number;
  log: Logger;
}

interface Pending {
  key: string;
  task: PlanTask;
  timeoutMs: number;
  resolve: (r: PlanTaskResult) => void;
  reject: (e: Error) => void;
}

/** The built worker: under the test runner this module is TypeScript source, the worker is always dist/ JavaScript. */
const workerUrl = import.meta.url.endsWith('.ts') ? new URL('../../dist/schedule/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

class LaneWorker {
  private worker: Worker | null = null;
  private readonly waiting: Pending[] = [];
  private running: (Pending & { id: number; timer: NodeJS.Timeout }) | null = null;
  private idle: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(
    readonly lane: Lane,
    private readonly opts: Required<Omit<PoolOptions, 'log'>> & { log: Logger },
    private readonly done: (key: string) => void,
  ) {}

  get length(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  push(p: Pending): void {
    if (this.closed) throw new HttpError(503, 'the scheduler is stopping');
    if (this.waiting.length >= this.opts.queue) throw new HttpError(503, `the scheduler is busy (${this.waiting.length} ${this.lane} tasks waiting): retry shortly`);
    this.waiting.push(p);
    this.pump();
  }

  private spawn(): Worker {
    const w = new Worker(workerUrl, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb } });
    w.unref();
    w.on('message', (m: { id: number; result?: PlanTaskResult; error?: string }) => {
      const r = this.running;
      if (!r || r.id !== m.id) return;
      this.finish();
      if (m.error !== undefined) {
        this.opts.log.error({ lane: this.lane, op: r.task.op, error: m.error }, 'scheduling task failed');
        r.reject(new Error(`scheduling task failed: ${m.error.split('\n')[0]}`));
      } else r.resolve(m.result!);
    });
    w.on('error', (err) => this.lost(w, err));
    w.on('exit', (code) => this.lost(w, new Error(`scheduling worker stopped (exit ${code})`)));
    return w;
  }

  /** the worker died (out of memory, a crash) or was stopped: its task fails, the next gets a new worker */
  private lost(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    const r = this.running;
    if (r) {
      this.finish();
      this.opts.log.error({ lane: this.lane, op: r.task.op, err: err.message }, 'scheduling worker lost');
      r.reject(err instanceof HttpError ? err : new HttpError(503, `the planning run failed (${err.message}): try a smaller budget or retry`));
    }
    this.pump();
  }

  private finish(): void {
    const r = this.running!;
    clearTimeout(r.timer);
    this.running = null;
    this.done(r.key);
    this.pump();
  }

  private pump(): void {
    if (this.running) return;
    const next = this.waiting.shift();
    if (!next) {
      if (this.worker && !this.idle) {
        this.idle = setTimeout(() => this.stop(), this.opts.idleMs);
        this.idle.unref();
      }
      return;
    }
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.opts.log.warn({ lane: this.lane, op: next.task.op, timeoutMs: next.timeoutMs }, 'scheduling task overran its time: worker stopped');
      this.lost(worker, new HttpError(503, `the planning run took longer than ${Math.round(next.timeoutMs / 1000)} s and was stopped`));
      void worker.terminate();
    }, next.timeoutMs);
    timer.unref();
    this.running = { ...next, id, timer };
    worker.postMessage({ id, task: next.task });
  }

  stop(): void {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    for (const p of this.waiting.splice(0)) {
      this.done(p.key);
      p.reject(new HttpError(503, 'the scheduler is stopping'));
    }
    const w = this.worker;
    if (!w) return;
    this.lost(w, new HttpError(503, 'the scheduler is stopping'));
    void w.terminate();
  }
}

export class PlanningPool {
  private readonly busy = new Map<string, string>();
  private readonly lanes: Record<Lane, LaneWorker>;

  constructor(opts: PoolOptions) {
    const full = { queue: opts.queue ?? 8, idleMs: opts.idleMs ?? 60_000, maxHeapMb: opts.maxHeapMb ?? 1024, log: opts.log };
    const done = (key: string) => this.busy.delete(key);
    this.lanes = { urgent: new LaneWorker('urgent', full, done), long: new LaneWorker('long', full, done) };
  }

  /** Runs a task for `key` (a plan id) in a lane; `what` names the work in a 409 to a second caller. */
  run(lane: Lane, key: string, what: string, task: PlanTask, timeoutMs: number): Promise<PlanTaskResult> {
    const holder = this.busy.get(key);
    if (holder) return Promise.reject(new HttpError(409, `plan ${key} is being worked on (${holder}): wait until that is done`));
    return new Promise((resolve, reject) => {
      this.lanes[lane].push({ key, task, timeoutMs, resolve, reject });
      this.busy.set(key, what);
    });
  }

  /** tasks running or waiting per lane */
  load(): Record<Lane, number> {
    return { urgent: this.lanes.urgent.length, long: this.lanes.long.length };
  }

  close(): void {
    this.lanes.urgent.stop();
    this.lanes.long.stop();
  }
}
