/** Shared set-up of the tests: a vendor-like database and a server on a free port. */
import sql from 'mssql';
import { pino } from 'pino';
import { sqlVendorTables } from '@plant-twin/plant-model';
import { SqlDatabase } from './database.js';
import { createTdsServer, type TdsServer, type TdsServerOptions } from './server.js';

export const USER = 'edge_reader';
export const PASSWORD = 'S1m-Passw0rd!';
export const DB = 'CELL_CNC01';

export const silent = pino({ level: process.env.TDS_TEST_LOG ?? 'silent' });

export function vendorDatabase(name = DB): SqlDatabase {
  const db = new SqlDatabase(name);
  db.createTable('CycleLog', [
    ['CycleId', 'BIGINT IDENTITY PRIMARY KEY'],
    ['CycleEnd', 'DATETIME2(3) NOT NULL'],
    ['JobId', 'NVARCHAR(32) NULL'],
    ['PartNumber', 'NVARCHAR(24) NULL'],
    ['Result', 'NVARCHAR(8) NOT NULL'],
    ['CycleTimeS', 'REAL NOT NULL'],
    ['SpindleLoadPct', 'REAL NULL'],
  ]);
  db.createTable('JobQueue', sqlVendorTables.JobQueue.fixed.map(([c, t]) => [c, t]));
  db.createTable('AlarmLog', [
    ['AlarmEventId', 'BIGINT IDENTITY PRIMARY KEY'],
    ['EventTime', 'DATETIME2(3) NOT NULL'],
    ['Code', 'INT NOT NULL'],
    ['Text', 'NVARCHAR(128) NOT NULL'],
    ['Severity', 'NVARCHAR(8) NOT NULL'],
    ['Active', 'BIT NOT NULL'],
  ]);
  return db;
}

export async function startServer(opts: Partial<TdsServerOptions> = {}): Promise<{ server: TdsServer; db: SqlDatabase }> {
  const db = opts.databases?.[0] ?? vendorDatabase();
  const server = await createTdsServer({ port: 0, users: [{ user: USER, password: PASSWORD }], databases: [db], log: silent, ...opts });
  return { server, db };
}

export function mssqlConfig(port: number, extra: Partial<sql.config> = {}): sql.config {
  return {
    server: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: DB,
    options: { encrypt: false, trustServerCertificate: true },
    pool: { max: 2, min: 0 },
    connectionTimeout: 5000,
    requestTimeout: 10000,
    ...extra,
  };
}
