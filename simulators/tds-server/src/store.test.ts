import { sqlVendorTables } from '@plant-twin/plant-model';
import { describe, expect, it } from 'vitest';
import { SqlDatabase, type WriteEvent } from './database.js';
import { SqlError } from './errors.js';
import { parseBatch } from './sql/parser.js';
import { Session } from './sql/session.js';

function vendorDb(): SqlDatabase {
  const db = new SqlDatabase('CELL_TEST');
  for (const [name, t] of Object.entries(sqlVendorTables)) {
    const tagColumns: [string, string][] = name === 'CycleLog' ? [['SpindleLoadPct', 'REAL NULL']] : [];
    db.createTable(name, [...t.fixed, ...tagColumns]);
  }
  return db;
}

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SqlError);
  return e as SqlError;
};

describe('SqlDatabase without the network', () => {
  it('creates the vendor tables of the plant model and fills IDENTITY columns', () => {
    const db = vendorDb();
    expect(db.tableNames()).toEqual(Object.keys(sqlVendorTables));
    const id1 = db.insert('CycleLog', { CycleEnd: new Date(1000), Result: 'OK', CycleTimeS: 31.5, SpindleLoadPct: 70 });
    const id2 = db.insert('CycleLog', { CycleEnd: new Date(2000), Result: 'NOK', CycleTimeS: 29 });
    expect([id1, id2]).toEqual([1, 2]);
    expect(db.rows('CycleLog')[1]).toEqual({ CycleId: 2, CycleEnd: new Date(2000), JobId: null, PartNumber: null, Result: 'NOK', CycleTimeS: 29, SpindleLoadPct: null });
    // REAL keeps single precision, as SQL Server stores it
    db.insert('CycleLog', { CycleEnd: new Date(3000), Result: 'OK', CycleTimeS: 0.1 });
    expect(db.rows('CycleLog')[2]!.CycleTimeS).toBe(Math.fround(0.1));
  });

  it('enforces NOT NULL, UNIQUE (case-insensitive), lengths and identity, like SQL Server', () => {
    const db = vendorDb();
    const job = { JobId: 'J-1', PartNumber: 'P', Quantity: 5, Status: 'QUEUED', GoodQty: 0, ScrapQty: 0, CreatedAt: new Date(), UpdatedAt: new Date() };
    db.insert('JobQueue', job);
    expect(() => db.insert('JobQueue', { ...job, JobId: 'j-1' })).toThrow(expect.objectContaining({ number: 2627 }));
    expect(() => db.insert('JobQueue', { ...job, JobId: 'J-2', Status: null })).toThrow(expect.objectContaining({ number: 515 }));
    expect(() => db.insert('JobQueue', { ...job, JobId: 'J'.repeat(33) })).toThrow(expect.objectContaining({ number: 2628 }));
    expect(() => db.insert('JobQueue', { ...job, JobId: 'J-3', QueueId: 99 })).toThrow(expect.objectContaining({ number: 544 }));
    expect(() => db.insert('JobQueue', { ...job, JobId: 'J-3', Quantity: 'many' })).toThrow(expect.objectContaining({ number: 245 }));
    expect(() => db.insert('Nope', {})).toThrow(expect.objectContaining({ number: 208 }));
    expect(db.count('JobQueue')).toBe(1);
  });

  it('reports writes with their source, and applies DEFAULTs', async () => {
    const db = new SqlDatabase('D');
    db.createTable('T', [
      ['Id', 'INT IDENTITY(10, 5) PRIMARY KEY'],
      ['Name', "NVARCHAR(20) NOT NULL DEFAULT N'none'"],
      ['At', 'DATETIME2(3) NOT NULL DEFAULT SYSUTCDATETIME()'],
      ['Flag', 'BIT NOT NULL DEFAULT (0)'],
    ]);
    const events: WriteEvent[] = [];
    db.onWrite((e) => events.push(e));
    const before = Date.now();
    expect(db.insert('T', {})).toBe(10);
    expect(db.insert('T', { Name: 'x' })).toBe(15);
    const r = await db.execute("INSERT INTO T (Name) VALUES (@n); UPDATE T SET Flag = 1 WHERE Name = 'X'; SELECT * FROM T ORDER BY Id", { n: 'from sql' });
    expect(r.rowsAffected).toEqual([1, 1, 3]);
    expect(r.recordsets[0]!.map((x) => [x.Id, x.Name, x.Flag])).toEqual([[10, 'none', false], [15, 'x', true], [20, 'from sql', false]]);
    expect((r.recordsets[0]![0]!.At as Date).getTime()).toBeGreaterThanOrEqual(before);
    expect(events.map((e) => [e.op, e.source, e.rows.length])).toEqual([['insert', 'api', 1], ['insert', 'api', 1], ['insert', 'client', 1], ['update', 'client', 1]]);
    expect(db.update('T', { Flag: true }, (row) => (row.Id as number) > 12)).toBe(2);
    expect(db.delete('T', (row) => row.Flag === true)).toBe(2);
    expect(events.slice(4).map((e) => [e.op, e.source, e.rows.length])).toEqual([['update', 'api', 2], ['delete', 'api', 2]]);
  });
});

describe('T-SQL semantics', () => {
  const db = vendorDb();
  for (let i = 0; i < 30; i++) {
    db.insert('CycleLog', { CycleEnd: new Date(Date.UTC(2026, 0, 1, 0, i)), JobId: i < 25 ? `JOB-${i % 3}` : null, PartNumber: i % 2 ? 'Brk-100' : 'hsg_220', Result: i % 4 ? 'OK' : 'NOK', CycleTimeS: 30 + i, SpindleLoadPct: i % 5 ? i : null });
  }
  const q = async (sql: string, params = {}) => (await db.execute(sql, params)).recordsets[0]!;

  it('compares strings case-insensitively, ignores trailing blanks, and NULL is unknown', async () => {
    expect((await q("SELECT COUNT(*) AS n FROM CycleLog WHERE PartNumber = 'BRK-100   '"))[0]!.n).toBe(15);
    expect((await q('SELECT COUNT(*) AS n FROM CycleLog WHERE JobId <> @j', { j: 'job-0' }))[0]!.n).toBe(16);
    expect((await q('SELECT COUNT(*) AS n FROM CycleLog WHERE NOT (SpindleLoadPct > 10)'))[0]!.n).toBe(8);
    expect((await q('SELECT COUNT(SpindleLoadPct) AS n, COUNT(*) AS total, COUNT(DISTINCT JobId) AS jobs FROM CycleLog'))[0]).toEqual({ n: 24, total: 30, jobs: 3 });
  });

  it('LIKE with wildcards, sets and escapes; IN; BETWEEN', async () => {
    expect((await q("SELECT COUNT(*) AS n FROM CycleLog WHERE PartNumber LIKE 'HSG[_]%'"))[0]!.n).toBe(15);
    expect((await q("SELECT COUNT(*) AS n FROM CycleLog WHERE PartNumber LIKE 'hsg!_2_0' ESCAPE '!'"))[0]!.n).toBe(15);
    expect((await q("SELECT COUNT(*) AS n FROM CycleLog WHERE PartNumber LIKE '[^h]%'"))[0]!.n).toBe(15);
    expect((await q('SELECT CycleId FROM CycleLog WHERE CycleId IN (3, 5, NULL) OR CycleId BETWEEN 28 AND 29 ORDER BY 1')).map((r) => r.CycleId)).toEqual([3, 5, 28, 29]);
  });

  it('ORDER BY alias, expression and position; OFFSET/FETCH; TOP with a parameter; DISTINCT', async () => {
    const rows = await q('SELECT TOP (@n) CycleId AS id, CycleTimeS * 2 AS double FROM CycleLog WHERE Result = N\'NOK\' ORDER BY double DESC', { n: 3 });
    expect(rows).toEqual([{ id: 29, double: 116 }, { id: 25, double: 108 }, { id: 21, double: 100 }]);
    expect((await q('SELECT CycleId FROM CycleLog ORDER BY CycleTimeS - CycleId, CycleId DESC OFFSET 2 ROWS FETCH NEXT 2 ROWS ONLY')).map((r) => r.CycleId)).toEqual([28, 27]);
    expect(await q('SELECT DISTINCT Result FROM CycleLog ORDER BY 1')).toEqual([{ Result: 'NOK' }, { Result: 'OK' }]);
  });

  it('GROUP BY with HAVING and aggregates', async () => {
    const rows = await q('SELECT JobId, COUNT(*) AS n, MIN(CycleTimeS) AS first, SUM(CycleTimeS) AS total FROM CycleLog WHERE JobId IS NOT NULL GROUP BY JobId HAVING COUNT(*) > 8 ORDER BY JobId');
    // JOB-0 has 9 cycles (i = 0, 3, ... 24), JOB-1 and JOB-2 have 8
    expect(rows).toEqual([{ JobId: 'JOB-0', n: 9, first: 30, total: 9 * 30 + 108 }]);
    const err = await failure(db.execute('SELECT JobId, Result, COUNT(*) FROM CycleLog GROUP BY JobId'));
    expect(err.number).toBe(8120);
  });

  it('variables, functions, dates and arithmetic', async () => {
    const r = await q(`DECLARE @d DATETIME2(3) = '2026-01-01T00:10:00Z', @k INT;
      SET @k = 7 / 2;
      SELECT COUNT(*) AS n, @k AS k, DATEADD(minute, 5, @d) AS later, DATEDIFF(second, @d, '2026-01-01 00:11:30') AS secs,
             ISNULL(NULL, 'x') AS dflt, COALESCE(NULL, NULL, 3) AS c, UPPER(LEFT('abcdef', 3)) AS up, LEN('ab  ') AS len,
             CAST('42' AS INT) + 1 AS cast, CONVERT(NVARCHAR(10), 12.5) AS conv, CASE WHEN 1 = 0 THEN 'no' ELSE 'yes' END AS cs
      FROM CycleLog WHERE CycleEnd >= @d`);
    expect(r[0]).toEqual({ n: 20, k: 3, later: new Date(Date.UTC(2026, 0, 1, 0, 15)), secs: 90, dflt: 'x', c: 3, up: 'ABC', len: 2, cast: 43, conv: '12.5', cs: 'yes' });
  });

  it('OUTPUT INSERTED/DELETED, SCOPE_IDENTITY, statement atomicity', async () => {
    const d = vendorDb();
    const r = await d.execute(`INSERT INTO MachineState (EventTime, State, AlarmCode) OUTPUT INSERTED.* VALUES (SYSUTCDATETIME(), 'RUNNING', 0), (SYSUTCDATETIME(), 'IDLE', 0);
      SELECT SCOPE_IDENTITY() AS id, @@IDENTITY AS ident;
      UPDATE MachineState SET AlarmCode = AlarmCode + 7 OUTPUT DELETED.AlarmCode AS was, INSERTED.AlarmCode AS now WHERE State = 'IDLE'`);
    expect(r.recordsets[0]!.map((x) => x.State)).toEqual(['RUNNING', 'IDLE']);
    expect(r.recordsets[1]).toEqual([{ id: 2, ident: 2 }]);
    expect(r.recordsets[2]).toEqual([{ was: 0, now: 7 }]);
    // the second row violates NOT NULL: neither row is kept
    const e = await failure(d.execute("INSERT INTO MachineState (EventTime, State, AlarmCode) VALUES (SYSUTCDATETIME(), 'A', 0), (SYSUTCDATETIME(), NULL, 0)"));
    expect(e.number).toBe(515);
    expect(d.count('MachineState')).toBe(2);
  });

  it('syntax errors name the token, as SQL Server does', async () => {
    expect((await failure(db.execute('SELECT CycleId FORM CycleLog'))).message).toBe("Incorrect syntax near 'CycleLog'.");
    expect((await failure(db.execute('SELECT * FROM'))).message).toBe('Incorrect syntax near the end of the batch.');
    expect((await failure(db.execute('SELECT FROM CycleLog'))).message).toBe("Incorrect syntax near the keyword 'FROM'.");
    expect((await failure(db.execute('SELECT 1 +'))).number).toBe(102);
    expect((await failure(db.execute('MERGE INTO x USING y ON 1=1'))).message).toContain('Not supported by the simulator');
  });

  it('never fails with anything but a SqlError on random token soup', async () => {
    const words = ['SELECT', 'FROM', 'WHERE', 'CycleLog', 'JobQueue', '(', ')', ',', '*', '@p', '@@VERSION', "'x'", "N'y'", '1', '2.5', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL', 'ORDER', 'BY', 'TOP', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', '=', '<', '+', '/', 'CASE', 'WHEN', 'THEN', 'END', 'GROUP', 'COUNT', 'DECLARE', 'INT', ';', '[x]', '0x1F', 'CAST', 'AS', 'OUTPUT', 'INSERTED.*', 'DELETE', 'BETWEEN', "'", '/*', '--'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: 1 + rnd(14) }, () => words[rnd(words.length)]).join(' ');
      try {
        await db.execute(text, { p: 1 });
        ok++;
      } catch (e) {
        if (!(e instanceof SqlError)) throw new Error(`${text}: ${String(e)}`);
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(db.count('CycleLog')).toBeGreaterThanOrEqual(30);
  });

  it('SELECT @v = ... assigns row by row and returns no result set (issue 15 #10)', async () => {
    const r = await db.execute(`DECLARE @r NVARCHAR(8) = N'none', @n INT = -1, @s NVARCHAR(400) = '', @total INT = 0;
      SELECT @r = Result FROM CycleLog WHERE CycleId <= 5 ORDER BY CycleId;
      SELECT @r AS last, @@ROWCOUNT AS rc;
      SELECT @r = Result, @n = CycleId FROM CycleLog WHERE CycleId > 1000;
      SELECT @r AS unchanged, @n AS n, @@ROWCOUNT AS rc;
      SELECT @s = @s + CAST(CycleId AS NVARCHAR(10)) + ',', @total += CycleId FROM CycleLog WHERE CycleId < 5 ORDER BY CycleId DESC;
      SELECT @s AS s, @total AS total;
      SELECT @n = COUNT(*) FROM CycleLog WHERE Result = 'NOK';
      SET @r = 'X';
      SELECT @n AS nok, @@ROWCOUNT AS rc`);
    // CycleId 5 (i = 4) is NOK; @@ROWCOUNT after an assigning SELECT is the rows it read, after SET @v 1
    expect(r.recordsets).toEqual([[{ last: 'NOK', rc: 5 }], [{ unchanged: 'NOK', n: -1, rc: 0 }], [{ s: '4,3,2,1,', total: 10 }], [{ nok: 8, rc: 1 }]]);
    expect(r.rowsAffected).toEqual([5, 1, 0, 1, 4, 1, 1, 1]);
    const mixed = await failure(db.execute('DECLARE @r INT; SELECT @r = CycleId, Result FROM CycleLog'));
    expect([mixed.number, mixed.message]).toEqual([141, 'A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.']);
    expect((await failure(db.execute('SELECT @nope = Result FROM CycleLog'))).message).toBe('Must declare the scalar variable "@nope".');
    // a string literal before = is a column alias (deprecated T-SQL, still served)
    expect((await db.execute("SELECT 'label' = Result FROM CycleLog WHERE CycleId = 2")).recordsets[0]).toEqual([{ label: 'OK' }]);
  });

  it('a comparison where a value belongs is a syntax error, a value where a condition belongs is 4145', async () => {
    const cases: [string, number, string][] = [
      ['SELECT 1 = 1', 102, "Incorrect syntax near '='."],
      ['SELECT CycleId > 3 FROM CycleLog', 102, "Incorrect syntax near '>'."],
      ["SELECT Result IN ('OK') FROM CycleLog", 156, "Incorrect syntax near the keyword 'IN'."],
      ['SELECT CycleId FROM CycleLog ORDER BY JobId IS NULL', 156, "Incorrect syntax near the keyword 'IS'."],
      ['DECLARE @b INT; SET @b = 1 < 2', 102, "Incorrect syntax near '<'."],
      ["UPDATE CycleLog SET Result = (JobId = 'x') WHERE CycleId = 0", 102, "Incorrect syntax near '='."],
      ['SELECT * FROM CycleLog WHERE 1', 4145, "An expression of non-boolean type specified in a context where a condition is expected, near '1'."],
      ['SELECT * FROM CycleLog WHERE JobId ORDER BY 1', 4145, "An expression of non-boolean type specified in a context where a condition is expected, near 'ORDER'."],
      ["SELECT CASE WHEN JobId THEN 1 END FROM CycleLog", 4145, "An expression of non-boolean type specified in a context where a condition is expected, near 'THEN'."],
      ['SELECT IIF(CycleId, 1, 0) FROM CycleLog', 4145, "An expression of non-boolean type specified in a context where a condition is expected, near 'IIF'."],
      ['DELETE FROM CycleLog WHERE CycleId AND 1 = 1', 4145, "An expression of non-boolean type specified in a context where a condition is expected, near 'AND'."],
    ];
    for (const [sql, number, message] of cases) expect([sql, await failure(db.execute(sql))]).toEqual([sql, expect.objectContaining({ number, message })]);
    expect(db.count('CycleLog')).toBe(30);
    expect((await q('SELECT IIF(CycleId > 29, 1, 0) AS big, CASE WHEN NOT (CycleId < 30) AND Result IN (\'OK\', \'NOK\') THEN 1 END AS c FROM CycleLog WHERE CycleId = 30'))[0]).toEqual({ big: 1, c: 1 });
  });

  it('SET options that would change results are applied or refused, never ignored', async () => {
    const r = await db.execute(`UPDATE CycleLog SET CycleTimeS = CycleTimeS WHERE CycleId < 4;
      SELECT @@ROWCOUNT AS afterUpdate;
      SET LOCK_TIMEOUT 1500; SET NOCOUNT ON; SET TEXTSIZE 8; SET ANSI_NULLS, QUOTED_IDENTIFIER ON;
      SELECT @@ROWCOUNT AS afterSet, @@LOCK_TIMEOUT AS lt, @@TEXTSIZE AS ts, @@OPTIONS & 512 AS nocount,
             CAST(N'abcdefghij' AS NVARCHAR(MAX)) AS big, N'abcdefghij' AS small;
      SET TEXTSIZE 0; SET NOCOUNT OFF;
      SELECT @@TEXTSIZE AS ts, @@OPTIONS & 512 AS nocount`);
    expect(r.recordsets).toEqual([[{ afterUpdate: 3 }], [{ afterSet: 0, lt: 1500, ts: 8, nocount: 512, big: 'abcd', small: 'abcdefghij' }], [{ ts: 4096, nocount: 0 }]]);
    for (const sql of ['SET ROWCOUNT 5', 'SET ANSI_NULLS OFF', 'SET XACT_ABORT ON', 'SET IMPLICIT_TRANSACTIONS ON', 'SET DATEFORMAT dmy', 'SET DATEFIRST 1', 'SET LANGUAGE Deutsch', 'SET CONCAT_NULL_YIELDS_NULL OFF', 'SET FMTONLY ON', 'SET NOEXEC ON', 'SET STATISTICS XML ON', 'SET ANSI_DEFAULTS ON', 'SET QUOTED_IDENTIFIER OFF', 'SET WHATEVER ON']) {
      expect([sql, (await failure(db.execute(sql))).message]).toEqual([sql, expect.stringMatching(/^Not supported by the simulator: SET /)]);
    }
    // what drivers send keeps working
    await db.execute('SET ROWCOUNT 0; SET XACT_ABORT OFF; SET DATEFORMAT mdy; SET DATEFIRST 7; SET LANGUAGE us_english; SET ARITHABORT ON; SET TRANSACTION ISOLATION LEVEL SNAPSHOT');
  });

  it('@@ERROR holds the last statement\'s error number; an unknown @@ name is refused', async () => {
    const d = vendorDb();
    const session = new Session(d, new Map([[d.name.toLowerCase(), d]]), { spid: 51, userName: 'u', appName: 'a', hostName: 'h', serverName: 's' });
    const job = "INSERT INTO JobQueue (JobId, PartNumber, Quantity, Status, GoodQty, ScrapQty, CreatedAt, UpdatedAt) VALUES ('J-1', 'P', 1, 'QUEUED', 0, 0, SYSUTCDATETIME(), SYSUTCDATETIME())";
    const seen: unknown[] = [];
    // the duplicate ends only its statement: the batch goes on and can look at @@ERROR
    for await (const o of session.run(`${job}; SELECT @@ERROR AS e; ${job}; SELECT @@ERROR AS e; SELECT @@ERROR AS e`, new Map())) {
      seen.push(o.error ? `error ${o.error.number}` : o.result?.rows[0]![0]);
    }
    expect(seen).toEqual([undefined, 0, 'error 2627', 2627, 0]);
    expect((await failure(d.execute('SELECT * FROM JobQueue WHERE @@NESTLEVEL = 0'))).message).toBe('Must declare the scalar variable "@@NESTLEVEL".');
  });

  it('conversions to text, dates and functions answer as SQL Server does, or are refused', async () => {
    const r = await q(`DECLARE @dt DATETIME = '2024-01-31T13:05:09.123', @d2 DATETIME2(3) = '2024-01-31T13:05:09.123', @f FLOAT = 1.0E0 / 3, @day DATE = '2024-02-29';
      SELECT CAST('hello world' AS VARCHAR) AS cast30, CAST(1.50 AS NVARCHAR(10)) AS dec, CAST(@f AS VARCHAR(20)) AS flt,
        CAST(1234567.0E0 AS VARCHAR(20)) AS sci, CAST(@dt AS VARCHAR(30)) AS dt0, CAST(@d2 AS VARCHAR(30)) AS d2,
        CONVERT(VARCHAR(30), @dt, 120) AS s120, CONVERT(VARCHAR(30), @dt, 126) AS s126, CONVERT(VARCHAR(10), @d2, 23) AS s23,
        CAST(123456 AS VARCHAR(3)) AS star, DATEADD(month, 1, @dt) AS eom, DATEADD(year, 1, @day) AS leap, DATEADD(quarter, 1, @day) AS q,
        DATEDIFF(week, '2024-06-01', '2024-06-02') AS wk, DATEDIFF(week, '2024-06-02', '2024-06-08') AS wk0,
        ROUND(-2.5, 0) AS rneg, ROUND(1.005, 2) AS rdec, ROUND(2.59, 1, 1) AS rtrunc, ROUND(1234, -2) AS rh,
        DATALENGTH('abc') AS dlv, DATALENGTH(N'abc') AS dln, DATALENGTH(CycleId) AS dlb, DATALENGTH(1) AS dli,
        CHARINDEX('o', 'foo boo', 4) AS ci, CHARINDEX('', 'abc') AS ci0, TRIM(CHAR_TAB) AS tr, 5000000000 & 4294967296 AS band,
        CONCAT(1.50, '|', @dt) AS cc
      FROM CycleLog WHERE CycleId = 1`.replace("TRIM(CHAR_TAB) AS tr", "LEN(TRIM('  a  ')) AS tr"));
    expect(r[0]).toEqual({
      cast30: 'hello world', dec: '1.50', flt: '0.333333', sci: '1.23457e+006', dt0: 'Jan 31 2024  1:05PM', d2: '2024-01-31 13:05:09.123',
      s120: '2024-01-31 13:05:09', s126: '2024-01-31T13:05:09.123', s23: '2024-01-31', star: '*',
      eom: new Date(Date.UTC(2024, 1, 29, 13, 5, 9, 123)), leap: new Date(Date.UTC(2025, 1, 28)), q: new Date(Date.UTC(2024, 4, 29)),
      wk: 1, wk0: 0, rneg: -3, rdec: 1.01, rtrunc: 2.5, rh: 1200, dlv: 3, dln: 6, dlb: 8, dli: 4, ci: 6, ci0: 0, tr: 1, band: 4294967296,
      cc: '1.50|Jan 31 2024  1:05PM',
    });
    const refused: [string, number][] = [
      ["SELECT CONVERT(VARCHAR(30), SYSUTCDATETIME(), 103)", 40000],
      ["SELECT CONVERT(DATETIME, '31/01/2024', 103)", 40000],
      ["SELECT UPPER('a', 'b')", 174],
      ['SELECT ROUND(1.5)', 189],
      ["SELECT LEFT('abc', -1)", 537],
      ['SELECT 5.5E0 % 2', 402],
      ['SELECT 1.5 & 1', 402],
      ['SELECT SYSUTCDATETIME() + 1', 8117],
      ['SELECT CAST(1234567 AS NVARCHAR(3))', 8115],
      ['SELECT DB_NAME(1)', 174],
    ];
    for (const [sql, number] of refused) expect([sql, (await failure(db.execute(sql))).number]).toEqual([sql, number]);
    expect((await q('SELECT GETDATE() - 1 AS yesterday, DATEADD(day, -1, SYSUTCDATETIME()) AS y2'))[0]!.yesterday).toBeInstanceOf(Date);
  });

  it('parses what tedious sends after login', () => {
    const initial = 'set textsize 2147483647\nset quoted_identifier on\nset arithabort off\nset numeric_roundabort off\nset ansi_warnings on\nset ansi_padding on\nset ansi_nulls on\nset concat_null_yields_null on\nset cursor_close_on_commit off\nset implicit_transactions off\nset language us_english\nset dateformat mdy\nset datefirst 7\nset transaction isolation level read committed';
    expect(parseBatch(initial).map((s) => s.stmt.k)).toEqual(Array(14).fill('set'));
  });
});
