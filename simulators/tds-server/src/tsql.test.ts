import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { missingTool } from '@plant-twin/runtime/testing';
import { DB, PASSWORD, startServer, USER } from './fixture.test-support.js';

/** runs FreeTDS tsql with the script on stdin; resolves with stdout + stderr */
function tsql(port: number, script: string, password = PASSWORD, tdsver = '7.4'): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('tsql', ['-H', '127.0.0.1', '-p', String(port), '-U', USER, '-P', password, '-D', DB], { env: { ...process.env, TDSVER: tdsver } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    p.on('close', () => resolve(out));
    p.stdin.end(script);
  });
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const why = missingTool('tsql');

describe.skipIf(!!why)(`FreeTDS tsql (${why ?? 'tsql present'})`, () => {
  describe.each([
    ['off', 'none'],
    ['on', 'login'],
    ['required', 'full'],
  ] as const)('FreeTDS tsql against tls: %s', (tls, encryption) => {
    it(`runs queries (encryption: ${encryption})`, async () => {
      const { log, lines } = capturingLogger();
      const { server, db } = await startServer({ tls, log });
      try {
        db.insert('CycleLog', { CycleEnd: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 600)), Result: 'OK', CycleTimeS: 12.5, JobId: 'J-TSQL' });
        db.insert('CycleLog', { CycleEnd: new Date(Date.UTC(2026, 0, 2, 3, 5, 0)), Result: 'NOK', CycleTimeS: 13.25, JobId: null });
        const out = await tsql(
          server.port,
          [
            "SELECT CycleId, JobId, Result, CycleTimeS FROM CycleLog WHERE Result = 'OK'",
            'go',
            "INSERT INTO AlarmLog (EventTime, Code, Text, Severity, Active) VALUES ('2026-01-02T03:04:05', 17, N'Spindle übertemperatur', 'WARN', 1)",
            'go',
            'SELECT Code, Text, Active FROM AlarmLog',
            'go',
            'SELECT 1/0',
            'go',
            'SELECT COUNT(*) AS n FROM CycleLog',
            'go',
            'exit',
            '',
          ].join('\n'),
        );
        expect(out).toMatch(/CycleId\tJobId\tResult\tCycleTimeS\n1\tJ-TSQL\tOK\t12.5\n/);
        expect(out).toMatch(/Code\tText\tActive\n17\tSpindle übertemperatur\t1\n/);
        expect(out).toContain('Msg 8134 (severity 16, state 1)');
        expect(out).toContain('Divide by zero error encountered.');
        // the session survived the error
        expect(out).toMatch(/n\n2\n/);
        expect(db.rows('AlarmLog')).toEqual([expect.objectContaining({ Code: 17, Severity: 'WARN', Active: true })]);
        expect(lines.filter((l) => l.msg === 'login')).toEqual([expect.objectContaining({ user: USER, encryption })]);
      } finally {
        await server.close();
      }
    });
  });

  it('SELECT @r = Result ...; SELECT @r gives one result set with the last row\'s value (issue 15 #10)', async () => {
    const { server, db } = await startServer({ tls: 'off' });
    try {
      for (const Result of ['OK', 'NOK', 'OK', 'NOK']) db.insert('CycleLog', { CycleEnd: new Date(), Result, CycleTimeS: 10 });
      const out = await tsql(
        server.port,
        [
          "DECLARE @r NVARCHAR(8) = N'none'",
          'SELECT @r = Result FROM CycleLog WHERE CycleId <= 2 ORDER BY CycleId',
          'SELECT @r AS r',
          "SELECT @r = Result FROM CycleLog WHERE CycleId > 100",
          'SELECT @r AS unchanged',
          'go',
          'DECLARE @r NVARCHAR(8)',
          'SELECT @r = Result, CycleId FROM CycleLog',
          'go',
          'exit',
          '',
        ].join('\n'),
      );
      // exactly two result sets, one after the other: no nameless NULL column from the assignments
      const results = out.replace(/(?:\d+> )+/g, '');
      expect(results).toContain('r\nNOK\n(1 row affected)\nunchanged\nNOK\n(1 row affected)\n');
      expect(results).not.toMatch(/^NULL$/m);
      expect(out).toContain('Msg 141 (severity 15, state 1)');
    } finally {
      await server.close();
    }
  });

  it('tsql with a wrong password is refused with 18456', async () => {
    const { server } = await startServer({ tls: 'on' });
    try {
      const out = await tsql(server.port, 'SELECT 1\ngo\nexit\n', 'nope');
      expect(out).toContain('Msg 18456 (severity 14, state 1)');
      expect(out).toContain(`Login failed for user '${USER}'.`);
    } finally {
      await server.close();
    }
  });

  it('tsql speaking an older TDS dialect gets a clear refusal', async () => {
    const { server } = await startServer({ tls: 'off' });
    try {
      const out = await tsql(server.port, 'SELECT 1\ngo\nexit\n', PASSWORD, '7.2');
      expect(out).toContain('Not supported by the simulator: TDS version 0x72090002');
    } finally {
      await server.close();
    }
  });
});
