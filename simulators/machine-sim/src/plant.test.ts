import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileFormats, loadPlant } from '@plant-twin/plant-model';
import { createLogger } from '@plant-twin/runtime';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedPlant, type SimulatedPlant } from './start.js';

const plant = loadPlant();
const log = createLogger('plant-test');
log.level = 'warn';
const token = 'test-control-token-0123';
const env: NodeJS.ProcessEnv = { ...process.env, CNC01_SQL_PASSWORD: 'Cnc01-test-pw', CNC02_SQL_PASSWORD: 'Cnc02-test-pw', PNT01_SQL_PASSWORD: 'Pnt01-test-pw' };
let p: SimulatedPlant;
let shareRoot: string;

beforeAll(async () => {
  shareRoot = await mkdtemp(join(tmpdir(), 'machine-sim-test-'));
  p = await startSimulatedPlant({
    plant,
    seed: 99,
    startMs: Date.UTC(2026, 3, 1, 6),
    machines: ['CNC-01', 'PNT-01', 'LSR-01', 'CMM-01', 'EOL-01', 'PRS-01'],
    realTime: false,
    ephemeralPorts: true,
    shareRoot,
    controlPort: 0,
    controlToken: token,
    env,
    log,
  });
});

afterAll(async () => {
  await p?.stop();
  await rm(shareRoot, { recursive: true, force: true });
});

async function writeAtomic(file: string, text: string) {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

describe('file face', () => {
  it('takes a job file, writes CSV results in the model format and renames the job to done', async () => {
    const inbox = join(shareRoot, 'LSR-01', 'in');
    await writeAtomic(join(inbox, 'JF-1.job'), 'JobId=JF-1\nPartNumber=HUB-7001\nQuantity=12\n');
    await writeAtomic(join(inbox, 'JF-BAD.job'), 'JobId=JF-BAD\nPartNumber=NOPE-1\nQuantity=3\n');
    await p.advance(60_000);
    expect((await readdir(inbox)).sort()).toContain('JF-1.job.active');
    for (let i = 0; i < 60 && !(await readdir(inbox)).includes('JF-1.job.done'); i++) await p.advance(10 * 60_000);
    expect(await readdir(inbox)).toContain('JF-1.job.done');
    const out = join(shareRoot, 'LSR-01', 'out');
    const files = (await readdir(out)).sort();
    expect(files.every((f) => /^LSR_\d{8}_\d{6}_\d{6}\.csv$/.test(f))).toBe(true);
    const f = fileFormats['lsr-csv'];
    const rows: string[][] = [];
    for (const name of files) {
      const [header, ...lines] = (await readFile(join(out, name), 'utf8')).trimEnd().split('\n');
      expect(header).toBe([...f.fixed, 'LaserPowerW', 'MarkTimeS', 'Contrast'].join(';'));
      rows.push(...lines.map((l) => l.split(';')));
    }
    const job = rows.filter((r) => r[1] === 'JF-1');
    expect(job.filter((r) => r[4] === 'OK')).toHaveLength(12);
    expect(job.every((r) => !Number.isNaN(Date.parse(r[0]!)) && Number(r[5]) > 0)).toBe(true);
    // the results on the share are exactly the ground truth of the job
    const truth = p.truth.counts({ machineId: 'LSR-01' }).byJob['JF-1']!;
    expect(job.filter((r) => r[4] === 'NOK')).toHaveLength(truth.scrap);
    expect(truth.good).toBe(12);
    // the second job file had an unknown part and was refused with the reason
    const bad = await readFile(join(inbox, 'JF-BAD.job.cancelled'), 'utf8').catch(() => undefined);
    expect(bad).toMatch(/Result=unknownPart/);
  });

  it('cancels a running job on a cancel request file', async () => {
    const inbox = join(shareRoot, 'EOL-01', 'in');
    await writeAtomic(join(inbox, 'JF-2.job'), 'JobId=JF-2\nPartNumber=HSG-3001\nQuantity=100000\n');
    await p.advance(60 * 60_000);
    expect(await readdir(inbox)).toContain('JF-2.job.active');
    await writeAtomic(join(inbox, 'JF-2.cancel'), '');
    await p.advance(5000);
    const names = await readdir(inbox);
    expect(names).toContain('JF-2.job.cancelled');
    expect(names).not.toContain('JF-2.cancel');
    expect(p.truth.jobs.find((j) => j.jobId === 'JF-2')!.outcome).toBe('cancelled');
  });

  it('a CMM writes one XML report per measured part, consistent with the truth', async () => {
    await p.advance(3 * 3_600_000, 60_000);
    const out = join(shareRoot, 'CMM-01', 'out');
    const files = (await readdir(out)).sort();
    const cycles = p.truth.cycles.filter((c) => c.machineId === 'CMM-01');
    expect(files.length).toBe(cycles.length);
    expect(files.length).toBeGreaterThan(3);
    const xml = await readFile(join(out, files[0]!), 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<MeasurementReport version="1.0">/);
    expect(xml).toMatch(/<Characteristic name="bore_d1" nominal="12.000" lowerTol="-0.011" upperTol="0.011" actual="[\d.]+" unit="mm"\/>/);
    expect(xml).toContain(`<Result>${cycles[0]!.result === 'good' ? 'PASS' : 'FAIL'}</Result>`);
  });

  it('damages result files on request so the edge quarantine can be tested', async () => {
    const res = await fetch(`${p.control!.url}/files/faults`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ rate: 1 }) });
    expect(res.status).toBe(200);
    const before = p.files.length;
    await p.advance(6 * 3_600_000, 60_000);
    const damaged = p.files.slice(before);
    expect(damaged.length).toBeGreaterThan(0);
    expect(damaged.every((f) => f.fault !== null)).toBe(true);
    const last = damaged.at(-1)!;
    const text = await readFile(join(shareRoot, last.machineId, 'out', last.name), 'utf8');
    if (last.fault === 'truncated') expect(text).not.toMatch(/<\/MeasurementReport>\n$/);
    await fetch(`${p.control!.url}/files/faults`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ rate: 0 }) });
  });
});

describe('SQL face', () => {
  async function connect(id: 'CNC-01' | 'PNT-01') {
    const m = p.machine(id);
    const itf = m.sim.model.interface;
    if (itf.type !== 'sql') throw new Error('not sql');
    const [host, port] = m.face.endpoint.split(':');
    const pool = new sql.ConnectionPool({
      server: host!, port: Number(port), user: itf.user, password: env[itf.passwordEnv], database: itf.database,
      options: { encrypt: true, trustServerCertificate: true }, connectionTimeout: 5000, requestTimeout: 5000,
    });
    await pool.connect();
    return pool;
  }

  it('refuses a wrong password', async () => {
    const m = p.machine('CNC-01');
    const [host, port] = m.face.endpoint.split(':');
    const pool = new sql.ConnectionPool({ server: host!, port: Number(port), user: 'edge_reader', password: 'wrong', database: 'CELL_CNC01', options: { encrypt: true, trustServerCertificate: true }, connectionTimeout: 5000 });
    await expect(pool.connect()).rejects.toThrow(/Login failed/i);
  });

  it('runs a job through JobQueue and logs cycles, process samples and states', async () => {
    const pool = await connect('CNC-01');
    try {
      const now = new Date(p.sim.now());
      const ins = (jobId: string, part: string, qty: number) =>
        pool.request().input('j', sql.NVarChar(32), jobId).input('p', sql.NVarChar(24), part).input('q', sql.Int, qty).input('t', sql.DateTime2(3), now)
          .query("INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, Command, GoodQty, ScrapQty, CreatedAt, UpdatedAt) VALUES (@j, @p, @q, 'QUEUED', 'START', 0, 0, @t, @t)");
      await ins('SQ-1', 'HUB-7001', 4);
      await ins('SQ-BAD', 'NOPE-9', 4);
      await p.advance(5000);
      await ins('SQ-2', 'HUB-7002', 1);
      await p.advance(5000);
      const rows = async () => (await pool.request().query('SELECT JobId, Status, Command, GoodQty, ScrapQty, Message FROM JobQueue ORDER BY QueueId')).recordset;
      let r = await rows();
      expect(r[0]).toMatchObject({ JobId: 'SQ-1', Status: 'SETUP', Command: null });
      expect(r[1]).toMatchObject({ JobId: 'SQ-BAD', Status: 'REJECTED', Command: null });
      expect(r[1].Message).toMatch(/unknownPart/);
      // started while the machine is busy: waits in the queue
      expect(r[2]).toMatchObject({ JobId: 'SQ-2', Status: 'QUEUED', Command: 'START' });
      await pool.request().query("UPDATE JobQueue SET Command = 'HOLD' WHERE JobId = 'SQ-1'");
      await p.advance(5000);
      expect((await rows())[0]).toMatchObject({ Status: 'HELD', Command: null });
      await pool.request().query("UPDATE JobQueue SET Command = 'RESUME' WHERE JobId = 'SQ-1'");
      for (let i = 0; i < 40 && (await rows())[0].Status !== 'DONE'; i++) await p.advance(10 * 60_000, 10_000);
      r = await rows();
      expect(r[0]).toMatchObject({ Status: 'DONE', GoodQty: 4 });
      const truth = p.truth.jobs.find((j) => j.jobId === 'SQ-1')!;
      expect(r[0].ScrapQty).toBe(truth.scrap);
      const cycles = (await pool.request().query("SELECT Result, CycleTimeS, SpindleLoadPct FROM CycleLog WHERE JobId = 'SQ-1'")).recordset;
      expect(cycles.filter((c) => c.Result === 'OK')).toHaveLength(4);
      expect(cycles.every((c) => c.CycleTimeS > 100 && typeof c.SpindleLoadPct === 'number')).toBe(true);
      const samples = (await pool.request().query('SELECT COUNT(*) AS n FROM ProcessLog')).recordset[0].n as number;
      const elapsedS = (p.sim.now() - p.sim.startMs) / 1000;
      expect(samples).toBeGreaterThanOrEqual(Math.floor(elapsedS / 10));
      expect(samples).toBeLessThanOrEqual(Math.floor(elapsedS / 10) + 2);
      const states = (await pool.request().query('SELECT State FROM MachineState ORDER BY EventId')).recordset.map((x) => x.State);
      expect(states).toEqual(expect.arrayContaining(['IDLE', 'SETUP', 'RUNNING']));
      // the waiting job runs once the machine is free
      for (let i = 0; i < 40 && (await rows())[2].Status !== 'DONE'; i++) await p.advance(10 * 60_000, 10_000);
      expect((await rows())[2]).toMatchObject({ Status: 'DONE', GoodQty: 1, Command: null });
      expect(p.truth.jobs.find((j) => j.jobId === 'SQ-2')!.startedAt).toBeGreaterThanOrEqual(truth.endedAt!);
      // a second START for a finished job is refused and consumed
      await pool.request().query("UPDATE JobQueue SET Command = 'START' WHERE JobId = 'SQ-1'");
      await p.advance(2000);
      expect((await rows())[0]).toMatchObject({ Status: 'DONE', Command: null });
    } finally {
      await pool.close();
    }
  });
});

describe('control API', () => {
  const post = (path: string, body: unknown, auth = true) =>
    fetch(`${p.control!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  const get = (path: string, auth = true) => fetch(`${p.control!.url}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it('answers nothing but the probes without the token, the ground truth included', async () => {
    for (const path of ['/machines', '/machines/PRS-01', '/truth', '/truth/PRS-01']) expect((await get(path, false)).status, path).toBe(401);
    expect((await fetch(`${p.control!.url}/truth`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await get('/health/live', false)).status).toBe(200);
  });

  it('serves machines and truth, guards mutations with the token, injects faults and stops faces', async () => {
    expect((await fetch(`${p.control!.url}/health/ready`)).status).toBe(200);
    const list = (await (await get('/machines')).json()) as { machines: { id: string }[] };
    expect(list.machines.map((m) => m.id)).toEqual(['PRS-01', 'CNC-01', 'PNT-01', 'LSR-01', 'CMM-01', 'EOL-01']);
    expect((await post('/machines/PRS-01/fault', { code: 101, durationS: 600 }, false)).status).toBe(401);
    const r = await post('/machines/PRS-01/fault', { code: 101, durationS: 600 });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { machine: unknown }).machine).toMatchObject({ state: 'fault', alarmCode: 101 });
    expect((await post('/machines/PRS-01/fault', { code: 'x' })).status).toBe(400);
    expect((await post('/machines/NOPE-01/fault', {})).status).toBe(404);
    await p.advance(600_000);
    const truth = (await (await get(`/truth/PRS-01?from=${p.sim.startMs}`)).json()) as { alarms: unknown[]; intervals: { state: string }[] };
    expect(truth.alarms).toEqual([expect.objectContaining({ code: 101, clearedAt: expect.any(Number) })]);
    expect(truth.intervals.some((i) => i.state === 'fault')).toBe(true);
    expect((await post('/machines/PRS-01/command', { command: 'load', jobId: 'C-1', partNumber: 'NOPE', quantity: 1 })).status).toBe(409);
    expect((await post('/machines/PRS-01/maintenance', { durationMin: 5 })).status).toBe(200);
    expect(p.machine('PRS-01').sim.currentState).toBe('maintenance');
    expect((await post('/machines/PRS-01/face/stop', {})).status).toBe(200);
    expect((await fetch(`${p.control!.url}/health/ready`)).status).toBe(503);
    expect((await post('/machines/PRS-01/face/start', {})).status).toBe(200);
    expect((await fetch(`${p.control!.url}/health/ready`)).status).toBe(200);
    expect((await post('/machines/PRS-01/power/off', {})).status).toBe(200);
    expect(p.machine('PRS-01').sim.currentState).toBe('off');
  });
});
