/**
 * Throughput of the simulated SQL Server with the real driver (mssql/tedious), on this machine:
 *   node simulators/tds-server/dist/bench.js [rows] [seconds]
 * Prints JSON: queries/s for the machine pod's poll query on a CycleLog of `rows` rows, for
 * SELECT 1, for INSERT into the job queue, with and without TLS, and the server's RSS.
 */
import sql from 'mssql';
import { pino } from 'pino';
import { SqlDatabase } from './database.js';
import { createTdsServer } from './server.js';

const rows = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 3);

async function rate(label: string, fn: (i: number) => Promise<unknown>, concurrency = 4): Promise<[string, number]> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await fn(n++);
    }),
  );
  return [label, Math.round(n / seconds)];
}

async function main(): Promise<void> {
  const db = new SqlDatabase('BENCH');
  db.createTable('CycleLog', [
    ['CycleId', 'BIGINT IDENTITY PRIMARY KEY'],
    ['CycleEnd', 'DATETIME2(3) NOT NULL'],
    ['JobId', 'NVARCHAR(32) NULL'],
    ['Result', 'NVARCHAR(8) NOT NULL'],
    ['CycleTimeS', 'REAL NOT NULL'],
    ['SpindleLoadPct', 'REAL NULL'],
  ]);
  db.createTable('JobQueue', [
    ['QueueId', 'INT IDENTITY PRIMARY KEY'],
    ['JobId', 'NVARCHAR(32) NOT NULL UNIQUE'],
    ['Quantity', 'INT NOT NULL'],
    ['UpdatedAt', 'DATETIME2(3) NOT NULL'],
  ]);
  const t0 = Date.now();
  for (let i = 0; i < rows; i++) db.insert('CycleLog', { CycleEnd: new Date(t0 + i), JobId: `J-${i % 50}`, Result: i % 9 ? 'OK' : 'NOK', CycleTimeS: 30 + (i % 7), SpindleLoadPct: i % 100 });
  const fill = Date.now() - t0;
  const server = await createTdsServer({ port: 0, users: [{ user: 'bench', password: 'bench-Passw0rd' }], databases: [db], tls: 'on', log: pino({ level: 'warn' }) });
  const results: Record<string, number> = {};
  for (const encrypt of [false, true]) {
    const pool = await new sql.ConnectionPool({ server: '127.0.0.1', port: server.port, user: 'bench', password: 'bench-Passw0rd', database: 'BENCH', options: { encrypt, trustServerCertificate: true }, pool: { max: 4 } }).connect();
    const tag = encrypt ? 'tls' : 'clear';
    const polls: [string, number][] = [
      await rate(`${tag}: SELECT 1`, () => pool.request().query('SELECT 1 AS one')),
      // the machine pod's incremental poll: the 100 rows after a recent key
      await rate(`${tag}: poll TOP 100 WHERE CycleId > @after ORDER BY CycleId`, () =>
        pool.request().input('after', sql.BigInt, rows - 150).query('SELECT TOP 100 CycleId, CycleEnd, JobId, Result, CycleTimeS, SpindleLoadPct FROM [CycleLog] WHERE [CycleId] > @after ORDER BY [CycleId]'),
      ),
      // a full scan with a filter on a non-key column
      await rate(`${tag}: COUNT(*) WHERE Result = 'NOK' (full scan of ${rows})`, () => pool.request().query("SELECT COUNT(*) AS n FROM CycleLog WHERE Result = 'NOK'"), 1),
      await rate(`${tag}: INSERT JobQueue`, (i) => pool.request().input('j', sql.NVarChar(32), `${tag}-${i}`).input('now', sql.DateTime2(3), new Date()).query('INSERT INTO JobQueue (JobId, Quantity, UpdatedAt) VALUES (@j, 1, @now)')),
    ];
    for (const [k, v] of polls) results[`${k} [queries/s]`] = v;
    await pool.close();
  }
  await server.close();
  console.log(JSON.stringify({ rows, fillMs: fill, ...results, rssMiB: Math.round(process.memoryUsage().rss / 1048576) }, null, 2));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
