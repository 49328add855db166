import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPlantFile, loadPlant, repoRoot } from '@plant-twin/plant-model';
import { createLogger, sleep } from '@plant-twin/runtime';
import { derivePlantDeployment, localAddressing, startPlantRun, type Program, type ProgramRole } from '@plant-twin/supervisor';

/**
 * Memory of the whole edge (part of `npm run bench:edge`): what the IPC127E nodes must hold.
 * - edge_stack_rss_mb: resident memory of the edge's programs summed after a 60 s run of the
 *   simulated plant at real time: broker, data publisher, job manager with its database, the eleven
 *   machine pods (and the andon server where the deployment has one), for the site configuration
 *   (Mosquitto, the job database on a PostgreSQL cluster of its own: its processes counted as one) and
 *   the embedded one (aedes, PGlite); edge_stack_unique_mb what the node gives them: each program's own
 *   (anonymous) memory plus the pages they share (Node's code) once; edge_stack_pss_mb the kernel's
 *   proportional share (shared pages split among every process on this machine that maps them);
 * - job_manager_rss_mb: the embedded job manager at its first start (fresh data directory) and after
 *   an 8-hour scenario (ERP orders to jobs to machines, 600x);
 * - pglite_options: the job database opened alone per PGlite option, first start and next start,
 *   with PGlite's defaults (how the job manager ran before) as the baseline;
 * - over_limit: programs whose peak went above their manifest's memory limit (k3d/base).
 * Figures vary with the machine's load: load_avg_1m is printed beside each run.
 */
const { values: a } = parseArgs({
  strict: false,
  options: {
    seconds: { type: 'string', default: '60' },
    hours: { type: 'string', default: '8' },
    speed: { type: 'string', default: '600' },
    // below the ephemeral port range (32768-), where a client's own port could take a machine's
    'port-offset': { type: 'string', default: '17000' },
    only: { type: 'string', default: 'options,embedded,site,scenario' },
  },
});
const seconds = Number(a.seconds), hours = Number(a.hours), speed = Number(a.speed), portOffset = Number(a['port-offset']);
const parts = new Set(String(a.only).split(','));
const log = createLogger('bench-edge-stack');
log.level = 'warn';
const mb = (kb: number) => Math.round(kb / 1024);
const load = () => Math.round(loadavg()[0]! * 100) / 100;

/**
 * VmRSS and VmHWM (the peak since the process started) of a process, and its RSS by kind: anonymous
 * (its own), file (Node's code and libraries, shared by every program of the image on a node), shared
 * memory (PostgreSQL's buffers, shared by its processes); MB, undefined once it is gone
 */
function memoryOf(pid: number | undefined): { rss: number; peak: number; anon: number; file: number; shmem: number } | undefined {
  if (!pid) return undefined;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return { rss: mb(kb('VmRSS')), peak: mb(kb('VmHWM')), anon: mb(kb('RssAnon')), file: mb(kb('RssFile')), shmem: mb(kb('RssShmem')) };
  } catch {
    return undefined;
  }
}

/** proportional set size (shared pages split among the processes that map them), MB */
function pssOf(pid: number): number {
  try {
    return mb(Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0));
  } catch {
    return 0;
  }
}

/** memory limits of the manifests (k3d/base/<program>.yaml), MB */
function manifestLimitMb(program: string): number | undefined {
  const file = join(repoRoot, 'k3d/base', `${program}.yaml`);
  if (!existsSync(file)) return undefined;
  const m = /limits:\s*\n\s*memory:\s*(\d+)(Mi|Gi)/.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) : undefined;
}

const isEdge = (p: Program) => p.tier === 'edge';
/** the roles of the edge's programs, as the deployment derives them (the andon server too, where it has one) */
const derivedRoles = derivePlantDeployment(loadPlant(), { plantFile: defaultPlantFile, addressing: localAddressing(loadPlant(), tmpdir()), seed: 1, speed: 1, simulate: false }).filter(isEdge).map((p) => p.role);

interface ProgramMemory {
  name: string;
  rss_mb: number;
  /** what it holds alone (anonymous memory); file and shared memory are counted once for the stack */
  anon_mb: number;
  file_mb: number;
  shmem_mb: number;
  /** Pss: pages shared with other processes (Node's own code above all) split among them */
  pss_mb: number;
  peak_mb: number;
  limit_mb?: number;
}

function programMemory(name: string, pid: number | undefined): ProgramMemory | undefined {
  const m = memoryOf(pid);
  const limit = manifestLimitMb(name);
  return m && { name, rss_mb: m.rss, anon_mb: m.anon, file_mb: m.file, shmem_mb: m.shmem, pss_mb: pssOf(pid!), peak_mb: m.peak, ...(limit ? { limit_mb: limit } : {}) };
}

const overLimit: string[] = [];
const sum = (xs: ProgramMemory[], k: 'rss_mb' | 'pss_mb' | 'anon_mb') => xs.reduce((s, p) => s + p[k], 0);
const most = (xs: ProgramMemory[], k: 'file_mb' | 'shmem_mb' | 'peak_mb') => Math.max(0, ...xs.map((p) => p[k]));
/** the node's memory the stack takes: each program's own, plus the shared file and shared memory once */
const unique = (xs: ProgramMemory[]) => sum(xs, 'anon_mb') + most(xs, 'file_mb') + most(xs, 'shmem_mb');
function summarise(programs: ProgramMemory[]) {
  for (const p of programs) if (p.limit_mb !== undefined && p.peak_mb > p.limit_mb) overLimit.push(`${p.name} peak ${p.peak_mb} MB > limit ${p.limit_mb} MB`);
  const pods = programs.filter((p) => p.name.startsWith('pod-'));
  const others = Object.fromEntries(programs.filter((p) => !p.name.startsWith('pod-')).map(({ name, rss_mb, pss_mb, peak_mb, limit_mb }) => [name, { rss_mb, pss_mb, peak_mb, ...(limit_mb ? { limit_mb } : {}) }]));
  return {
    rss_mb: sum(programs, 'rss_mb'),
    unique_mb: unique(programs),
    pss_mb: sum(programs, 'pss_mb'),
    ...others,
    pods: { count: pods.length, rss_mb: sum(pods, 'rss_mb'), pss_mb: sum(pods, 'pss_mb'), max_rss_mb: Math.max(...pods.map((p) => p.rss_mb)), max_peak_mb: Math.max(...pods.map((p) => p.peak_mb)) },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(200)) {
    const ok = await new Promise<boolean>((r) => connect(port, '127.0.0.1').once('connect', function (this: { destroy(): void }) { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) return;
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** The site's broker for one run: Mosquitto 2 with persistence, on a free port of 127.0.0.1. */
async function startMosquitto(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${join(dir, 'data')}/`, 'max_queued_bytes 268435456', 'max_queued_messages 0', ...(process.getuid?.() === 0 ? ['user root'] : []), 'log_dest stderr', 'log_type error', ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, 10_000);
  return { child, port };
}

/**
 * The site's job database server for one run: a PostgreSQL cluster of its own (Debian's defaults,
 * trust on 127.0.0.1), so that its memory is the job database's alone. Needs root (initdb runs as
 * the postgres user).
 */
async function startPostgres(): Promise<{ url: string; pids(): number[]; stop(): void }> {
  const bin = readdirSync('/usr/lib/postgresql').map((v) => join('/usr/lib/postgresql', v, 'bin')).find((b) => existsSync(join(b, 'initdb')));
  if (!bin || process.getuid?.() !== 0) throw new Error('the site configuration needs root and PostgreSQL binaries (/usr/lib/postgresql/<v>/bin) for a cluster of its own');
  // not below the plant's run directory: that one is private to its user, and the cluster runs as postgres
  const dir = mkdtempSync(join(tmpdir(), 'bench-postgres-'));
  const data = join(dir, 'pgdata');
  spawnSync('chown', ['postgres', dir]);
  const as = (cmd: string, args: string[]) => {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  const port = await freePort();
  as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  as('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pids: () => [postmaster, ...readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) === postmaster;
      } catch {
        return false;
      }
    })],
    stop: () => {
      as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The plant with the edge in one configuration for `seconds` at real time; the edge programs' memory at the end. */
async function stackRun(config: 'embedded' | 'site', offset: number) {
  const loadBefore = load();
  // every edge program of the deployment but the broker, which the site configuration replaces by Mosquitto
  const roles = [...new Set(derivedRoles), 'simulators', 'erp-sim', 'cloud'].filter((r) => config === 'embedded' || r !== 'broker') as ProgramRole[];
  const postgres = config === 'site' ? await startPostgres() : undefined;
  const run = await startPlantRun({ seed: 7, speed: 1, portOffset: offset, roles, log, ...(postgres ? { jobDb: { url: postgres.url } } : {}) }).catch((err: unknown) => {
    postgres?.stop();
    throw err;
  });
  let mosquitto: { child: ChildProcess; port: number } | undefined;
  try {
    if (config === 'site') {
      mosquitto = await startMosquitto(join(run.runDir, 'mosquitto'));
      for (const p of run.programs) if (p.env.MQTT_URL) p.env.MQTT_URL = `mqtt://127.0.0.1:${mosquitto.port}`;
    }
    // the cloud runs so that the publisher delivers as it does in the plant, but the edge does not wait for it
    for (const p of run.programs) run.sup.start(p);
    const notReady = (await Promise.all(run.programs.filter(isEdge).map(async (p) => ((await run.sup.waitReady(p, 180_000)) ? [] : [p.name])))).flat();
    if (notReady.length) throw new Error(`${config}: not ready: ${notReady.join(', ')} (logs in ${run.runDir}/logs)`);
    await sleep(seconds * 1000);
    const edge = run.programs.filter(isEdge).flatMap((p) => programMemory(p.name, run.sup.programs.get(p.name)?.child?.pid) ?? []);
    if (mosquitto) edge.push(programMemory('mosquitto', mosquitto.child.pid)!);
    if (postgres) {
      const pg = postgres.pids().flatMap((pid, i) => programMemory(`postgres-${i}`, pid) ?? []);
      // one server: its processes share its buffers and code, so its RSS is its own memory plus those once
      edge.push({ name: 'postgres', rss_mb: unique(pg), anon_mb: sum(pg, 'anon_mb'), file_mb: most(pg, 'file_mb'), shmem_mb: most(pg, 'shmem_mb'), pss_mb: sum(pg, 'pss_mb'), peak_mb: most(pg, 'peak_mb') });
    }
    return { ...summarise(edge), load_avg_1m: { before: loadBefore, after: load() } };
  } finally {
    await run.close();
    mosquitto?.child.kill('SIGTERM');
    postgres?.stop();
  }
}

/** The embedded job manager from its first start through an 8-hour scenario (ERP orders, jobs on the machines). */
async function scenarioRun(offset: number) {
  const loadBefore = load();
  const run = await startPlantRun({ seed: 7, speed, portOffset: offset, roles: ['simulators', 'erp-sim', 'broker', 'machine-pod', 'job-manager'], log });
  try {
    await run.start(180_000);
    const jm = run.byRole('job-manager');
    const pid = () => run.sup.programs.get(jm.name)?.child?.pid;
    const first = memoryOf(pid());
    await sleep((hours * 3600_000) / speed);
    const end = memoryOf(pid());
    const { jobs } = await run.http<{ jobs: unknown[] }>(jm, '/api/v1/jobs?status=completed&limit=1000');
    return {
      first_start: first?.rss ?? 0,
      first_start_peak: first?.peak ?? 0,
      after_8h: end?.rss ?? 0,
      peak_8h: end?.peak ?? 0,
      scenario: { hours, speed, jobs_completed: jobs.length, restarts: run.sup.programs.get(jm.name)?.restarts ?? 0 },
      load_avg_1m: { before: loadBefore, after: load() },
    };
  } finally {
    await run.close();
  }
}

/** The job database alone (edge/job-manager/dist/bench/pglite-start.js) per PGlite option: first start, next start. */
function pgliteOptions() {
  const templateRoot = join(repoRoot, 'edge/job-manager/dist/pglite-template');
  const sb = { shared_buffers: '16MB' };
  const variants: [string, string][] = [
    ['PGlite defaults (before)', '{}'],
    ['shared_buffers 16MB', JSON.stringify({ settings: sb })],
    ['baseline compiler only', JSON.stringify({ baselineCompilerOnly: true })],
    ['template', JSON.stringify({ templateRoot })],
    ['template, shared_buffers 16MB', JSON.stringify({ templateRoot, settings: sb })],
    ['template, shared_buffers 16MB, baseline compiler (job manager)', JSON.stringify({ templateRoot, settings: sb, baselineCompilerOnly: true })],
  ];
  const probe = join(repoRoot, 'edge/job-manager/dist/bench/pglite-start.js');
  return variants.map(([option, tuning]) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-pglite-'));
    try {
      const start = () => {
        const r = spawnSync(process.execPath, [probe, join(dir, 'data'), tuning], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new Error(`${option}: ${r.stderr.slice(-500)}`);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { start: string; ready_ms: number; rss_mb: number; peak_mb: number };
      };
      const first = start();
      const next = start();
      return { option, first_start: first, next_start: next, load_avg_1m: load() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const figures: Record<string, unknown> = {};
let offset = portOffset;
if (parts.has('options')) {
  const options = pgliteOptions();
  const before = options[0]!, chosen = options.at(-1)!;
  figures.pglite_options = options;
  figures.job_database_first_start_ratio = Math.round((before.first_start.peak_mb / chosen.first_start.peak_mb) * 10) / 10;
}
const stack: Record<string, unknown> = {};
for (const config of ['site', 'embedded'] as const) {
  if (!parts.has(config)) continue;
  const r = await stackRun(config, (offset += 1000));
  stack[config] = r;
}
if (Object.keys(stack).length) {
  figures.edge_stack_rss_mb = Object.fromEntries(Object.entries(stack).map(([k, v]) => [k, (v as { rss_mb: number }).rss_mb]));
  figures.edge_stack_unique_mb = Object.fromEntries(Object.entries(stack).map(([k, v]) => [k, (v as { unique_mb: number }).unique_mb]));
  figures.edge_stack_pss_mb = Object.fromEntries(Object.entries(stack).map(([k, v]) => [k, (v as { pss_mb: number }).pss_mb]));
  figures.edge_stack = stack;
}
if (parts.has('scenario')) figures.job_manager_rss_mb = await scenarioRun((offset += 1000));
figures.over_limit = overLimit;
console.log(JSON.stringify(figures));
