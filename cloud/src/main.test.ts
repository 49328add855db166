import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from './test-support/http.js';

const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cloud-main-'));

/** Runs dist/main.js until it logs that it listens; returns its stdout so far and its URL. */
function start(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; out: () => string; url: string }> {
  const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "cloud listening" within 90 s:\n${out}`)), 90_000);
    child.stdout!.on('data', () => {
      const m = /"url":"(http[^"]+)".*"msg":"cloud listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, out: () => out, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
}
const stop = (c: ChildProcess) => new Promise<number | null>((r) => (c.once('exit', (code) => r(code)), c.kill('SIGTERM')));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cloud program (dist/main.js)', () => {
  it('creates the first admin once with a random password written only to its file (stdout is a log here); data owner-only', async () => {
    const env = { CLOUD_PORT: '0', CLOUD_HOST: '127.0.0.1', CLOUD_DATA_DIR: join(dir, 'data'), CLOUD_ADMIN_PASSWORD_FILE: join(dir, 'data', 'admin-password'), LOG_LEVEL: 'info' };
    const first = await start(env);
    const password = readFileSync(env.CLOUD_ADMIN_PASSWORD_FILE, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(statSync(env.CLOUD_ADMIN_PASSWORD_FILE).mode & 0o777).toBe(0o600);
    // stdout is a pipe (a supervisor's log file): the password is not in it
    expect(first.out()).not.toContain(password);
    // PGlite writes its files 0666: the data folder is the owner's only, and so is every file in it
    expect(statSync(env.CLOUD_DATA_DIR).mode & 0o777).toBe(0o700);
    const open = readdirSync(env.CLOUD_DATA_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(env.CLOUD_DATA_DIR, f)).mode & 0o077);
    expect(open).toEqual([]);
    expect(await stop(first.child)).toBe(0);

    const second = await start(env);
    try {
      expect(second.out()).not.toContain(password);
      expect(second.out()).not.toMatch(/First start/);
      const login = await call('POST', `${second.url}/api/v1/auth/login`, { body: { username: 'admin', password } });
      expect(login.status).toBe(200);
      expect(login.body.user).toEqual({ username: 'admin', role: 'admin' });
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
    // two starts of the built program (PGlite initdb, migrations): slow on a loaded machine
  }, 240_000);

  it('prints the first admin password once when no password file is configured (the only way to learn it)', async () => {
    const run = await start({ CLOUD_PORT: '0', CLOUD_HOST: '127.0.0.1', CLOUD_DATA_DIR: join(dir, 'data-no-file'), LOG_LEVEL: 'info' });
    try {
      const printed = /password (\S+)/.exec(run.out())?.[1];
      expect(printed).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(run.out().split(printed!).length - 1).toBe(1);
    } finally {
      expect(await stop(run.child)).toBe(0);
    }
  }, 120_000);

  it('refuses a bad configuration naming every wrong variable', async () => {
    const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH, CLOUD_PORT: 'x', EDGE_CREDENTIALS: '{"edge-1":"plain"}', CLOUD_TLS_CERT_FILE: '/nope' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(out).toMatch(/CLOUD_PORT/);
    expect(out).toMatch(/EDGE_CREDENTIALS\.edge-1: must be a scrypt hash/);
    expect(out).toMatch(/CLOUD_TLS_CERT_FILE and CLOUD_TLS_KEY_FILE: set both or neither/);
  });
});
