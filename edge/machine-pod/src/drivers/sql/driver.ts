import { join } from 'node:path';
import type { ConnectionPool, config as MssqlConfig } from 'mssql';
import type { AgentJobStatus, DispatchJob, JobAction, TagValue } from '@plant-twin/contracts';
import { machineStates, sqlVendorTables, type MachineState, type SqlInterface, type SqlVendorTable } from '@plant-twin/plant-model';
import { backoffDelay, requireSecret, sleep } from '@plant-twin/runtime';
import { readJson, writeJsonAtomic } from '../../state-file.js';
import { JobRefused, MachineUnavailable, type DriverContext, type JobHandshake, type MachineDriver, type MachineEvent } from '../types.js';
import { describeStrictFailure, EncryptionRefused, guardEncryption } from './encryption.js';

export interface SqlDriverOptions {
  /** pause between polls once caught up */
  pollMs?: number;
  /** rows per query */
  batchSize?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** PEM of the CA that signed the server's certificate (a site CA, or the simulator's self-signed one) */
  ca?: string;
}

type EventTable = Exclude<SqlVendorTable, 'JobQueue'>;
/** Read order within one poll: state and alarms before the parts and samples they explain. */
const tables: EventTable[] = ['MachineState', 'AlarmLog', 'CycleLog', 'ProcessLog'];
type Watermarks = Partial<Record<EventTable, number>>;
type Row = Record<string, unknown>;

const jobStatus: Record<string, AgentJobStatus> = {
  QUEUED: 'dispatched', SETUP: 'setup', RUNNING: 'running', HELD: 'held', DONE: 'completed', CANCELLED: 'cancelled', REJECTED: 'rejected',
};
const commandOf: Record<JobAction, string> = { start: 'START', hold: 'HOLD', resume: 'RESUME', cancel: 'CANCEL' };

const q = (ident: string) => `[${ident.replace(/]/g, ']]')}]`;
const time = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN);

/**
 * The mssql configuration a pod connects with (the HIL suites use it too, so they test what the pod
 * does): TLS as the plant model asks, and never a clear-text login where encryption is required.
 */
export function sqlPoolConfig(
  itf: SqlInterface,
  password: string,
  o: Pick<SqlDriverOptions, 'connectTimeoutMs' | 'requestTimeoutMs' | 'ca'>,
  appName: string,
  onRefused: (e: EncryptionRefused) => void,
): MssqlConfig {
  return {
    server: itf.host,
    port: itf.port,
    database: itf.database,
    user: itf.user,
    password,
    connectionTimeout: o.connectTimeoutMs ?? 5000,
    requestTimeout: o.requestTimeoutMs ?? 10_000,
    pool: { max: 2, min: 0, idleTimeoutMillis: 30_000 },
    options: {
      encrypt: (itf.encrypt === 'strict' ? 'strict' : itf.encrypt === 'on') as boolean,
      trustServerCertificate: itf.trustServerCertificate,
      appName,
      useUTC: true,
      // TDS 8 strict always verifies the certificate (trustServerCertificate does not apply)
      ...(o.ca ? { cryptoCredentialsDetails: { ca: o.ca } } : {}),
    },
    beforeConnect: ((conn: unknown) => guardEncryption(conn, itf, onRefused)) as unknown as MssqlConfig['beforeConnect'],
  };
}

/**
 * SQL-Server-backed machines (vendor tables in packages/plant-model/src/sql-vendor.ts).
 *
 * Delivery: each table is read incrementally by its identity key above a watermark persisted in
 * STATE_DIR/sql-watermark.json (temp + fsync + rename). The watermark of a batch advances only after
 * every message built from its rows has been acknowledged by the broker (QoS 1 PUBACK), so a crash
 * or restart never skips rows; the rows of a batch in flight at a crash are read and published
 * again (at-least-once), which is the only window for a duplicate: between the last PUBACK of a batch
 * and the rename of the watermark file (a few ms). Messages are built deterministically from rows,
 * so consumers that key on (machine, table key) rather than message id can drop such a repeat.
 * Only parameterised queries; identifiers come from the validated plant model and are bracket-quoted.
 */
export class SqlDriver implements MachineDriver {
  readonly jobs: JobHandshake;
  private readonly itf: SqlInterface;
  private readonly password: string;
  private readonly o: Required<SqlDriverOptions>;
  private readonly wmFile: string;
  private watermarks: Watermarks;
  private pool: ConnectionPool | undefined;
  /** undefined until the first attempt: a pod that cannot reach its server at start says so too */
  private up: boolean | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private encryptionRefused: EncryptionRefused | undefined;
  private readonly columns: Record<EventTable, string[]>;
  private readonly unusable = new Set<EventTable>();

  constructor(
    private readonly ctx: DriverContext,
    env: NodeJS.ProcessEnv,
    opts: SqlDriverOptions = {},
  ) {
    const itf = ctx.machine.interface;
    if (itf.type !== 'sql') throw new Error(`${ctx.machine.id} is not a SQL machine`);
    this.itf = itf;
    this.password = requireSecret(itf.passwordEnv, env);
    this.o = { pollMs: 1000, batchSize: 500, connectTimeoutMs: 5000, requestTimeoutMs: 10_000, ca: '', ...opts };
    this.wmFile = join(ctx.stateDir, 'sql-watermark.json');
    this.watermarks = readJson<Watermarks>(this.wmFile, {});
    const tagCols = (table: string) => ctx.machine.tags.filter((t) => t.address.startsWith(`${table}.`)).map((t) => t.address.slice(table.length + 1));
    const fixed = (t: EventTable) => sqlVendorTables[t].fixed.map(([c]) => c as string);
    this.columns = {
      MachineState: fixed('MachineState'),
      AlarmLog: fixed('AlarmLog'),
      CycleLog: [...new Set([...fixed('CycleLog'), ...tagCols('CycleLog')])],
      ProcessLog: [...new Set([...fixed('ProcessLog'), ...tagCols('ProcessLog')])],
    };
    this.jobs = { dispatch: (job) => this.handshake(() => this.dispatch(job)), command: (id, action) => this.handshake(() => this.command(id, action)) };
  }

  async start(): Promise<void> {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.closePool();
  }

  connected(): boolean {
    return this.up === true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.pool) {
          await this.connect();
          await this.restateCurrent();
        }
        this.setUp(true);
        failures = 0;
        const started = performance.now();
        const more = await this.pollOnce();
        this.ctx.metrics.pollDuration.observe({ ...this.ctx.metrics.labels, class: 'sql' }, (performance.now() - started) / 1000);
        if (!more) await this.pause(this.o.pollMs);
      } catch (err) {
        if (this.stopped) break;
        failures++;
        this.setUp(false, this.describe(err as Error));
        await this.closePool();
        const delay = backoffDelay(failures, 500, 15_000);
        if (failures === 1 || this.encryptionRefused) this.ctx.log.error({ err: this.describe(err as Error), retryInMs: delay }, 'SQL machine unreachable');
        await this.pause(delay);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  private describe(err: Error): string {
    if (this.encryptionRefused) return this.encryptionRefused.message;
    if (this.itf.encrypt === 'strict' && !this.up && !this.pool) return describeStrictFailure(this.itf, err);
    // never log the connection config (it holds the password); messages of mssql/tedious do not
    return err.message;
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.ctx.connection(up, reason);
  }

  private async connect(): Promise<void> {
    const mssql = (await import('mssql')).default;
    this.encryptionRefused = undefined;
    const cfg = sqlPoolConfig(this.itf, this.password, this.o, `plant-twin machine-pod ${this.ctx.machine.id}`, (e) => (this.encryptionRefused = e));
    const pool = new mssql.ConnectionPool(cfg);
    pool.on('error', (err: Error) => this.ctx.log.warn({ err: err.message }, 'SQL pool error'));
    try {
      await pool.connect();
    } catch (err) {
      await pool.close().catch(() => undefined);
      throw err;
    }
    this.pool = pool;
  }

  private async closePool(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    if (p) await p.close().catch(() => undefined);
  }

  private async request() {
    if (!this.pool) throw new MachineUnavailable(`${this.ctx.machine.id}: not connected to its SQL Server`);
    return this.pool.request();
  }

  /**
   * After a (re)connect the state is told again from the latest MachineState row, when every row is
   * read already: a machine that did not change state while the link was away writes no new row, and
   * its state would otherwise stay "unknown" (the bad state of the loss). Unread rows bring it anyway.
   */
  private async restateCurrent(): Promise<void> {
    if (this.unusable.has('MachineState')) return;
    const key = sqlVendorTables.MachineState.key;
    const req = await this.request();
    let row: Row | undefined;
    try {
      row = (await req.query<Row>(`SELECT TOP 1 ${this.columns.MachineState.map(q).join(', ')} FROM ${q('MachineState')} ORDER BY ${q(key)} DESC`)).recordset?.[0];
    } catch (err) {
      const n = (err as { number?: number }).number;
      if (n === 207 || n === 208) return; // the poll reports and skips the table
      throw err;
    }
    if (row && Number(row[key]) <= (this.watermarks.MachineState ?? 0)) await this.ctx.emit(this.eventsOf('MachineState', row), { durable: false });
  }

  /** One pass over every table (one batch each) and the current job; true when a table had a full batch. */
  private async pollOnce(): Promise<boolean> {
    const mssql = (await import('mssql')).default;
    let more = false;
    for (const table of tables) {
      if (this.unusable.has(table)) continue;
      const key = sqlVendorTables[table].key;
      const after = this.watermarks[table] ?? 0;
      const req = await this.request();
      req.input('after', mssql.BigInt, after);
      const cols = this.columns[table].map(q).join(', ');
      let rows: Row[];
      try {
        rows = (await req.query<Row>(`SELECT TOP ${this.o.batchSize} ${cols} FROM ${q(table)} WHERE ${q(key)} > @after ORDER BY ${q(key)}`)).recordset ?? [];
      } catch (err) {
        // a table or column the plant model expects is missing: a configuration problem of this
        // table, not a lost link; the other tables go on
        const n = (err as { number?: number }).number;
        if (n !== 207 && n !== 208) throw err;
        this.unusable.add(table);
        this.ctx.log.error({ table, columns: this.columns[table], err: (err as Error).message }, `${table} cannot be read with the plant model's columns; skipped until the pod restarts (check the vendor database or the tag addresses)`);
        continue;
      }
      if (!rows.length) continue;
      this.ctx.metrics.rowsRead.inc({ ...this.ctx.metrics.labels, table }, rows.length);
      const events = rows.flatMap((row) => this.eventsOf(table, row));
      await this.ctx.emit(events, { durable: false });
      const last = Number(rows[rows.length - 1]![key]);
      this.watermarks = { ...this.watermarks, [table]: last };
      writeJsonAtomic(this.wmFile, this.watermarks);
      if (rows.length >= this.o.batchSize) more = true;
    }
    await this.followJob();
    return more;
  }

  private tagValues(table: 'CycleLog' | 'ProcessLog', row: Row, ts: number): TagValue[] {
    const out: TagValue[] = [];
    for (const t of this.ctx.machine.tags) {
      if (!t.address.startsWith(`${table}.`)) continue;
      const v = row[t.address.slice(table.length + 1)];
      const value = typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : v === null || v === undefined ? null : String(v);
      out.push({ name: t.name, value, quality: value === null ? 'bad' : 'good', ts });
    }
    return out;
  }

  private eventsOf(table: EventTable, row: Row): MachineEvent[] {
    const ts = time(row[sqlVendorTables[table].time]);
    if (!Number.isFinite(ts)) {
      this.ctx.metrics.badValues.inc(this.ctx.metrics.labels);
      this.ctx.log.warn({ table, key: row[sqlVendorTables[table].key] }, 'row without a valid time; skipped');
      return [];
    }
    switch (table) {
      case 'CycleLog':
        return [{ type: 'cycle', ts, good: String(row.Result).toUpperCase() === 'OK', jobId: String(row.JobId ?? ''), partNumber: String(row.PartNumber ?? ''), values: this.tagValues('CycleLog', row, ts) }];
      case 'ProcessLog':
        return [{ type: 'sample', ts, values: this.tagValues('ProcessLog', row, ts) }];
      case 'MachineState': {
        const state = String(row.State ?? '').toLowerCase() as MachineState;
        if (!machineStates.includes(state)) {
          this.ctx.metrics.badValues.inc(this.ctx.metrics.labels);
          this.ctx.log.warn({ state: row.State, key: row.EventId }, 'unknown machine state in MachineState; skipped');
          return [];
        }
        return [{ type: 'state', ts, state, alarmCode: Number(row.AlarmCode) || 0 }];
      }
      case 'AlarmLog': {
        const sev = String(row.Severity ?? '').toLowerCase();
        return [{ type: 'alarm', ts, code: Number(row.Code) || 0, active: Boolean(row.Active), text: String(row.Text ?? ''), ...(sev === 'info' || sev === 'warn' || sev === 'fault' ? { severity: sev } : {}) }];
      }
    }
  }

  // ---- jobs through the JobQueue table ----

  /** A failure of the link during a handshake is "machine unavailable" (503), not a server error. */
  private async handshake(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof JobRefused || err instanceof MachineUnavailable) throw err;
      throw new MachineUnavailable(`${this.ctx.machine.id}: job handshake with its SQL Server failed: ${(err as Error).message}`);
    }
  }

  private async followJob(): Promise<void> {
    const cur = this.ctx.currentJob();
    if (!cur) return;
    const mssql = (await import('mssql')).default;
    const req = await this.request();
    req.input('jobId', mssql.NVarChar(32), cur.spec.jobId);
    const r = await req.query<Row>('SELECT Status, GoodQty, ScrapQty, Message FROM JobQueue WHERE JobId = @jobId');
    const row = r.recordset?.[0];
    if (!row) return;
    const status = jobStatus[String(row.Status).toUpperCase()];
    this.ctx.jobUpdate({
      jobId: cur.spec.jobId,
      ...(status ? { status } : {}),
      good: Number(row.GoodQty) || 0,
      scrap: Number(row.ScrapQty) || 0,
      ...(typeof row.Message === 'string' && row.Message ? { message: row.Message } : {}),
    });
  }

  private async dispatch(job: DispatchJob): Promise<void> {
    const mssql = (await import('mssql')).default;
    const exists = await this.request();
    exists.input('jobId', mssql.NVarChar(32), job.jobId);
    const r = await exists.query<Row>('SELECT Status FROM JobQueue WHERE JobId = @jobId');
    if (r.recordset?.length) throw new JobRefused(`JobQueue already holds job ${job.jobId} (${String(r.recordset[0]!.Status)})`);
    const now = new Date();
    const ins = await this.request();
    ins.input('jobId', mssql.NVarChar(32), job.jobId);
    ins.input('part', mssql.NVarChar(24), job.partNumber);
    ins.input('qty', mssql.Int, job.quantity);
    ins.input('cmd', mssql.NVarChar(16), job.autoStart ? 'START' : null);
    ins.input('now', mssql.DateTime2(3), now);
    await ins.query(
      "INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, Command, GoodQty, ScrapQty, Message, CreatedAt, UpdatedAt) VALUES (@jobId, @part, @qty, 'QUEUED', @cmd, 0, 0, NULL, @now, @now)",
    );
    this.wake?.();
  }

  private async command(jobId: string, action: JobAction): Promise<void> {
    const mssql = (await import('mssql')).default;
    const req = await this.request();
    req.input('jobId', mssql.NVarChar(32), jobId);
    req.input('cmd', mssql.NVarChar(16), commandOf[action]);
    req.input('now', mssql.DateTime2(3), new Date());
    const r = await req.query('UPDATE JobQueue SET Command = @cmd, UpdatedAt = @now WHERE JobId = @jobId');
    if (!r.rowsAffected[0]) throw new JobRefused(`JobQueue has no job ${jobId}`);
    this.wake?.();
  }
}
