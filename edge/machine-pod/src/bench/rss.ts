/**
 * Resident memory of the eleven machine pods as separate processes (as the supervisor and
 * Kubernetes run them), against a simulated plant this script starts in its own process (with an
 * aedes broker), or against a running one: BENCH_SITE_FILE + MQTT_URL (+ the SQL password vars).
 *
 *   npx tsc -b edge/machine-pod && node edge/machine-pod/dist/bench/rss.js
 *   env: BENCH_SECONDS (default 20), SIM_SPEED (default 10), BENCH_POD_NODE_FLAGS (node flags for
 *   the pods, e.g. "--max-semi-space-size=1 --max-old-space-size=64"; what the supervisor should pass)
 *
 * Prints JSON: { "pod_rss_mb": max over pods, "per_machine": {...}, "per_interface": {...}, ... }.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlant } from '@plant-twin/plant-model';

// what the deployment runs: the bundle (dist-bundle/pod.mjs); BENCH_POD_ENTRY=dist/main.js compares the unbundled program
const mainJs = fileURLToPath(new URL(`../../${process.env.BENCH_POD_ENTRY ?? 'dist-bundle/pod.mjs'}`, import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const speed = Number(process.env.SIM_SPEED ?? 10);
const podFlags = (process.env.BENCH_POD_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const token = 'bench-token-0123456789abcdef';
const passwords: Record<string, string> = { CNC01_SQL_PASSWORD: 'bench-cnc01', CNC02_SQL_PASSWORD: 'bench-cnc02', PNT01_SQL_PASSWORD: 'bench-pnt01' };

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** CPU seconds (user + system) of a process so far */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'pod-rss-'));
  let siteFile = process.env.BENCH_SITE_FILE;
  let mqttUrl = process.env.MQTT_URL;
  let stopPlant = async () => undefined as void;
  if (!siteFile) {
    const { startSimulatedPlant } = await import('@plant-twin/machine-sim');
    const { Aedes } = await import('aedes');
    const aedes = await Aedes.createBroker();
    const server = createNetServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    mqttUrl = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    const plant = await startSimulatedPlant({ ephemeralPorts: true, shareRoot: join(root, 'shares'), speed, seed: 1, env: { ...process.env, ...passwords }, log: (await import('pino')).pino({ level: 'warn' }) });
    const lines = ['version: 1', 'site: rss-bench', 'machines:'];
    for (const m of plant.machines) {
      if (m.face.kind === 'file') lines.push(`  ${m.id}: { share: ${JSON.stringify(m.face.endpoint)} }`);
      else {
        const [host, port] = m.face.endpoint.split(':');
        lines.push(`  ${m.id}: { host: ${host}, port: ${port}${m.face.kind === 'sql' ? ', trustServerCertificate: true' : ''} }`);
      }
    }
    siteFile = join(root, 'site.yaml');
    writeFileSync(siteFile, `${lines.join('\n')}\n`);
    stopPlant = async () => {
      await plant.stop();
      server.close();
      aedes.close();
    };
  }
  const plant = loadPlant(undefined, siteFile);
  const pods: { id: string; kind: string; port: number; child: ChildProcess; max: number; last: number }[] = [];
  for (const m of plant.machines) {
    const port = await freePort();
    const stateDir = join(root, 'state', m.id);
    mkdirSync(stateDir, { recursive: true });
    const child = spawn(process.execPath, [...podFlags, mainJs], {
      env: { PATH: process.env.PATH, ...passwords, ...process.env, MACHINE_ID: m.id, SITE_FILE: siteFile, POD_PORT: String(port), MQTT_URL: mqttUrl!, POD_API_TOKEN: token, STATE_DIR: stateDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    pods.push({ id: m.id, kind: m.interface.type, port, child, max: 0, last: 0 });
  }
  const deadline = Date.now() + 180_000;
  const ready = async (p: (typeof pods)[number]) => (await fetch(`http://127.0.0.1:${p.port}/health/ready`).catch(() => null))?.status === 200;
  while (!(await Promise.all(pods.map(ready))).every(Boolean)) {
    if (Date.now() > deadline) throw new Error(`pods not ready: ${(await Promise.all(pods.map(async (p) => ((await ready(p)) ? '' : p.id)))).filter(Boolean).join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpuStart = pods.map((p) => cpuSeconds(p.child.pid!));
  const started = Date.now();
  const end = started + seconds * 1000;
  while (Date.now() < end) {
    for (const p of pods) {
      p.last = rssMb(p.child.pid!) ?? 0;
      p.max = Math.max(p.max, p.last);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpuPct = pods.map((p, i) => Math.round(((cpuSeconds(p.child.pid!) - cpuStart[i]!) / ((Date.now() - started) / 1000)) * 1000) / 10);
  for (const p of pods) p.child.kill('SIGTERM');
  await Promise.all(pods.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.on('exit', r)))));
  await stopPlant();
  const perInterface: Record<string, number> = {};
  for (const p of pods) perInterface[p.kind] = Math.max(perInterface[p.kind] ?? 0, p.max);
  console.log(JSON.stringify({
    pod_rss_mb: Math.max(...pods.map((p) => p.max)),
    per_machine: Object.fromEntries(pods.map((p) => [p.id, p.max])),
    per_interface: perInterface,
    // at the end of the window: what the pods settle at once start-up garbage is collected
    pod_rss_mb_end: Math.max(...pods.map((p) => p.last)),
    total_mb: Math.round(pods.reduce((s, p) => s + p.max, 0)),
    // share of one core per pod while polling (after start-up), max over pods
    pod_cpu_pct: Math.max(...cpuPct),
    seconds,
    sim_speed: speed,
    pod_node_flags: podFlags.join(' '),
    pod_entry: process.env.BENCH_POD_ENTRY ?? 'dist-bundle/pod.mjs',
    node: process.version,
  }, null, 2));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
