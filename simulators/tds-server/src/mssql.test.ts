import sql from 'mssql';
import { Connection, Request } from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase, WriteEvent } from './database.js';
import { DB, mssqlConfig, PASSWORD, startServer, USER, vendorDatabase } from './fixture.test-support.js';
import type { TdsServer } from './server.js';

const T0 = Date.UTC(2026, 10, 25, 6, 0, 0, 0);

function seedCycles(db: SqlDatabase, n: number): void {
  for (let i = 0; i < n; i++) {
    db.insert('CycleLog', {
      CycleEnd: new Date(T0 + i * 60_000 + 123),
      JobId: i % 10 === 9 ? null : `JOB-${Math.floor(i / 10)}`,
      PartNumber: i % 2 ? 'BRK-100' : 'HSG-220',
      Result: i % 7 === 3 ? 'NOK' : 'OK',
      CycleTimeS: 30 + i / 4,
      SpindleLoadPct: i % 5 === 0 ? null : 60 + i,
    });
  }
}

describe.each([
  ['clear', { encrypt: false }],
  ['TLS', { encrypt: true, trustServerCertificate: true }],
])('mssql over %s', (label, options) => {
  let server: TdsServer;
  let db: SqlDatabase;
  let pool: sql.ConnectionPool;
  const writes: WriteEvent[] = [];

  beforeAll(async () => {
    ({ server, db } = await startServer({ tls: 'on' }));
    seedCycles(db, 50);
    db.onWrite((e) => writes.push(e));
    pool = await new sql.ConnectionPool(mssqlConfig(server.port, { options })).connect();
  });
  afterAll(async () => {
    await pool?.close();
    await server?.close();
  });

  it(`${label}: the session is encrypted exactly when the client asked`, async () => {
    await pool.request().query('SELECT 1 AS one');
    const conns = [...server.connections].filter((c) => c.user === USER);
    expect(conns.length).toBeGreaterThan(0);
    for (const c of conns) expect(c.encrypted).toBe(options.encrypt);
  });

  it('answers what tedious and tools ask after login', async () => {
    const r = await pool.request().query('SELECT @@VERSION AS v, DB_NAME() AS db, @@SPID AS spid, SERVERPROPERTY(\'ProductVersion\') AS pv');
    expect(r.recordset[0].v).toMatch(/^Microsoft SQL Server 2022/);
    expect(r.recordset[0].db).toBe(DB);
    expect(typeof r.recordset[0].spid).toBe('number');
    expect(r.recordset[0].pv).toMatch(/^16\./);
  });

  it('SELECT TOP / WHERE / ORDER BY returns typed rows', async () => {
    const r = await pool.request().query(`SELECT TOP 3 CycleId, CycleEnd, JobId, Result, CycleTimeS, SpindleLoadPct
      FROM dbo.CycleLog WHERE Result = 'OK' AND (PartNumber LIKE 'brk%' OR SpindleLoadPct IS NULL) ORDER BY CycleId DESC`);
    const expected = db.rows('CycleLog').filter((c) => c.Result === 'OK' && (String(c.PartNumber).startsWith('BRK') || c.SpindleLoadPct === null)).map((c) => String(c.CycleId)).reverse().slice(0, 3);
    expect(expected).toEqual(['50', '48', '44']);
    expect(r.recordset.map((x: { CycleId: string }) => x.CycleId)).toEqual(expected);
    const row = r.recordset[0];
    // BIGINT comes back as a string from tedious, as from real SQL Server
    expect(row.CycleEnd).toBeInstanceOf(Date);
    expect(row.CycleEnd.getTime()).toBe(T0 + 49 * 60_000 + 123);
    expect(row.JobId).toBeNull();
    expect(r.recordset[1].JobId).toBe('JOB-4');
    expect(r.recordset[1].SpindleLoadPct).toBe(60 + 47);
    expect(r.recordset[2].SpindleLoadPct).toBe(103);
    const nulls = await pool.request().query('SELECT SpindleLoadPct, JobId FROM CycleLog WHERE CycleId IN (1, 10)');
    expect(nulls.recordset).toEqual([{ SpindleLoadPct: null, JobId: 'JOB-0' }, { SpindleLoadPct: 69, JobId: null }]);
    expect(row.CycleTimeS).toBeCloseTo(30 + 49 / 4, 5);
    expect(typeof row.SpindleLoadPct).toBe('number');
    const cols = r.recordset.columns as Record<string, { type: unknown; length?: number }>;
    expect(cols.CycleId!.type).toBe(sql.BigInt);
    expect(cols.CycleEnd!.type).toBe(sql.DateTime2);
    expect(cols.JobId!.type).toBe(sql.NVarChar);
    // the TYPE_INFO max length of NVARCHAR(32) is in bytes, and mssql passes it on as is
    expect(cols.JobId!.length).toBe(64);
    expect(cols.CycleTimeS!.type).toBe(sql.Real);
    expect(r.rowsAffected).toEqual([3]);
  });

  it('parameterised queries (sp_executesql) with every common type', async () => {
    const since = new Date(T0 + 40 * 60_000);
    const r = await pool
      .request()
      .input('after', sql.BigInt, 10)
      .input('since', sql.DateTime2(3), since)
      .input('result', sql.NVarChar(8), 'NOK')
      .input('parts', sql.VarChar(24), 'HSG-220')
      .input('n', sql.Int, 100)
      .query('SELECT TOP (@n) CycleId, Result FROM CycleLog WHERE CycleId > @after AND (CycleEnd >= @since OR Result = @result) AND PartNumber IN (@parts, N\'x\') ORDER BY CycleEnd');
    const ids = r.recordset.map((x: { CycleId: string }) => Number(x.CycleId));
    const expected = db.rows('CycleLog').filter((c) => (c.CycleId as number) > 10 && ((c.CycleEnd as Date) >= since || c.Result === 'NOK') && c.PartNumber === 'HSG-220').map((c) => c.CycleId);
    expect(ids).toEqual(expected);
    expect(ids.length).toBeGreaterThan(3);

    const echo = await pool
      .request()
      .input('i', sql.Int, -123456)
      .input('b', sql.Bit, true)
      .input('f', sql.Float, 1.25e-3)
      .input('r', sql.Real, 2.5)
      .input('d', sql.Decimal(10, 3), 1234.567)
      .input('s', sql.NVarChar(sql.MAX), 'Grüße ✓ ' + 'x'.repeat(5000))
      .input('v', sql.VarChar(20), 'plain € „ü“')
      .input('dt', sql.DateTime, new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 997)))
      .input('d2', sql.DateTime2(7), new Date(Date.UTC(1999, 11, 31, 12, 0, 0, 5)))
      .input('da', sql.Date, new Date(Date.UTC(2030, 0, 2)))
      .input('g', sql.UniqueIdentifier, '6F9619FF-8B86-D011-B42D-00C04FC964FF')
      .input('nothing', sql.Int, null)
      .input('bi', sql.BigInt, 9007199254740991)
      .query('SELECT @i AS i, @b AS b, @f AS f, @r AS r, @d AS d, @s AS s, CAST(@v AS VARCHAR(20)) AS v, @dt AS dt, @d2 AS d2, @da AS da, @g AS g, @nothing AS nothing, @bi AS bi, @i + 1 AS calc');
    const e = echo.recordset[0];
    expect(e.i).toBe(-123456);
    expect(e.b).toBe(true);
    expect(e.f).toBe(1.25e-3);
    expect(e.r).toBe(2.5);
    expect(e.d).toBeCloseTo(1234.567, 6);
    expect(e.s).toBe('Grüße ✓ ' + 'x'.repeat(5000));
    // VARCHAR travels in the collation's code page (CP1252) both ways
    expect(e.v).toBe('plain € „ü“');
    expect(e.dt.getTime()).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 997));
    expect(e.d2.getTime()).toBe(Date.UTC(1999, 11, 31, 12, 0, 0, 5));
    expect(e.da.getTime()).toBe(Date.UTC(2030, 0, 2));
    expect(e.g.toUpperCase()).toBe('6F9619FF-8B86-D011-B42D-00C04FC964FF');
    expect(e.nothing).toBeNull();
    expect(e.bi).toBe('9007199254740991');
    expect(e.calc).toBe(-123455);
  });

  it('aggregates and GROUP BY', async () => {
    const r = await pool.request().query("SELECT Result, COUNT(*) AS n, MAX(CycleId) AS last, AVG(CycleTimeS) AS avgT FROM CycleLog GROUP BY Result ORDER BY n DESC");
    const nok = db.rows('CycleLog').filter((c) => c.Result === 'NOK').length;
    expect(r.recordset).toHaveLength(2);
    expect(r.recordset[0]).toMatchObject({ Result: 'OK', n: 50 - nok, last: '50' });
    expect(r.recordset[1]).toMatchObject({ Result: 'NOK', n: nok });
  });

  it('INSERT and UPDATE on the job queue, seen by the simulator', async () => {
    writes.length = 0;
    const now = new Date(Date.UTC(2026, 10, 25, 8, 0, 0, 250));
    const ins = await pool
      .request()
      .input('job', sql.NVarChar(32), `J-${label}-1`)
      .input('part', sql.NVarChar(24), 'BRK-100')
      .input('qty', sql.Int, 120)
      .input('now', sql.DateTime2(3), now)
      .query(`INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, GoodQty, ScrapQty, CreatedAt, UpdatedAt)
              OUTPUT INSERTED.QueueId, INSERTED.Status VALUES (@job, @part, @qty, 'QUEUED', 0, 0, @now, @now);
              SELECT CAST(SCOPE_IDENTITY() AS INT) AS id`);
    const sets = ins.recordsets as sql.IRecordSet<Record<string, unknown>>[];
    expect(sets[0]![0]).toEqual({ QueueId: sets[1]![0]!.id, Status: "QUEUED" });
    expect(ins.rowsAffected).toEqual([1, 1]);
    expect(writes).toEqual([expect.objectContaining({ table: 'JobQueue', op: 'insert', source: 'client', rows: [expect.objectContaining({ JobId: `J-${label}-1`, Quantity: 120, Command: null, CreatedAt: now })] })]);

    const upd = await pool.request().input('job', sql.NVarChar(32), `J-${label}-1`).input('cmd', sql.NVarChar(16), 'START').query('UPDATE JobQueue SET Command = @cmd, UpdatedAt = SYSUTCDATETIME() WHERE JobId = @job AND Command IS NULL');
    expect(upd.rowsAffected).toEqual([1]);
    expect(writes[1]).toMatchObject({ op: 'update', source: 'client', rows: [{ Command: 'START' }], before: [{ Command: null }] });

    // the machine consumes the command through the API; the edge reads the result
    db.update('JobQueue', { Command: null, Status: 'RUNNING', GoodQty: 5 }, (r) => r.JobId === `J-${label}-1`);
    const read = await pool.request().input('job', sql.NVarChar(32), `J-${label}-1`).query('SELECT Status, Command, GoodQty, ScrapQty, UpdatedAt FROM JobQueue WHERE JobId = @job');
    expect(read.recordset).toEqual([{ Status: 'RUNNING', Command: null, GoodQty: 5, ScrapQty: 0, UpdatedAt: expect.any(Date) }]);
  });

  it('constraint violations come back as SQL Server errors', async () => {
    const insert = (job: string) =>
      pool.request().input('job', sql.NVarChar(32), job).query("INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, GoodQty, ScrapQty, CreatedAt, UpdatedAt) VALUES (@job, 'P', 1, 'QUEUED', 0, 0, SYSUTCDATETIME(), SYSUTCDATETIME())");
    await insert(`DUP-${label}`);
    await expect(insert(`dup-${label}`)).rejects.toMatchObject({ number: 2627, class: 14 });
    await expect(pool.request().query("INSERT INTO JobQueue (JobId) VALUES ('x')")).rejects.toMatchObject({ number: 515 });
    await expect(pool.request().query("UPDATE JobQueue SET PartNumber = 'this part number is far too long for the column' WHERE 1 = 1")).rejects.toMatchObject({ number: 2628 });
    await expect(pool.request().query('SELECT * FROM NoSuchTable')).rejects.toMatchObject({ number: 208, message: "Invalid object name 'NoSuchTable'." });
    await expect(pool.request().query('SELECT Nope FROM CycleLog')).rejects.toMatchObject({ number: 207 });
    await expect(pool.request().query('SELECT * FROM CycleLog WHERE CycleId = @undeclared')).rejects.toMatchObject({ number: 137 });
  });

  it('SELECT @r = Result ...; SELECT @r: one result set, the last row\'s value (issue 15 #10)', async () => {
    // CycleId 4 (i = 3) is the first NOK
    const r = await pool.request().query('DECLARE @r NVARCHAR(8); SELECT @r = Result FROM CycleLog WHERE CycleId <= 4 ORDER BY CycleId; SELECT @r AS r');
    expect(r.recordsets).toHaveLength(1);
    expect(r.recordset).toEqual([{ r: 'NOK' }]);
    const none = await pool.request().input('max', sql.Int, 0).query("DECLARE @r NVARCHAR(8) = N'kept'; SELECT @r = Result FROM CycleLog WHERE CycleId <= @max; SELECT @r AS r, @@ROWCOUNT AS rc");
    expect(none.recordsets).toHaveLength(1);
    expect(none.recordset).toEqual([{ r: 'kept', rc: 0 }]);
    const out = await pool.request().input('id', sql.BigInt, 4).output('r', sql.NVarChar(8)).query('SELECT @r = Result FROM CycleLog WHERE CycleId = @id');
    expect([out.recordsets.length, out.output.r]).toEqual([0, 'NOK']);
    await expect(pool.request().query('DECLARE @r NVARCHAR(8); SELECT @r = Result, CycleId FROM CycleLog')).rejects.toMatchObject({
      number: 141,
      message: 'A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.',
    });
    await expect(pool.request().query('SELECT CycleId FROM CycleLog WHERE Result')).rejects.toMatchObject({ number: 4145 });
    await expect(pool.request().query('SET ROWCOUNT 1')).rejects.toMatchObject({ message: expect.stringContaining('Not supported by the simulator: SET ROWCOUNT 1') });
  });

  it('unsupported or wrong SQL gets an ERROR and the connection stays usable', async () => {
    const single = await new sql.ConnectionPool(mssqlConfig(server.port, { options, pool: { max: 1, min: 0 } })).connect();
    try {
      await expect(single.request().query('SELEC 1')).rejects.toMatchObject({ number: 102, message: "Incorrect syntax near 'SELEC'." });
      await expect(single.request().query('CREATE TABLE x (a int)')).rejects.toMatchObject({ message: expect.stringContaining('Not supported by the simulator') });
      await expect(single.request().query('SELECT a.x FROM CycleLog c JOIN JobQueue j ON 1=1')).rejects.toMatchObject({ message: expect.stringContaining('joins') });
      await expect(single.request().query("SELECT 'unterminated")).rejects.toMatchObject({ number: 105 });
      // parameter types the simulator does not decode are refused per request, not per connection
      await expect(single.request().input('m', sql.Money, 1.5).query('SELECT @m AS m')).rejects.toMatchObject({ number: 8016 });
      await expect(single.request().input('t', sql.Time, new Date()).query('SELECT @t AS t')).rejects.toMatchObject({ number: 8016 });
      await expect(single.request().query('SAVE TRANSACTION sp1')).rejects.toMatchObject({ message: expect.stringContaining('Not supported by the simulator') });
      const r = await single.request().query('SELECT COUNT(*) AS n FROM CycleLog');
      expect(r.recordset[0].n).toBe(50);
    } finally {
      await single.close();
    }
  });

  it('negotiates the packet size and streams big results and requests over many packets', async () => {
    const small = await new sql.ConnectionPool(mssqlConfig(server.port, { options: { ...options, packetSize: 512 }, pool: { max: 1, min: 0 } })).connect();
    try {
      const big = 'x'.repeat(3000);
      const r = await small.request().input('big', sql.NVarChar(sql.MAX), big).query(`SELECT CycleId, JobId, @big AS big FROM CycleLog ORDER BY CycleId; SELECT LEN(@big) AS len -- ${'padding '.repeat(200)}`);
      const sets = r.recordsets as sql.IRecordSet<Record<string, unknown>>[];
      expect(sets[0]!.length).toBe(50);
      expect(sets[0]!.every((row) => row.big === big)).toBe(true);
      expect(sets[1]).toEqual([{ len: 3000 }]);
      expect([...server.connections].some((c) => c.packetSize === 512)).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('a cancelled long query answers ECANCEL and the connection goes on', async () => {
    const single = await new sql.ConnectionPool(mssqlConfig(server.port, { options, pool: { max: 1, min: 0 } })).connect();
    try {
      const req = single.request();
      const started = Date.now();
      const p = req.query("WAITFOR DELAY '00:00:20'; SELECT 1 AS late");
      setTimeout(() => req.cancel(), 200);
      await expect(p).rejects.toMatchObject({ code: 'ECANCEL' });
      expect(Date.now() - started).toBeLessThan(10_000);
      const r = await single.request().query('SELECT 2 AS next');
      expect(r.recordset).toEqual([{ next: 2 }]);
    } finally {
      await single.close();
    }
  });
});

describe('login', () => {
  let server: TdsServer;
  beforeAll(async () => {
    ({ server } = await startServer({ tls: 'on', databases: [vendorDatabase(), vendorDatabase('LINECTRL_PNT01')] }));
  });
  afterAll(() => server?.close());

  /** logs in with tedious directly, which reports the ERROR tokens of a failed login with their numbers */
  function tryLogin(overrides: { user?: string; password?: string; database?: string; encrypt?: boolean }) {
    return new Promise<{ error: Error | undefined; tokens: { number: number; state: number; class: number; message: string }[] }>((resolve) => {
      const tokens: { number: number; state: number; class: number; message: string }[] = [];
      const conn = new Connection({
        server: '127.0.0.1',
        authentication: { type: 'default', options: { userName: overrides.user ?? USER, password: overrides.password ?? PASSWORD } },
        options: { port: server.port, database: overrides.database ?? DB, encrypt: overrides.encrypt ?? false, trustServerCertificate: true, connectTimeout: 5000 },
      });
      conn.on('errorMessage', (t: { number: number; state: number; class: number; message: string }) => tokens.push(t));
      conn.connect((error) => {
        conn.close();
        resolve({ error, tokens });
      });
    });
  }

  it('refuses a wrong password with 18456 and closes', async () => {
    const { error, tokens } = await tryLogin({ password: 'wrong' });
    expect(error?.message).toBe(`Login failed for user '${USER}'.`);
    expect(tokens).toEqual([expect.objectContaining({ number: 18456, state: 1, class: 14, message: `Login failed for user '${USER}'.` })]);
    // and through mssql, as the pod sees it
    const err = await new sql.ConnectionPool(mssqlConfig(server.port, { password: 'wrong' })).connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sql.ConnectionError);
    expect((err as { code?: string }).code).toBe('ELOGIN');
  });

  it('sends the login error inside TLS too', async () => {
    const { tokens } = await tryLogin({ password: 'wrong', encrypt: true });
    expect(tokens.map((t) => t.number)).toEqual([18456]);
  });

  it('refuses an unknown user with 18456', async () => {
    const { tokens } = await tryLogin({ user: 'sa' });
    expect(tokens.map((t) => [t.number, t.message])).toEqual([[18456, "Login failed for user 'sa'."]]);
  });

  it('refuses an unknown database with 4060', async () => {
    const { error, tokens } = await tryLogin({ database: 'NOPE' });
    expect(error).toBeDefined();
    expect(tokens.map((t) => t.number)).toEqual([4060, 18456]);
    expect(tokens[0]!.message).toBe('Cannot open database "NOPE" requested by the login. The login failed.');
  });

  it('opens a second database and switches with USE', async () => {
    const pool = await new sql.ConnectionPool(mssqlConfig(server.port, { database: 'LINECTRL_PNT01', pool: { max: 1, min: 0 } })).connect();
    try {
      expect((await pool.request().query('SELECT DB_NAME() AS db')).recordset[0].db).toBe('LINECTRL_PNT01');
      await pool.request().query(`USE ${DB}`);
      expect((await pool.request().query('SELECT DB_NAME() AS db')).recordset[0].db).toBe(DB);
    } finally {
      await pool.close();
    }
  });
});

describe('tls: required', () => {
  let server: TdsServer;
  beforeAll(async () => {
    ({ server } = await startServer({ tls: 'required' }));
  });
  afterAll(() => server?.close());

  it('refuses a client that does not encrypt, serves one that does', async () => {
    const err = await new sql.ConnectionPool(mssqlConfig(server.port, { options: { encrypt: false } })).connect().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EENCRYPT');
    const pool = await new sql.ConnectionPool(mssqlConfig(server.port, { options: { encrypt: true, trustServerCertificate: true } })).connect();
    expect((await pool.request().query('SELECT 1 AS x')).recordset).toEqual([{ x: 1 }]);
    expect([...server.connections].filter((c) => c.user).every((c) => c.encrypted)).toBe(true);
    await pool.close();
  });

  it('verifies the certificate when the client pins it (no trustServerCertificate)', async () => {
    const pool = await new sql.ConnectionPool(
      mssqlConfig(server.port, { options: { encrypt: true, trustServerCertificate: false, cryptoCredentialsDetails: { ca: server.certificate!.cert } } }),
    ).connect();
    expect((await pool.request().query('SELECT 1 AS x')).recordset).toEqual([{ x: 1 }]);
    await pool.close();
  });

  it('speaks TDS 8.0 (encrypt: strict, TLS before PRELOGIN)', async () => {
    const pool = await new sql.ConnectionPool(
      // tedious verifies the certificate in strict mode whatever trustServerCertificate says
      mssqlConfig(server.port, { options: { encrypt: 'strict' as unknown as boolean, cryptoCredentialsDetails: { ca: server.certificate!.cert } } }),
    ).connect();
    expect((await pool.request().query('SELECT DB_NAME() AS db')).recordset).toEqual([{ db: DB }]);
    expect([...server.connections].filter((c) => c.user).every((c) => c.encrypted)).toBe(true);
    await pool.close();
  });
});

describe('prepared statements and OUTPUT parameters', () => {
  let server: TdsServer;
  let db: SqlDatabase;
  let pool: sql.ConnectionPool;
  beforeAll(async () => {
    ({ server, db } = await startServer({ tls: 'off' }));
    seedCycles(db, 12);
    pool = await new sql.ConnectionPool(mssqlConfig(server.port, { pool: { max: 1, min: 0 } })).connect();
  });
  afterAll(async () => {
    await pool?.close();
    await server?.close();
  });

  it('sp_prepare / sp_execute / sp_unprepare (mssql PreparedStatement)', async () => {
    const ps = new sql.PreparedStatement(pool);
    ps.input('after', sql.BigInt);
    ps.input('result', sql.NVarChar(8));
    await ps.prepare('SELECT CycleId FROM CycleLog WHERE CycleId > @after AND Result = @result ORDER BY CycleId');
    const a = await ps.execute({ after: 0, result: 'NOK' });
    const b = await ps.execute({ after: 4, result: 'OK' });
    await ps.unprepare();
    expect(a.recordset.map((r: { CycleId: string }) => r.CycleId)).toEqual(['4', '11']);
    expect(b.recordset.map((r: { CycleId: string }) => Number(r.CycleId))).toEqual([5, 6, 7, 8, 9, 10, 12]);
    const bad = new sql.PreparedStatement(pool);
    await expect(bad.prepare('SELECT FROM WHERE')).rejects.toMatchObject({ number: 156 });
  });

  it('returns OUTPUT parameters of sp_executesql', async () => {
    const r = await pool.request().input('a', sql.Int, 41).output('total', sql.Int).output('label', sql.NVarChar(20)).query("SET @total = @a + 1; SET @label = N'answer'; SELECT 1 AS x");
    expect(r.output).toEqual({ total: 42, label: 'answer' });
    expect(r.recordset).toEqual([{ x: 1 }]);
  });
});

describe('connection reset (pooled session reuse)', () => {
  it('acknowledges RESETCONNECTION and returns to the login database', async () => {
    const { server } = await startServer({ tls: 'off', databases: [vendorDatabase(), vendorDatabase('OTHER_DB')] });
    const conn = new Connection({
      server: '127.0.0.1',
      authentication: { type: 'default', options: { userName: USER, password: PASSWORD } },
      options: { port: server.port, database: DB, encrypt: false },
    });
    try {
      await new Promise<void>((res, rej) => conn.connect((e) => (e ? rej(e) : res())));
      const query = (text: string) =>
        new Promise<unknown[]>((res, rej) => {
          const rows: unknown[] = [];
          const r = new Request(text, (e) => (e ? rej(e) : res(rows)));
          r.on('row', (cols: { value: unknown }[]) => rows.push(cols.map((c) => c.value)));
          conn.execSqlBatch(r);
        });
      const changes: string[] = [];
      conn.on('databaseChange', (db: string) => changes.push(db));
      const resets: number[] = [];
      conn.on('resetConnection', () => resets.push(1));
      await query('USE OTHER_DB');
      expect(await query('SELECT DB_NAME()')).toEqual([['OTHER_DB']]);
      await new Promise<void>((res, rej) => conn.reset((e) => (e ? rej(e) : res())));
      expect(await query('SELECT DB_NAME()')).toEqual([[DB]]);
      expect(resets.length).toBe(1);
      expect(changes).toEqual(['OTHER_DB', DB]);
    } finally {
      conn.close();
      await server.close();
    }
  });
});

describe('transactions', () => {
  let server: TdsServer;
  let db: SqlDatabase;
  let pool: sql.ConnectionPool;
  const writes: WriteEvent[] = [];
  const job = (id: string) =>
    `INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, GoodQty, ScrapQty, CreatedAt, UpdatedAt) VALUES ('${id}', 'P', 1, 'QUEUED', 0, 0, SYSUTCDATETIME(), SYSUTCDATETIME())`;
  beforeAll(async () => {
    ({ server, db } = await startServer({ tls: 'off' }));
    db.onWrite((e) => writes.push(e));
    pool = await new sql.ConnectionPool(mssqlConfig(server.port, { pool: { max: 2, min: 0 } })).connect();
  });
  afterAll(async () => {
    await pool?.close();
    await server?.close();
  });

  it('mssql Transaction: commit applies and reports the writes, rollback undoes them', async () => {
    writes.length = 0;
    const tx = new sql.Transaction(pool);
    await tx.begin();
    await new sql.Request(tx).query(job('TX-1'));
    expect((await new sql.Request(tx).query('SELECT @@TRANCOUNT AS n')).recordset).toEqual([{ n: 1 }]);
    expect(writes).toEqual([]); // held back until COMMIT
    await tx.commit();
    expect(writes.map((w) => [w.op, w.rows[0]!.JobId])).toEqual([['insert', 'TX-1']]);

    const tx2 = new sql.Transaction(pool);
    await tx2.begin();
    await new sql.Request(tx2).query(`${job('TX-2')}; UPDATE JobQueue SET Status = 'HELD' WHERE JobId = 'TX-1'; DELETE FROM JobQueue WHERE JobId = 'TX-1'`);
    await tx2.rollback();
    expect(db.rows('JobQueue').map((r) => [r.JobId, r.Status])).toEqual([['TX-1', 'QUEUED']]);
    expect(writes).toHaveLength(1);
  });

  it('a statement-terminating error ends only its statement, a batch-aborting one the batch', async () => {
    await pool.request().query(job('DUP-B'));
    const conn = new Connection({ server: '127.0.0.1', authentication: { type: 'default', options: { userName: USER, password: PASSWORD } }, options: { port: server.port, database: DB, encrypt: false } });
    await new Promise<void>((res, rej) => conn.connect((e) => (e ? rej(e) : res())));
    const batch = (text: string) =>
      new Promise<{ error: (Error & { number?: number }) | undefined; rows: unknown[] }>((res) => {
        const rows: unknown[] = [];
        const r = new Request(text, (error) => res({ error: error ?? undefined, rows }));
        r.on('row', (cols: { value: unknown }[]) => rows.push(cols.map((c) => c.value)));
        conn.execSqlBatch(r);
      });
    try {
      const dup = await batch(`${job('DUP-B')}; SELECT 'after' AS x`);
      expect(dup.error?.number).toBe(2627);
      expect(dup.rows).toEqual([['after']]);
      const conv = await batch("SELECT CAST('x' AS INT) AS bad; SELECT 'after' AS x");
      expect(conv.error?.number).toBe(245);
      expect(conv.rows).toEqual([]);
    } finally {
      conn.close();
    }
  });

  it('BEGIN TRAN / ROLLBACK in SQL, and a client that vanishes mid-transaction is rolled back', async () => {
    const r = await pool.request().query(`BEGIN TRAN; ${job('TX-3')}; SELECT @@TRANCOUNT AS n; ROLLBACK; SELECT COUNT(*) AS c FROM JobQueue WHERE JobId = 'TX-3'`);
    const sets = r.recordsets as sql.IRecordSet<Record<string, unknown>>[];
    expect(sets[0]).toEqual([{ n: 1 }]);
    expect(sets[1]).toEqual([{ c: 0 }]);
    await expect(pool.request().query('COMMIT')).rejects.toMatchObject({ number: 3902 });

    const conn = new Connection({ server: '127.0.0.1', authentication: { type: 'default', options: { userName: USER, password: PASSWORD } }, options: { port: server.port, database: DB, encrypt: false } });
    await new Promise<void>((res, rej) => conn.connect((e) => (e ? rej(e) : res())));
    await new Promise<void>((res, rej) => conn.execSqlBatch(new Request(`BEGIN TRANSACTION; ${job('TX-4')}`, (e) => (e ? rej(e) : res()))));
    expect(db.rows('JobQueue').some((r) => r.JobId === 'TX-4')).toBe(true);
    conn.close();
    await expect.poll(() => db.rows('JobQueue').some((r) => r.JobId === 'TX-4')).toBe(false);
  });
});
