import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { jobAgentPaths } from '@plant-twin/contracts';
import { sqlVendorTables, type SqlVendorTable } from '@plant-twin/plant-model';
import { createTdsServer, SqlDatabase, type TdsServer } from '@plant-twin/tds-server';
import { startMachinePod, type MachinePod } from '../../pod.js';
import { collect, latestByTime, ofKind, quietLog, tempDir, TestBroker, testPlant, uniquePlantId, waitFor } from '../../test-support.js';

const token = 'test-token-0123456789';
const password = `pw-${Math.random().toString(36).slice(2)}`;
const env = { CNC01_SQL_PASSWORD: password };

function vendorDatabase(name: string, tagColumns: Record<string, string[]>): SqlDatabase {
  const db = new SqlDatabase(name);
  for (const [table, def] of Object.entries(sqlVendorTables)) {
    const extra = (tagColumns[table] ?? []).map((c) => [c, 'REAL NULL'] as const);
    db.createTable(table, [...def.fixed, ...extra]);
  }
  return db;
}

const cncTags = { CycleLog: ['SpindleLoadPct', 'SpindleSpeedRpm', 'FeedOverridePct', 'ToolId', 'ToolWearPct', 'AxisXLoadPct', 'CoolantTempC'], ProcessLog: ['SpindleTempC', 'CoolantPressureBar', 'HydraulicPressureBar', 'PowerKw'] };
let t0 = Date.parse('2026-11-25T06:00:00Z');
const at = () => new Date((t0 += 1000));

function cycle(db: SqlDatabase, result = 'OK', jobId: string | null = 'W1') {
  db.insert('CycleLog', { CycleEnd: at(), JobId: jobId, PartNumber: 'HUB-7001', Result: result, CycleTimeS: 145.2, SpindleLoadPct: 68.5, SpindleSpeedRpm: 8500, FeedOverridePct: 100, ToolId: 12, ToolWearPct: 35, AxisXLoadPct: 31, CoolantTempC: 24.1 });
}

describe('SQL machine pod (CNC-01 against the TDS server)', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-sql');
  const plantId = uniquePlantId('sql');
  const db = vendorDatabase('CELL_CNC01', cncTags);
  let server: TdsServer;
  let port = 0;
  let pod: MachinePod;
  let sub: Awaited<ReturnType<typeof collect>>;
  const startServer = async (tls: 'off' | 'on' = 'on') => {
    server = await createTdsServer({ port, host: '127.0.0.1', users: [{ user: 'edge_reader', password }], databases: [db], tls, log: quietLog() });
    port = server.port;
  };
  const startPod = (stateDir = join(root, 'state'), topicPlantId = plantId) =>
    startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port, trustServerCertificate: true } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir, topicPlantId, env, log: quietLog(),
      sql: { pollMs: 100, batchSize: 4, connectTimeoutMs: 10_000, requestTimeoutMs: 3000 },
    });
  const api = (path: string, init: RequestInit = {}) => fetch(`${pod.url}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const counterTimes = () => ofKind(sub.messages, 'counter').map((c) => c.ts);
  const rowTimes = (table: SqlVendorTable, col: string) => db.rows(table).map((r) => (r[col] as Date).getTime());

  beforeAll(async () => {
    await broker.start();
    sub = await collect(broker.url, plantId);
    await startServer();
    db.insert('MachineState', { EventTime: at(), State: 'RUNNING', AlarmCode: 0 });
    for (let i = 0; i < 6; i++) cycle(db, i === 3 ? 'NOK' : 'OK');
    db.insert('ProcessLog', { SampleTime: at(), SpindleTempC: 41, CoolantPressureBar: 45, HydraulicPressureBar: 70, PowerKw: 22 });
    db.insert('AlarmLog', { EventTime: at(), Code: 403, Text: 'Coolant level low', Severity: 'WARN', Active: true });
    pod = await startPod();
    await waitFor(() => pod.ready(), 10_000, 'pod ready');
  });
  afterAll(async () => {
    await pod?.stop();
    await sub?.close();
    await server?.close();
    await broker.stop();
  });

  it('reads every table incrementally into state, alarm, sample and counter messages', async () => {
    await expect.poll(() => counterTimes().length, { timeout: 10_000 }).toBe(6);
    expect(counterTimes()).toEqual(rowTimes('CycleLog', 'CycleEnd'));
    expect(ofKind(sub.messages, 'counter').map((c) => c.scrapDelta)).toEqual([0, 0, 0, 1, 0, 0]);
    expect(ofKind(sub.messages, 'state')[0]).toMatchObject({ state: 'running', quality: 'good' });
    expect(ofKind(sub.messages, 'alarm')[0]).toMatchObject({ code: 403, active: true, severity: 'warn', text: 'Coolant level low' });
    const processSample = ofKind(sub.messages, 'sample').find((s) => s.values.some((v) => v.name === 'spindle_temp'));
    expect(processSample?.values.map((v) => [v.name, v.value])).toEqual([['spindle_temp', 41], ['coolant_pressure', 45], ['hydraulic_pressure', 70], ['power', 22]]);
    expect(sub.invalid).toEqual([]);
  });

  it('neither skips nor repeats rows across a pod restart (persisted watermark)', async () => {
    await pod.stop();
    for (let i = 0; i < 5; i++) cycle(db);
    pod = await startPod();
    await expect.poll(() => counterTimes().length, { timeout: 10_000 }).toBe(11);
    expect(counterTimes()).toEqual(rowTimes('CycleLog', 'CycleEnd'));
  });

  it('marks quality bad while the TDS server is down, reconnects and resumes without gaps or duplicates', async () => {
    await server.close();
    await expect.poll(() => ofKind(sub.messages, 'state').at(-1)?.quality, { timeout: 10_000 }).toBe('bad');
    expect(pod.ready()).toBe(false);
    for (let i = 0; i < 7; i++) cycle(db);
    await startServer();
    await expect.poll(() => pod.ready(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => counterTimes().length, { timeout: 10_000 }).toBe(18);
    expect(counterTimes()).toEqual(rowTimes('CycleLog', 'CycleEnd'));
    const ids = sub.messages.map((m) => m.message.id);
    expect(new Set(ids).size).toBe(ids.length);
    // the machine did not change state while away: the cloud reads it running again, not "bad" for good
    await expect.poll(() => latestByTime(sub.messages, 'CNC-01').state, { timeout: 5000 }).toMatchObject({ state: 'running', quality: 'good' });
  });

  it('a pod started while its SQL Server is unreachable reads the state good once it answers', async () => {
    await server.close();
    const latePlant = uniquePlantId('sql-late');
    const lateSub = await collect(broker.url, latePlant);
    const late = await startPod(join(root, 'state-late'), latePlant);
    try {
      await expect.poll(() => latestByTime(lateSub.messages, 'CNC-01').state?.quality, { timeout: 10_000 }).toBe('bad');
      await startServer();
      // the rows (from before the pod started) say running: the cloud must read that, not the pod's "bad"
      await expect.poll(() => latestByTime(lateSub.messages, 'CNC-01').state, { timeout: 20_000 }).toMatchObject({ state: 'running', quality: 'good' });
    } finally {
      await late.stop();
      await lateSub.close();
    }
    await expect.poll(() => pod.ready(), { timeout: 20_000 }).toBe(true);
  });

  it('runs a job through the JobQueue table and follows Status / GoodQty / ScrapQty to completion', async () => {
    const r = await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'W-77', partNumber: 'HUB-7002', quantity: 3 }) });
    expect(r.status).toBe(201);
    expect(db.select('JobQueue', (row) => row.JobId === 'W-77')[0]).toMatchObject({ Status: 'QUEUED', Command: 'START', Quantity: 3, GoodQty: 0 });
    // the cell controller takes the command and reports progress
    db.update('JobQueue', { Status: 'RUNNING', Command: null, GoodQty: 1, UpdatedAt: at() }, (row) => row.JobId === 'W-77');
    await expect.poll(async () => ((await (await api(jobAgentPaths.current)).json()) as { status: string; good: number }), { timeout: 5000 }).toMatchObject({ status: 'running', good: 1 });
    expect((await api(jobAgentPaths.action('W-77', 'hold'), { method: 'POST' })).status).toBe(200);
    expect(db.select('JobQueue', (row) => row.JobId === 'W-77')[0]!.Command).toBe('HOLD');
    db.update('JobQueue', { Status: 'HELD', Command: null, UpdatedAt: at() }, (row) => row.JobId === 'W-77');
    await expect.poll(async () => ((await (await api(jobAgentPaths.current)).json()) as { status: string }).status, { timeout: 5000 }).toBe('held');
    await api(jobAgentPaths.action('W-77', 'resume'), { method: 'POST' });
    db.update('JobQueue', { Status: 'DONE', Command: null, GoodQty: 3, ScrapQty: 1, UpdatedAt: at() }, (row) => row.JobId === 'W-77');
    await expect.poll(async () => ((await (await api(jobAgentPaths.job('W-77'))).json()) as { status: string }), { timeout: 5000 }).toMatchObject({ status: 'completed', good: 3, scrap: 1 });
    await expect.poll(() => ofKind(sub.messages, 'job').filter((j) => j.jobId === 'W-77').map((j) => j.event)).toEqual(['dispatched', 'accepted', 'started', 'held', 'completed']);
  });

  it('refuses to log in (password never sent) when encrypt: on meets a server without TLS', async () => {
    const plainDb = vendorDatabase('CELL_CNC01', cncTags);
    const plain = await createTdsServer({ port: 0, host: '127.0.0.1', users: [{ user: 'edge_reader', password }], databases: [plainDb], tls: 'off', log: quietLog() });
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }));
    const p = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port: plain.port, encrypt: 'on' } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-plain'), topicPlantId: `${plantId}-plain`, env, log,
      sql: { pollMs: 100, connectTimeoutMs: 10_000 },
    });
    await expect.poll(() => lines.join('\n'), { timeout: 10_000 }).toMatch(/did not negotiate TLS although the plant model requires encryption \(encrypt: on\); the login \(with its password\) was NOT sent/);
    expect(p.machineConnected()).toBe(false);
    expect(lines.join('\n')).not.toContain(password);
    await p.stop();
    // the same server is fine when the site says the link needs no encryption
    const q = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port: plain.port, encrypt: 'off' } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-plain2'), topicPlantId: `${plantId}-plain`, env, log: quietLog(),
      sql: { pollMs: 100, connectTimeoutMs: 10_000 },
    });
    await expect.poll(() => q.machineConnected(), { timeout: 10_000 }).toBe(true);
    await q.stop();
    // TDS 8 strict against a server without TLS: said plainly
    const strict = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port: plain.port, encrypt: 'strict' } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-plain3'), topicPlantId: `${plantId}-plain`, env, log,
      sql: { pollMs: 100, connectTimeoutMs: 10_000 },
    });
    await expect.poll(() => lines.join('\n'), { timeout: 10_000 }).toMatch(/failed the TDS 8.0 strict-encryption handshake \(TLS before PRELOGIN\).*The server may not support TDS 8/);
    expect(strict.machineConnected()).toBe(false);
    await strict.stop();
    await plain.close();
  });

  it('keeps reading the other tables when the vendor database lacks one, naming it', async () => {
    const partial = new SqlDatabase('CELL_CNC01');
    for (const [table, def] of Object.entries(sqlVendorTables)) {
      if (table === 'AlarmLog') continue;
      partial.createTable(table, [...def.fixed, ...((cncTags as Record<string, string[]>)[table] ?? []).map((c) => [c, 'REAL NULL'] as const)]);
    }
    cycle(partial);
    const srv = await createTdsServer({ port: 0, host: '127.0.0.1', users: [{ user: 'edge_reader', password }], databases: [partial], tls: 'on', log: quietLog() });
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }));
    const partialPlant = `${plantId}-partial`;
    const s2 = await collect(broker.url, partialPlant);
    const p = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port: srv.port, trustServerCertificate: true } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-partial'), topicPlantId: partialPlant, env, log,
      sql: { pollMs: 100, connectTimeoutMs: 10_000 },
    });
    await expect.poll(() => ofKind(s2.messages, 'counter').length, { timeout: 10_000 }).toBe(1);
    expect(lines.join('\n')).toMatch(/AlarmLog cannot be read with the plant model's columns/);
    expect(p.ready()).toBe(true);
    await p.stop();
    await s2.close();
    await srv.close();
  });

  it('connects with TDS 8 strict encryption to a server that supports it, verifying its certificate', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }));
    const untrusted = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port, encrypt: 'strict', trustServerCertificate: true } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-strict0'), topicPlantId: `${plantId}-strict`, env, log,
      sql: { pollMs: 100, connectTimeoutMs: 10_000 },
    });
    await expect.poll(() => lines.join('\n'), { timeout: 10_000 }).toMatch(/failed the TDS 8.0 strict-encryption handshake .*self-signed certificate/);
    await untrusted.stop();
    const q = await startMachinePod({
      plant: testPlant({ 'CNC-01': { host: '127.0.0.1', port, encrypt: 'strict', trustServerCertificate: true } }),
      machineId: 'CNC-01', mqttUrl: broker.url, apiToken: token, stateDir: join(root, 'state-strict'), topicPlantId: `${plantId}-strict`, env, log: quietLog(),
      sql: { pollMs: 100, connectTimeoutMs: 10_000, ca: server.certificate!.cert },
    });
    await expect.poll(() => q.machineConnected(), { timeout: 10_000 }).toBe(true);
    await q.stop();
  });
});
