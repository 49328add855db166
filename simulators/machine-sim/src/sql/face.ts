import { sqlTagTables, sqlVendorTables, vendorTableColumns, type SqlInterface, type Tag } from '@plant-twin/plant-model';
import { requireSecret, type Logger } from '@plant-twin/runtime';
import { createTdsServer, SqlDatabase, type Row, type TdsServer } from '@plant-twin/tds-server';
import type { JobView, MachineSim } from '../machine.js';
import type { AlarmRecord, CycleRecord, StateInterval } from '../truth.js';

const statusOf: Record<JobView['state'], string> = {
  loaded: 'QUEUED',
  setup: 'SETUP',
  running: 'RUNNING',
  held: 'HELD',
  completed: 'DONE',
  cancelled: 'CANCELLED',
};

/** Rows kept per log table; older rows are deleted as a vendor database's retention job would. */
const retainRows = 50_000;

export interface SqlFaceOptions {
  bindHost: string;
  /** 0 = ephemeral */
  port: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/**
 * The machine as a SQL-Server-backed cell controller: the vendor tables of plant-model
 * sql-vendor.ts in a database served by the project's TDS server (TLS on, self-signed).
 * The machine appends CycleLog rows per part, ProcessLog rows every `sampleS` simulated seconds,
 * MachineState rows on state changes and AlarmLog raise/clear rows; each scan it reads the
 * JobQueue rows the edge wrote and acts on their Command.
 */
export class SqlFace {
  readonly db: SqlDatabase;
  private server: TdsServer | undefined;
  private port: number;
  private nextSampleAt: number;
  private lastState: string | undefined;
  private readonly password: string;
  private readonly cycleCols: Tag[];
  private readonly processCols: Tag[];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    readonly machine: MachineSim,
    readonly itf: SqlInterface,
    private readonly opts: SqlFaceOptions,
  ) {
    this.password = requireSecret(itf.passwordEnv, opts.env);
    this.port = opts.port;
    this.db = new SqlDatabase(itf.database);
    const colOf = (t: Tag) => t.address.split('.')[1]!;
    const tagsOf = (table: (typeof sqlTagTables)[number]) => machine.model.tags.filter((t) => t.address.startsWith(`${table}.`));
    const fixedNames = (table: keyof typeof sqlVendorTables) => new Set<string>(sqlVendorTables[table].fixed.map(([n]) => n));
    this.cycleCols = tagsOf('CycleLog').filter((t) => !fixedNames('CycleLog').has(colOf(t)));
    this.processCols = tagsOf('ProcessLog').filter((t) => !fixedNames('ProcessLog').has(colOf(t)));
    for (const [name, columns] of Object.entries(vendorTableColumns(machine.model))) this.db.createTable(name, columns);
    this.nextSampleAt = machine.time;
    const onCycle = (c: CycleRecord) => this.cycle(c);
    const onState = (i: StateInterval) => this.state(i);
    const onAlarm = (a: AlarmRecord, active: boolean) => this.alarm(a, active);
    machine.on('cycle', onCycle);
    machine.on('state', onState);
    machine.on('alarm', onAlarm);
    this.unsubscribe.push(() => machine.off('cycle', onCycle), () => machine.off('state', onState), () => machine.off('alarm', onAlarm));
    this.state({ state: machine.currentState, from: machine.time, alarmCode: machine.alarmCode() } as StateInterval);
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get endpoint(): string {
    return `${this.opts.bindHost === '0.0.0.0' ? this.itf.host : this.opts.bindHost}:${this.server?.port ?? this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = await createTdsServer({
      host: this.opts.bindHost,
      port: this.port,
      users: [{ user: this.itf.user, password: this.password, databases: [this.itf.database] }],
      databases: [this.db],
      tls: 'on',
      serverName: this.machine.id.replace('-', ''),
      log: this.opts.log.child({ machine: this.machine.id }),
    });
    this.port = this.server.port; // keep an ephemeral port across stop/start
    this.opts.log.info({ machine: this.machine.id, port: this.port, database: this.itf.database }, 'TDS face listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.close();
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    await this.stop();
  }

  private values(tags: Tag[]): Row {
    const row: Row = {};
    for (const t of tags) {
      const v = this.machine.tagValue(t);
      row[t.address.split('.')[1]!] = typeof v === 'number' && t.type === 'real' ? Math.round(v * 1000) / 1000 : v;
    }
    return row;
  }

  private cycle(c: CycleRecord): void {
    this.db.insert('CycleLog', {
      CycleEnd: new Date(c.at),
      JobId: c.jobId,
      PartNumber: c.partNumber,
      Result: c.result === 'good' ? 'OK' : 'NOK',
      CycleTimeS: c.cycleS,
      ...this.values(this.cycleCols),
    });
  }

  private state(i: StateInterval): void {
    const state = i.state.toUpperCase();
    if (state === this.lastState) return; // job or alarm changes within one state are not state changes
    this.lastState = state;
    this.db.insert('MachineState', { EventTime: new Date(i.from), State: state, AlarmCode: i.alarmCode });
  }

  private alarm(a: AlarmRecord, active: boolean): void {
    this.db.insert('AlarmLog', {
      EventTime: new Date(active ? a.raisedAt : a.clearedAt!),
      Code: a.code,
      Text: a.text,
      Severity: a.severity.toUpperCase(),
      Active: active,
    });
  }

  /** One scan: process samples due, the job queue, and retention. */
  async sync(): Promise<void> {
    const now = this.machine.time;
    const stepMs = this.itf.sampleS * 1000;
    if (now - this.nextSampleAt > 100 * stepMs) this.nextSampleAt = now - 100 * stepMs; // after a long pause, no flood of samples
    while (this.nextSampleAt <= now) {
      this.db.insert('ProcessLog', { SampleTime: new Date(this.nextSampleAt), ...this.values(this.processCols) });
      this.nextSampleAt += stepMs;
    }
    this.jobQueue(now);
    for (const [table, key] of [['CycleLog', 'CycleId'], ['ProcessLog', 'SampleId'], ['MachineState', 'EventId'], ['AlarmLog', 'AlarmEventId']] as const) {
      if (this.db.count(table) > retainRows * 1.1) {
        const ids = this.db.select(table).map((r) => r[key] as number);
        const cut = ids[ids.length - retainRows]!;
        this.db.delete(table, (r) => (r[key] as number) < cut);
      }
    }
  }

  private setRow(jobId: string, changes: Row, now: number): void {
    this.db.update('JobQueue', { ...changes, UpdatedAt: new Date(now) }, (r) => r.JobId === jobId);
  }

  private jobQueue(now: number): void {
    const m = this.machine;
    this.progress(now);
    // commands the edge wrote, oldest row first
    const commanded = this.db.select('JobQueue', (r) => r.Command !== null && r.Command !== undefined).sort((a, b) => (a.QueueId as number) - (b.QueueId as number));
    for (const row of commanded) {
      const jobId = String(row.JobId);
      const command = String(row.Command).trim().toUpperCase();
      const current = m.jobView();
      let result: string;
      if (current?.jobId === jobId) {
        result = command === 'HOLD' ? m.hold() : command === 'RESUME' ? m.resume() : command === 'CANCEL' ? m.cancel() : command === 'START' ? m.start() : 'unknownCommand';
      } else if (command === 'START' && row.Status === 'QUEUED') {
        // a started job waits in the queue (Command stays START) until the machine is free; bad jobs are rejected at once
        const part = String(row.PartNumber ?? '').trim();
        const qty = Number(row.Quantity);
        const invalid = !m.model.parts.some((x) => x.partNumber === part) ? 'unknownPart' : !Number.isInteger(qty) || qty < 1 ? 'badQuantity' : undefined;
        if (invalid) {
          this.setRow(jobId, { Command: null, Status: 'REJECTED', Message: `${invalid}: ${rejectText(invalid, row)}` }, now);
          continue;
        }
        if (current && current.state !== 'completed' && current.state !== 'cancelled') continue;
        if (current) m.clear();
        result = m.load(jobId, part, qty);
        if (result === 'ok') result = m.start();
        if (result === 'machineFault') continue; // off or in fault: try again next scan
      } else if (command === 'CANCEL' && row.Status === 'QUEUED') {
        this.setRow(jobId, { Command: null, Status: 'CANCELLED', Message: null }, now);
        continue;
      } else {
        result = 'badState';
      }
      this.setRow(jobId, { Command: null, Message: result === 'ok' ? null : `${command} refused: ${result}` }, now);
    }
    this.progress(now);
  }

  /** Writes the current job's status and counts to its row; a finished job is then cleared from the machine. */
  private progress(now: number): void {
    const m = this.machine;
    const job = m.jobView();
    if (!job) return;
    const status = statusOf[job.state];
    const [row] = this.db.select('JobQueue', (r) => r.JobId === job.jobId);
    if (row && (row.Status !== status || row.GoodQty !== job.good || row.ScrapQty !== job.scrap)) this.setRow(job.jobId, { Status: status, GoodQty: job.good, ScrapQty: job.scrap }, now);
    if (job.state === 'completed' || job.state === 'cancelled') m.clear(); // the row now tells the outcome; the machine is free
  }
}

function rejectText(result: string, row: Row): string {
  if (result === 'unknownPart') return `part ${String(row.PartNumber)} is not known to this machine`;
  return `quantity ${String(row.Quantity)} must be a whole number of at least 1`;
}
