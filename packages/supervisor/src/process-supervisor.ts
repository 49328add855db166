import { spawn, type ChildProcess } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { chmodSync, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay, type Logger } from '@plant-twin/runtime';
import { programArgv, type Program } from './deployment.js';
import { ensurePrivateDir } from './local.js';

export interface RunningProgram {
  program: Program;
  child: ChildProcess | null;
  restarts: number;
  ready: boolean;
  /** stopped on purpose (stop()): not restarted until start() */
  held: boolean;
}

export interface SupervisorOptions {
  repoRoot: string;
  logDir: string;
  secrets: Record<string, string>;
  log: Logger;
  /** extra env for every child (e.g. NODE_OPTIONS) */
  env?: Record<string, string>;
  /** CA certificate (PEM) that programs serving HTTPS are probed with */
  ca?: string;
  /** where the programs are reached for their probes (default 127.0.0.1) */
  host?: string;
}

/**
 * Runs each program as a child process, as Kubernetes would run it as a pod: same entry, env and
 * probes; a program that dies is restarted with backoff; logs go to `<logDir>/<name>.log` (the
 * folder 0700, the files 0600). Every child runs with umask 077, so whatever it writes (databases,
 * buffers, state) is its user's only.
 */
export class ProcessSupervisor {
  readonly programs = new Map<string, RunningProgram>();
  private stopping = false;
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly o: SupervisorOptions) {
    ensurePrivateDir(o.logDir);
  }

  envOf(p: Program): Record<string, string> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.o.env, ...p.env };
    for (const [name, key] of Object.entries(p.secretEnv)) {
      const v = this.o.secrets[key];
      if (v === undefined) throw new Error(`secret ${key} for ${p.name} is missing`);
      env[name] = v;
    }
    return env;
  }

  start(p: Program): RunningProgram {
    const running: RunningProgram = this.programs.get(p.name) ?? { program: p, child: null, restarts: 0, ready: false, held: false };
    running.held = false;
    this.programs.set(p.name, running);
    let out = this.logs.get(p.name);
    if (!out) {
      const file = join(this.o.logDir, `${p.name}.log`);
      // a log of an earlier run may have been made readable to all
      if (existsSync(file)) chmodSync(file, 0o600);
      out = createWriteStream(file, { flags: 'a', mode: 0o600 });
      this.logs.set(p.name, out);
    }
    // Node cannot set a child's umask: a shell sets it and becomes the program (exec keeps the pid)
    const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, ...programArgv(p, this.o.repoRoot)], {
      cwd: this.o.repoRoot,
      env: this.envOf(p),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    running.child = child;
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      running.child = null;
      running.ready = false;
      if (this.stopping || running.held) return;
      // a program that ran for a while starts its backoff afresh, like a pod's CrashLoopBackOff reset
      if (Date.now() - startedAt > 60_000) running.restarts = 0;
      running.restarts++;
      const delay = backoffDelay(running.restarts, 500, 30_000);
      this.o.log.warn({ program: p.name, code, signal, restartInMs: delay }, 'program exited; restarting');
      setTimeout(() => !this.stopping && !running.held && this.start(p), delay).unref();
    });
    return running;
  }

  /** Polls the program's /health/ready until it answers 200 or the timeout passes. */
  async waitReady(p: Program, timeoutMs: number): Promise<boolean> {
    if (p.httpPort === undefined) return true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.stopping) {
      if ((await this.probe(p)) === 200) {
        this.programs.get(p.name)!.ready = true;
        return true;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return false;
  }

  /** Status code of the program's readiness probe, 0 when it does not answer. */
  probe(p: Program): Promise<number> {
    return new Promise((resolve) => {
      const opts = { host: this.o.host ?? '127.0.0.1', port: p.httpPort, path: '/health/ready', timeout: 1000, ...(p.https ? { ca: this.o.ca, servername: 'localhost' } : {}) };
      const req = (p.https ? httpsGet : httpGet)(opts, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
  }

  /** Stops one program (SIGTERM, SIGKILL after graceMs) and keeps it down until start() (an outage, a rolling restart). */
  async stop(name: string, graceMs = 15_000): Promise<void> {
    const r = this.programs.get(name);
    if (!r) throw new Error(`no program ${name}`);
    r.held = true;
    await terminate(r, graceMs);
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.programs.values()].map((r) => terminate(r, graceMs)));
    for (const s of this.logs.values()) s.end();
  }
}

function terminate(r: RunningProgram, graceMs: number): Promise<void> {
  const c = r.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    c.kill('SIGTERM');
  });
}
