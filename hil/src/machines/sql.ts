import mssql from 'mssql';
import { sqlVendorTables, type Machine, type SqlInterface, type SqlVendorTable } from '@plant-twin/plant-model';
import { EncryptionRefused, SqlDriver, sqlPoolConfig } from '@plant-twin/machine-pod';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireSecret } from '@plant-twin/runtime';
import { quietLog } from '../log.js';
import { failed, passed, skipped, type CaseLog } from '../cases.js';
import { recordingContext } from './recorder.js';
import type { MachineOptions, MachineUnderTest } from './types.js';
import { tcpCheck } from './tcp.js';

/**
 * SQL-Server-backed machines with the pod's connection settings (machine-pod's sqlPoolConfig: TLS as
 * the plant model asks, never a clear-text login where encryption is required) and, for polling and
 * the job handshake, the pod's own SqlDriver.
 */
function itf(m: Machine): SqlInterface {
  if (m.interface.type !== 'sql') throw new Error(`${m.id} is not a SQL machine`);
  return m.interface;
}

async function withPool<T>(m: Machine, o: MachineOptions, fn: (p: mssql.ConnectionPool) => Promise<T>): Promise<T> {
  const i = itf(m);
  let refused: EncryptionRefused | undefined;
  const pool = new mssql.ConnectionPool(sqlPoolConfig(i, requireSecret(i.passwordEnv, o.env), { connectTimeoutMs: 8000, requestTimeoutMs: 10_000 }, `plant-twin hil ${m.id}`, (e) => (refused = e)));
  pool.on('error', () => undefined);
  try {
    try {
      await pool.connect();
    } catch (e) {
      throw refused ?? e;
    }
    return await fn(pool);
  } finally {
    await pool.close().catch(() => undefined);
  }
}

const loginFix = (i: SqlInterface, e: Error) =>
  e instanceof EncryptionRefused
    ? 'turn on "Force Encryption" on the SQL Server, or set encrypt: off for this machine in the site file if the network path is trusted'
    : /Login failed/i.test(e.message)
      ? `check the user ${i.user}, the password in ${i.passwordEnv} and that the login may open database ${i.database}`
      : /certificate|self.signed|CERT/i.test(e.message)
        ? 'give the pods the CA of the server certificate (POD_SQL_CA_FILE), or set trustServerCertificate: true in the site file for a self-signed server'
        : `check the host, port ${i.port} and encrypt setting (${i.encrypt}) in the site file`;

async function connectivity(m: Machine, log: CaseLog, o: MachineOptions): Promise<void> {
  const i = itf(m);
  const tcp = await log.check('TCP connect', () => tcpCheck(i.host, i.port, 'the SQL Server'));
  if (tcp.status === 'failed') return void log.add('TDS login', skipped('no TCP connection'));
  await log.check(
    `TDS login (encrypt ${i.encrypt})`,
    () =>
      withPool(m, o, async (pool) => {
        const t0 = performance.now();
        await pool.request().query('SELECT 1 AS ok');
        return passed({ subject: `${i.user}@${i.database}`, message: `logged in, encryption ${i.encrypt}`, figures: { query_ms: Math.round((performance.now() - t0) * 100) / 100 } });
      }),
    (e) => ({ subject: `${i.user}@${i.database}`, expected: `a login as ${i.user} to ${i.database} (encrypt ${i.encrypt})`, seen: e.message, fix: loginFix(i, e) }),
  );
}

/** SQL types that hold each tag type, by mssql's type declaration. */
const typesFor: Record<string, string[]> = {
  real: ['real', 'float', 'decimal', 'numeric'],
  lreal: ['float', 'real', 'decimal', 'numeric'],
  int: ['int', 'smallint', 'tinyint', 'bigint'],
  dint: ['int', 'bigint'],
  word: ['int', 'smallint', 'bigint'],
  dword: ['bigint', 'int'],
  byte: ['tinyint', 'smallint', 'int'],
  bool: ['bit'],
  string: ['nvarchar', 'varchar', 'nchar', 'char', 'ntext', 'text'],
  char: ['nchar', 'char', 'nvarchar', 'varchar'],
};
const declOf = (col: { type?: unknown }) => String((col.type as { declaration?: string } | undefined)?.declaration ?? 'unknown').toLowerCase();
const q = (ident: string) => `[${ident.replace(/]/g, ']]')}]`;

async function tagMap(m: Machine, log: CaseLog, o: MachineOptions): Promise<void> {
  const i = itf(m);
  await withPool(m, o, async (pool) => {
    for (const table of Object.keys(sqlVendorTables) as SqlVendorTable[]) {
      const fixed = sqlVendorTables[table].fixed.map(([c, decl]) => ({ column: c as string, accepts: [decl.split(/[\s(]/)[0]!.toLowerCase()], tag: undefined as string | undefined }));
      const tags = m.tags.filter((t) => t.address.startsWith(`${table}.`)).map((t) => ({ column: t.address.slice(table.length + 1), accepts: typesFor[t.type] ?? [], tag: `${t.name} (${t.type})` }));
      const wanted = [...fixed, ...tags.filter((t) => !fixed.some((f) => f.column === t.column))];
      let columns: Record<string, { type?: unknown }>;
      try {
        const r = await pool.request().query(`SELECT TOP 0 ${wanted.map((w) => q(w.column)).join(', ')} FROM ${q(table)}`);
        columns = (r.recordset as unknown as { columns: Record<string, { type?: unknown }> }).columns;
        log.add(`table ${table}`, passed({ subject: `${i.database}.${table}`, figures: { columns: wanted.length } }));
      } catch (e) {
        const err = e as Error & { number?: number };
        if (err.number === 208) {
          log.add(`table ${table}`, failed({ subject: `${i.database}.${table}`, message: `table ${table} does not exist`, expected: `vendor table ${table} (plant-model sql-vendor.ts)`, seen: err.message, fix: `create ${table} in ${i.database}, or ask the machine builder where the cell controller keeps it` }));
          continue;
        }
        // a missing column: find which, one query each
        columns = {};
        for (const w of wanted) {
          try {
            const r = await pool.request().query(`SELECT TOP 0 ${q(w.column)} FROM ${q(table)}`);
            Object.assign(columns, (r.recordset as unknown as { columns: Record<string, { type?: unknown }> }).columns);
          } catch {
            // reported below as missing
          }
        }
        log.add(`table ${table}`, passed({ subject: `${i.database}.${table}`, message: 'exists; some columns are missing (below)' }));
      }
      for (const w of wanted) {
        const col = columns[w.column];
        const name = w.tag ? `tag ${w.tag.split(' ')[0]}` : `column ${table}.${w.column}`;
        const subject = `${table}.${w.column}${w.tag ? ` = ${w.tag}` : ''}`;
        if (!col) {
          log.add(name, failed({ subject, message: `column ${table}.${w.column} does not exist`, expected: `column ${w.column} (${w.accepts.join(' or ')})`, seen: 'no such column', fix: w.tag ? `correct the address of ${w.tag} in plant.yaml (${table}.<Column>) to the vendor database's column` : `the vendor table lacks ${w.column}: ask the machine builder` }));
          continue;
        }
        const decl = declOf(col);
        if (w.accepts.length && !w.accepts.includes(decl)) log.add(name, failed({ subject, message: `${table}.${w.column} is ${decl}`, expected: w.accepts.join(' or '), seen: decl, fix: w.tag ? `set the tag's type in plant.yaml to match ${decl}, or correct its address` : 'the vendor table differs from the documented schema: ask the machine builder' }));
        else log.add(name, passed({ subject, figures: { sql_type: decl } }));
      }
    }
  }).catch((e: Error) => log.add('SQL connection', failed({ message: e.message, expected: `a login to ${i.database}`, seen: e.message, fix: loginFix(i, e) })));
}

async function dryRun(m: Machine, log: CaseLog, o: MachineOptions): Promise<void> {
  const i = itf(m);
  await log.check('JobQueue readable', () =>
    withPool(m, o, async (pool) => {
      const r = await pool.request().query('SELECT TOP 1 JobId, Status, Command FROM JobQueue ORDER BY QueueId DESC');
      const last = r.recordset[0] as { JobId?: string; Status?: string } | undefined;
      return passed({ subject: `${i.database}.JobQueue`, message: last ? `last job ${last.JobId} ${last.Status}` : 'empty', figures: { last_status: last?.Status ?? null } });
    }),
  );
  const testDb = o.site?.testDatabase ?? (o.simulated ? i.database : undefined);
  const name = 'QUEUE / CANCEL in the test database';
  if (!o.allowWrites) return void log.add(name, skipped('read-only run (the default on a site): pass --allow-writes to run the handshake in the test database'));
  if (!testDb) return void log.add(name, skipped(`no test database for ${m.id} in the site file (hil.machines.${m.id}.testDatabase): the dry run never writes to the production JobQueue`));
  // the pod's own handshake (SqlDriver.jobs) against the test database: a job queued without START, then cancelled
  const machine: Machine = { ...m, interface: { ...i, database: testDb } };
  const rec = recordingContext(machine, quietLog());
  const driver = new SqlDriver(rec.ctx, o.env, { pollMs: 200 });
  const spec = { jobId: `HIL-${Date.now().toString(36).toUpperCase()}`, partNumber: m.parts[0]!.partNumber, quantity: 1, autoStart: false };
  try {
    await driver.start();
    await log.check(`QUEUE ${spec.jobId} (no START)`, async () => {
      if (!(await rec.until(() => driver.connected(), 15_000))) return failed({ subject: `${testDb}.JobQueue`, message: 'the pod driver did not connect', expected: 'connected', seen: rec.links.at(-1)?.reason ?? 'not connected' });
      rec.job = { spec, status: 'dispatched' };
      const t0 = performance.now();
      await driver.jobs.dispatch(spec);
      return passed({ subject: `${testDb}.JobQueue ${spec.jobId}`, message: 'queued with no command', figures: { handshake_ms: Math.round(performance.now() - t0) } });
    });
    if (!rec.job) return;
    await log.check(`CANCEL ${spec.jobId}`, async () => {
      const t0 = performance.now();
      await driver.jobs.command(spec.jobId, 'cancel', spec);
      const ok = await rec.until(() => rec.job?.status === 'cancelled', 15_000);
      const figures = { until_cancelled_ms: Math.round(performance.now() - t0) };
      if (!ok) return failed({ subject: `${testDb}.JobQueue ${spec.jobId}`, message: 'the machine did not take the CANCEL', expected: 'Status CANCELLED', seen: `status ${rec.job?.status}`, fix: 'check that the cell controller consumes JobQueue.Command', figures });
      return passed({ subject: `${testDb}.JobQueue ${spec.jobId}`, message: 'CANCELLED by the machine', figures });
    });
  } finally {
    await driver.stop();
    rec.dispose();
  }
}

export const sqlMachine: MachineUnderTest = {
  connectivity,
  tagMap,
  dryRun,
  async driver(m, rec, o) {
    // start where the tables end now, as a pod that is up to date: a fresh pod's first read of years of
    // history is not what latency and soak measure (the file name is the pod driver's watermark file)
    const after = await withPool(m, o, async (pool) => {
      const out: Record<string, number> = {};
      for (const t of ['MachineState', 'AlarmLog', 'CycleLog', 'ProcessLog'] as const) {
        const key = sqlVendorTables[t].key;
        const r = await pool.request().query(`SELECT MAX(${q(key)}) AS k FROM ${q(t)}`);
        out[t] = Number((r.recordset[0] as { k?: number } | undefined)?.k ?? 0);
      }
      return out;
    });
    writeFileSync(join(rec.ctx.stateDir, 'sql-watermark.json'), JSON.stringify(after));
    return new SqlDriver(rec.ctx, o.env);
  },
  budgetMs: () => 1000,
  gapMs: () => 5_000,
};
