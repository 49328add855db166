import { mkdir, readdir, readFile, rename, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jobFileSuffix, jobRequestSuffix, type FileInterface } from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import type { MachineSim } from '../machine.js';
import type { Prng } from '../prng.js';
import type { CycleRecord } from '../truth.js';
import { cmmReport, csvFile, damage, resultFileName, resultFilePattern, type FileFault, type PartResult } from './formats.js';

export interface FileRecord {
  machineId: string;
  name: string;
  /** lifetime cycle numbers of the parts in the file */
  cycles: number[];
  /** how the file was damaged on purpose, or null for a good file */
  fault: FileFault | null;
}

export interface FileFaceOptions {
  log: Logger;
  /** share to use instead of interface.share (tests) */
  share?: string;
  /** probability that a written result file is damaged (SIM_FILE_FAULTS) */
  faultRate?: number;
  /** random stream for the fault injection (keeps the behaviour stream untouched) */
  faultRng: Prng;
  /** called for every result file written */
  onFile?: (f: FileRecord) => void;
}

const faults: FileFault[] = ['badHeader', 'nonNumeric', 'truncated'];

/**
 * The machine as a file-drop station. Parts finished since the last scan go into one result file
 * (a CMM writes one report per part), written as `name.tmp` and renamed, so the edge never sees a
 * half-written file. Machines with an inbox take job files with the rename protocol of
 * plant-model file-formats.ts; a job file the machine cannot run (bad content, unknown part) is
 * renamed to `.job.cancelled` with a `Result=<MailboxResult name>` line appended.
 */
export class FileFace {
  readonly share: string;
  readonly outbox: string;
  readonly inbox: string | undefined;
  private pending: PartResult[] = [];
  private seq = 0;
  private active = false;
  faultRate: number;
  readonly written: FileRecord[] = [];
  private readonly onCycle = (c: CycleRecord) => {
    if (this.active) this.pending.push({ cycle: c, serial: this.serial(c), values: this.machine.tagValues() });
  };

  constructor(
    readonly machine: MachineSim,
    readonly itf: FileInterface,
    private readonly opts: FileFaceOptions,
  ) {
    this.share = opts.share ?? itf.share;
    this.outbox = join(this.share, itf.outbox);
    this.inbox = itf.inbox ? join(this.share, itf.inbox) : undefined;
    this.faultRate = opts.faultRate ?? 0;
    machine.on('cycle', this.onCycle);
  }

  get running(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    await mkdir(this.outbox, { recursive: true });
    if (this.inbox) await mkdir(this.inbox, { recursive: true });
    // continue the file sequence after a restart instead of reusing names
    const pattern = resultFilePattern(this.itf.format);
    for (const name of await readdir(this.outbox)) {
      const m = pattern.exec(name);
      if (m) this.seq = Math.max(this.seq, Number(m[1]));
    }
    this.active = true;
    this.opts.log.info({ machine: this.machine.id, share: this.share }, 'file face writing');
  }

  /** Stops writing and reading files (a share outage); parts made meanwhile are not reported. */
  stop(): void {
    this.active = false;
    this.pending = [];
  }

  close(): void {
    this.stop();
    this.machine.off('cycle', this.onCycle);
  }

  private serial(c: CycleRecord): string {
    const d = new Date(c.at);
    return `${this.machine.id.replace('-', '')}${d.getUTCFullYear() % 100}${String(c.seq).padStart(7, '0')}`;
  }

  /** One scan: act on job files and requests, then write the results of the parts finished since the last scan. */
  async sync(): Promise<void> {
    if (!this.active) return;
    if (this.inbox) await this.jobs(this.inbox);
    await this.flush();
  }

  private async flush(): Promise<void> {
    const parts = this.pending;
    this.pending = [];
    if (!parts.length) return;
    const tags = this.machine.model.tags;
    const files: { at: number; text: string; cycles: number[] }[] =
      this.itf.format === 'cmm-xml'
        ? parts.map((p) => ({ at: p.cycle.at, text: cmmReport(tags, p, `PRG-${p.cycle.partNumber}`), cycles: [p.cycle.seq] }))
        : [{ at: parts[0]!.cycle.at, text: csvFile(this.itf.format as 'lsr-csv' | 'eol-csv', tags, parts), cycles: parts.map((p) => p.cycle.seq) }];
    for (const f of files) {
      this.seq++;
      const name = resultFileName(this.itf.format, f.at, this.seq);
      const fault = this.faultRate > 0 && this.opts.faultRng.chance(this.faultRate) ? this.opts.faultRng.pick(faults) : null;
      const text = fault ? damage(this.itf.format, f.text, fault) : f.text;
      const tmp = join(this.outbox, `${name}.tmp`);
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, join(this.outbox, name));
      const rec: FileRecord = { machineId: this.machine.id, name, cycles: f.cycles, fault };
      this.written.push(rec);
      this.opts.onFile?.(rec);
    }
  }

  private async jobs(inbox: string): Promise<void> {
    const m = this.machine;
    const names = new Set(await readdir(inbox));
    const job = m.jobView();
    // requests for the current job (or a queued one), then delete the request file
    for (const name of names) {
      const req = (Object.entries(jobRequestSuffix) as [keyof typeof jobRequestSuffix, string][]).find(([, suffix]) => name.endsWith(suffix));
      if (!req) continue;
      const jobId = name.slice(0, -req[1].length);
      if (job?.jobId === jobId) {
        const r = req[0] === 'cancel' ? m.cancel() : req[0] === 'hold' ? m.hold() : m.resume();
        this.opts.log.info({ machine: m.id, jobId, request: req[0], result: r }, 'job request');
      } else if (req[0] === 'cancel' && names.has(`${jobId}${jobFileSuffix.queued}`)) {
        await rename(join(inbox, `${jobId}${jobFileSuffix.queued}`), join(inbox, `${jobId}${jobFileSuffix.cancelled}`));
      }
      await rm(join(inbox, name), { force: true });
    }
    const now = m.jobView();
    if (now && (now.state === 'completed' || now.state === 'cancelled')) {
      const suffix = now.state === 'completed' ? jobFileSuffix.done : jobFileSuffix.cancelled;
      await rename(join(inbox, `${now.jobId}${jobFileSuffix.active}`), join(inbox, `${now.jobId}${suffix}`)).catch(() => undefined);
      m.clear();
    }
    if (m.jobView()?.state === 'loaded') m.start(); // refused while in fault: retried every scan
    if (m.jobView() || !m.powered) return;
    // a job file left active by a previous run is taken up again first, then the oldest queued one
    const fresh = await readdir(inbox);
    const active = fresh.find((n) => n.endsWith(jobFileSuffix.active));
    const queued = await oldest(inbox, fresh.filter((n) => n.endsWith(jobFileSuffix.queued)));
    const pick = active ?? queued;
    if (!pick) return;
    const activeName = pick.endsWith(jobFileSuffix.active) ? pick : `${pick.slice(0, -jobFileSuffix.queued.length)}${jobFileSuffix.active}`;
    if (pick !== activeName) await rename(join(inbox, pick), join(inbox, activeName));
    const text = await readFile(join(inbox, activeName), 'utf8');
    const kv = Object.fromEntries(text.split(/\r?\n/).filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]));
    const jobId = kv.JobId ?? activeName.slice(0, -jobFileSuffix.active.length);
    const quantity = /^\d+$/.test(kv.Quantity ?? '') ? Number(kv.Quantity) : NaN;
    const result = m.load(jobId, kv.PartNumber ?? '', quantity);
    this.opts.log.info({ machine: m.id, jobId, result }, 'job file taken');
    if (result === 'ok') {
      m.start();
    } else {
      const base = activeName.slice(0, -jobFileSuffix.active.length);
      await appendFile(join(inbox, activeName), `${text.endsWith('\n') || !text ? '' : '\n'}Result=${result}\n`);
      await rename(join(inbox, activeName), join(inbox, `${base}${jobFileSuffix.cancelled}`));
    }
  }
}

async function oldest(dir: string, names: string[]): Promise<string | undefined> {
  if (names.length <= 1) return names[0];
  const withTime = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? Infinity })));
  withTime.sort((a, b) => a.t - b.t || a.n.localeCompare(b.n));
  return withTime[0]!.n;
}
