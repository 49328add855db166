import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileFormats, jobFileSuffix, jobRequestSuffix, type FileInterface, type MachineState } from '@plant-twin/plant-model';
import type { DispatchJob, JobAction } from '@plant-twin/contracts';
import { writeFileAtomic } from '../../state-file.js';
import { JobRefused, MachineUnavailable, type DriverContext, type JobHandshake, type MachineDriver, type MachineEvent } from '../types.js';
import { FileLedger } from './ledger.js';
import { FileFormatError, parseResultFile, type ResultRecord } from './parse.js';

export interface FileDriverOptions {
  /** periodic rescan: network shares often deliver no change notifications */
  rescanMs?: number;
  /** a file counts as complete once its size and mtime have not changed for this long */
  stableMs?: number;
  /** state inference: no result for this many ideal cycle times (at least minIdleMs) means not running */
  idleAfterCycles?: number;
  minIdleMs?: number;
  /** wall-clock scale of machine time (1 / simulator speed factor) for the inference rule */
  timeScale?: number;
  /** a job the machine marked done completes after this long even if result files are still missing */
  doneGraceMs?: number;
}

/** gaps between one result and the next cycle's start shorter than this are timing noise, not a stop */
const minStopMs = 1_000;

interface Follow {
  jobId: string;
  good: number;
  scrap: number;
  written: boolean;
  pending?: { action: 'hold' | 'resume'; file: string };
  doneSince?: number;
}

/**
 * File-drop machines: results from `<share>/<outbox>`, jobs into `<share>/<inbox>`.
 * Each result file is handled exactly once: parsed, its messages acknowledged by the broker, then
 * recorded in the ledger (name + sha256) and moved to `<share>/archive/` (malformed ones to
 * `<share>/quarantine/` with `<name>.reason.txt`). Nothing is ever deleted; name collisions get a
 * `~n` suffix.
 *
 * State inference (file machines report none): a result arriving means running; no result for
 * `idleAfterCycles` × the ideal cycle time of the part (at least `minIdleMs`) means starved while a
 * job is running on the machine, idle otherwise. The share being unreachable is a lost connection.
 */
export class FileDriver implements MachineDriver {
  readonly jobs?: JobHandshake;
  private readonly itf: FileInterface;
  private readonly outDir: string;
  private readonly inDir: string | undefined;
  private readonly ledger: FileLedger;
  private readonly o: Required<FileDriverOptions>;
  private up = false;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly stability = new Map<string, { size: number; mtimeMs: number; since: number }>();
  private lastResult: { wall: number; ts: number; idealMs: number } | undefined;
  private inferred: MachineState | undefined;
  /** when the inferred stop in force began (a resumption must come after it) */
  private stoppedAt = -Infinity;
  private follow: Follow | undefined;

  constructor(
    private readonly ctx: DriverContext,
    opts: FileDriverOptions = {},
  ) {
    const itf = ctx.machine.interface;
    if (itf.type !== 'file') throw new Error(`${ctx.machine.id} is not a file machine`);
    this.itf = itf;
    this.outDir = join(itf.share, itf.outbox);
    this.inDir = itf.inbox ? join(itf.share, itf.inbox) : undefined;
    this.ledger = new FileLedger(join(ctx.stateDir, 'file-ledger.jsonl'));
    this.o = { rescanMs: 2000, stableMs: 500, idleAfterCycles: 3, minIdleMs: 5000, timeScale: 1, doneGraceMs: 10_000, ...opts };
    if (this.inDir) this.jobs = { dispatch: (job) => this.dispatch(job), command: (id, action, job) => this.command(id, action, job) };
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.schedule(), this.o.rescanMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.watcher?.close();
    await this.running;
  }

  connected(): boolean {
    return this.up;
  }

  /** Runs one scan at a time; a request during a scan runs another right after it. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const started = performance.now();
    this.running = this.scan()
      .then(() => this.ctx.metrics.pollDuration.observe({ ...this.ctx.metrics.labels, class: 'scan' }, (performance.now() - started) / 1000))
      .catch((err) => this.ctx.log.error({ err }, 'file scan failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    if (!up) {
      this.watcher?.close();
      this.watcher = undefined;
      this.inferred = undefined;
      this.stability.clear();
    } else {
      try {
        this.watcher = watch(this.outDir, () => this.schedule());
        this.watcher.on('error', () => this.setUp(false, 'watch error'));
      } catch {
        // no notifications on this share: the periodic rescan does the work
      }
    }
    this.ctx.connection(up, reason);
  }

  private async scan(): Promise<void> {
    let names: string[];
    try {
      if (!(await stat(this.outDir)).isDirectory()) throw new Error(`${this.outDir} is not a directory`);
      names = await readdir(this.outDir);
    } catch (err) {
      this.setUp(false, `share outbox ${this.outDir} unreachable: ${(err as Error).message}`);
      return;
    }
    this.setUp(true);
    const ext = fileFormats[this.itf.format].ext;
    const candidates = names.filter((n) => extname(n).toLowerCase() === ext && !n.startsWith('.')).sort();
    for (const name of candidates) {
      if (this.stopped) return;
      await this.consider(name);
    }
    for (const n of this.stability.keys()) if (!candidates.includes(n)) this.stability.delete(n);
    await this.followJob();
    this.inferState();
  }

  private async consider(name: string): Promise<void> {
    const path = join(this.outDir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      return;
    }
    if (!st.isFile()) return;
    const now = Date.now();
    const prev = this.stability.get(name);
    if (!prev || prev.size !== st.size || prev.mtimeMs !== st.mtimeMs) {
      this.stability.set(name, { size: st.size, mtimeMs: st.mtimeMs, since: now });
      setTimeout(() => this.schedule(), this.o.stableMs + 20).unref();
      return;
    }
    if (now - prev.since < this.o.stableMs) return;
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (err) {
      this.ctx.log.warn({ file: name, err: (err as Error).message }, 'cannot read result file; retrying');
      return;
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    const done = this.ledger.outcome(name, sha256);
    if (done) {
      // handled before a restart that came before the move
      await this.move(name, done === 'archived' ? 'archive' : 'quarantine');
      return;
    }
    let records: ResultRecord[];
    try {
      records = parseResultFile(this.ctx.machine, content.toString('utf8'));
    } catch (err) {
      const problems = err instanceof FileFormatError ? err.problems : [`cannot parse: ${(err as Error).message}`];
      await this.quarantine(name, sha256, problems);
      return;
    }
    await this.ctx.emit(this.eventsFor(records), { durable: false });
    this.ledger.record(name, sha256, 'archived');
    this.countForJob(records);
    await this.move(name, 'archive');
    this.stability.delete(name);
    this.ctx.metrics.filesProcessed.inc(this.ctx.metrics.labels);
  }

  /**
   * A record says the machine ran for its cycle time before its timestamp; a longer gap since the
   * previous result was a stop (a stop interrupts a cycle, so its length is exact and its place
   * within the gap is put at the gap's start). So state messages carry the times production stopped
   * and resumed, not the times the pod noticed.
   */
  private eventsFor(records: ResultRecord[]): MachineEvent[] {
    const events: MachineEvent[] = [];
    let prev = this.lastResult?.ts;
    for (const r of records) {
      const cycleStart = r.ts - Math.round(r.cycleTimeS * 1000);
      const start = prev === undefined ? cycleStart : Math.max(prev, cycleStart);
      if (prev !== undefined && start - prev >= minStopMs && this.inferred === 'running') {
        this.inferred = this.stopState();
        this.stoppedAt = prev;
        events.push({ type: 'state', ts: prev, state: this.inferred });
      }
      if (this.inferred !== 'running') {
        // a stop inferred from silence that this record disproves (its cycle began when the stop
        // did) ends 1 ms after it began: never two states of one machine at one instant
        events.push({ type: 'state', ts: Math.max(start, this.stoppedAt + 1), state: 'running' });
        this.inferred = 'running';
      }
      events.push({ type: 'cycle', ts: r.ts, good: r.good, jobId: r.jobId ?? '', partNumber: r.partNumber ?? '', values: [...r.values, { name: 'cycle_time', value: r.cycleTimeS, quality: 'good', ts: r.ts }] });
      prev = r.ts;
    }
    const last = records[records.length - 1];
    if (last) this.lastResult = { wall: Date.now(), ts: last.ts, idealMs: this.idealMs(last.partNumber) };
    return events;
  }

  private stopState(): MachineState {
    return this.ctx.currentJob()?.status === 'running' ? 'starved' : 'idle';
  }

  private idealMs(partNumber: string | undefined): number {
    const parts = this.ctx.machine.parts;
    const part = parts.find((p) => p.partNumber === partNumber) ?? parts.find((p) => p.partNumber === this.ctx.currentJob()?.spec.partNumber);
    return (part?.idealCycleS ?? Math.min(...parts.map((p) => p.idealCycleS))) * 1000;
  }

  private inferState(): void {
    if (!this.up) return;
    let state: MachineState = 'idle';
    let ts = Date.now();
    if (this.lastResult) {
      // a result file takes up to a rescan and the stability wait to reach the pod
      const idleAfter = Math.max(this.o.minIdleMs, this.o.idleAfterCycles * this.lastResult.idealMs * this.o.timeScale) + this.o.rescanMs + this.o.stableMs;
      if (Date.now() - this.lastResult.wall <= idleAfter) return;
      // no part since the last result: the machine stopped when it made that one
      state = this.stopState();
      ts = this.lastResult.ts;
    }
    if (state === this.inferred) return;
    this.inferred = state;
    this.stoppedAt = ts;
    void this.ctx.emit([{ type: 'state', ts, state }], { durable: true }).catch(() => undefined);
  }

  private async quarantine(name: string, sha256: string, problems: string[]): Promise<void> {
    this.ctx.log.warn({ file: name, problems }, 'malformed result file quarantined');
    const target = await this.move(name, 'quarantine');
    if (target) {
      const reason = [`file: ${name}`, `sha256: ${sha256}`, `quarantined: ${new Date().toISOString()}`, `machine: ${this.ctx.machine.id} (format ${this.itf.format})`, 'problems:', ...problems.map((p) => `  ${p}`), ''].join('\n');
      writeFileAtomic(join(this.itf.share, 'quarantine', `${target}.reason.txt`), reason);
    }
    this.ledger.record(name, sha256, 'quarantined');
    this.stability.delete(name);
    this.ctx.metrics.filesQuarantined.inc(this.ctx.metrics.labels);
  }

  /** Moves a file out of the outbox without overwriting anything; returns the name it got. */
  private async move(name: string, folder: 'archive' | 'quarantine'): Promise<string | undefined> {
    const dir = join(this.itf.share, folder);
    await mkdir(dir, { recursive: true });
    const ext = extname(name);
    const base = name.slice(0, name.length - ext.length);
    let target = name;
    for (let n = 1; existsSync(join(dir, target)); n++) target = `${base}~${n}${ext}`;
    try {
      await rename(join(this.outDir, name), join(dir, target));
      return target;
    } catch (err) {
      this.ctx.log.error({ file: name, folder, err: (err as Error).message }, 'cannot move result file; will retry');
      return undefined;
    }
  }

  // ---- jobs through the inbox ----

  private followFor(jobId: string): Follow | undefined {
    const cur = this.ctx.currentJob();
    if (!cur || cur.spec.jobId !== jobId) return undefined;
    if (this.follow?.jobId !== jobId) {
      const inDir = this.inDir!;
      const written = cur.status !== 'dispatched' || Object.values(jobFileSuffix).some((s) => existsSync(join(inDir, `${jobId}${s}`)));
      this.follow = { jobId, good: cur.good, scrap: cur.scrap, written };
    }
    return this.follow;
  }

  private countForJob(records: ResultRecord[]): void {
    const cur = this.ctx.currentJob();
    if (!cur) return;
    const f = this.followFor(cur.spec.jobId);
    if (!f) return;
    const mine = records.filter((r) => r.jobId === f.jobId);
    if (!mine.length) return;
    f.good += mine.filter((r) => r.good).length;
    f.scrap += mine.filter((r) => !r.good).length;
    const completed = f.good >= cur.spec.quantity;
    this.ctx.jobUpdate({ jobId: f.jobId, good: f.good, scrap: f.scrap, ...(completed ? { status: 'completed' as const } : {}) });
  }

  private async followJob(): Promise<void> {
    const cur = this.ctx.currentJob();
    if (!cur || !this.inDir) return;
    const f = this.followFor(cur.spec.jobId);
    if (!f || !f.written) return;
    const has = (suffix: string) => existsSync(join(this.inDir!, `${f.jobId}${suffix}`));
    if (has(jobFileSuffix.cancelled)) return this.ctx.jobUpdate({ jobId: f.jobId, status: 'cancelled' });
    if (has(jobFileSuffix.done)) {
      if (f.good >= cur.spec.quantity) return this.ctx.jobUpdate({ jobId: f.jobId, status: 'completed' });
      f.doneSince ??= Date.now();
      if (Date.now() - f.doneSince > this.o.doneGraceMs) {
        this.ctx.jobUpdate({ jobId: f.jobId, status: 'completed', message: `machine marked the job done with ${f.good} of ${cur.spec.quantity} good parts in its result files` });
      }
      return;
    }
    if (f.pending && !existsSync(f.pending.file)) {
      // the machine deletes a request file once it has acted on it
      this.ctx.jobUpdate({ jobId: f.jobId, status: f.pending.action === 'hold' ? 'held' : 'running' });
      f.pending = undefined;
      return;
    }
    if (has(jobFileSuffix.active) && (cur.status === 'dispatched' || cur.status === 'setup')) this.ctx.jobUpdate({ jobId: f.jobId, status: 'running' });
  }

  private requireShare(): string {
    if (!this.up || !this.inDir || !existsSync(this.inDir)) throw new MachineUnavailable(`${this.ctx.machine.id}: job inbox ${this.inDir} is not reachable`);
    return this.inDir;
  }

  private writeJobFile(job: DispatchJob): void {
    const inDir = this.requireShare();
    const text = `JobId=${job.jobId}\nPartNumber=${job.partNumber}\nQuantity=${job.quantity}\n`;
    // written beside as <name>.<pid>.tmp (a name the machine does not take) and renamed to <jobId>.job
    writeFileAtomic(join(inDir, `${job.jobId}${jobFileSuffix.queued}`), text);
  }

  private async dispatch(job: DispatchJob): Promise<void> {
    const inDir = this.requireShare();
    for (const s of Object.values(jobFileSuffix)) {
      if (existsSync(join(inDir, `${job.jobId}${s}`))) throw new JobRefused(`the inbox already holds ${job.jobId}${s}`);
    }
    if (job.autoStart) this.writeJobFile(job);
    this.follow = { jobId: job.jobId, good: 0, scrap: 0, written: job.autoStart };
  }

  private async command(jobId: string, action: JobAction, job: DispatchJob): Promise<void> {
    const inDir = this.requireShare();
    const f = this.followFor(jobId) ?? { jobId, good: 0, scrap: 0, written: true };
    this.follow = f;
    if (action === 'start') {
      if (!f.written) this.writeJobFile(job);
      f.written = true;
      return;
    }
    if (action === 'cancel' && !f.written) {
      // never handed to the machine: nothing to take back
      this.ctx.jobUpdate({ jobId, status: 'cancelled', message: 'cancelled before it was handed to the machine' });
      return;
    }
    const file = join(inDir, `${jobId}${jobRequestSuffix[action]}`);
    writeFileAtomic(file, `JobId=${jobId}\n`);
    if (action === 'hold' || action === 'resume') f.pending = { action, file };
  }
}
