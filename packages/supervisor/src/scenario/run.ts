import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { defaultPlantFile, loadPlant, localSiteFile, repoRoot } from '@plant-twin/plant-model';
import { createLogger, seededRandom, sleep } from '@plant-twin/runtime';
import { derivePlantDeployment, podName, secretKeys, type Program } from '../deployment.js';
import { localAddressing, loadOrCreateLocalSecrets } from '../local.js';
import { ProcessSupervisor } from '../process-supervisor.js';
import { failed, judge, type CompletedJob, type ErpConfirmation } from './verdict.js';

/**
 * The plant's acceptance test: the simulated plant (simulators, ERP simulator, broker, machine
 * pods, job manager) runs as child processes faster than real time; ERP orders flow into jobs,
 * jobs run on the simulated machines, confirmations flow back. With --chaos the job manager and
 * machine pods are SIGKILLed and the ERP connection is broken at random (seeded) moments.
 */
const { values: a } = parseArgs({
  options: {
    hours: { type: 'string', default: '8' },
    speed: { type: 'string', default: '600' },
    seed: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
    chaos: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'port-offset': { type: 'string', default: '3000' },
  },
});
const hours = Number(a.hours), speed = Number(a.speed), seed = Number(a.seed), offset = Number(a['port-offset']);
const say = (msg: string) => !a.json && console.log(msg);
const log = createLogger('scenario', { seed });
log.level = a.json ? 'warn' : 'info';

const runDir = mkdtempSync(join(tmpdir(), 'plant-scenario-'));
// the scenario's own site file: the local one with shifted ports and shares under the run dir,
// so a scenario runs beside an `npm start` plant
const site = parse(readFileSync(localSiteFile, 'utf8'));
for (const [id, m] of Object.entries<Record<string, unknown>>(site.machines)) {
  if (typeof m.port === 'number') m.port += offset;
  if (m.share) m.share = join(runDir, 'shares', id);
}
const siteFile = join(runDir, 'site.yaml');
writeFileSync(siteFile, stringify({ ...site, site: 'scenario' }));
const plant = loadPlant(defaultPlantFile, siteFile);
const secrets = await loadOrCreateLocalSecrets(runDir, secretKeys(plant));
const programs = derivePlantDeployment(plant, {
  plantFile: defaultPlantFile,
  siteFile,
  addressing: localAddressing(plant, runDir, offset),
  seed,
  speed,
  simulate: true,
  common: { LOG_LEVEL: 'warn' },
}).filter((p) => p.role !== 'cloud' && p.role !== 'publisher');
const byRole = (r: Program['role']) => programs.find((p) => p.role === r)!;
const sup = new ProcessSupervisor({ repoRoot, logDir: join(runDir, 'logs'), secrets, log });

const http = async <T>(p: Program, path: string, init: RequestInit = {}): Promise<T> => {
  const auth =
    p.role === 'erp-sim'
      ? `Basic ${Buffer.from(`${secrets.ERP_USER}:${secrets.ERP_PASSWORD}`).toString('base64')}`
      : p.role === 'job-manager'
        ? `Bearer ${secrets.JM_API_TOKEN}`
        : `Bearer ${secrets.SIM_CONTROL_TOKEN}`;
  const r = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, {
    ...init,
    headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(30_000),
  });
  if (!r.ok) throw new Error(`${p.name} ${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
};

let exitCode = 1;
try {
  say(`scenario: ${hours} h at speed ${speed}, seed ${seed}${a.chaos ? ', chaos' : ''}; run dir ${runDir}`);
  for (const p of programs) sup.start(p);
  const ready = await Promise.all(programs.map((p) => sup.waitReady(p, 120_000)));
  const notReady = programs.filter((_, i) => !ready[i]).map((p) => p.name);
  if (notReady.length) throw new Error(`not ready after 120 s: ${notReady.join(', ')} (logs in ${join(runDir, 'logs')})`);

  const wallMs = (hours * 3600_000) / speed;
  say(`plant ready; running ${(wallMs / 1000).toFixed(0)} s of wall time`);
  const chaos: string[] = [];
  if (a.chaos) {
    // seeded, so a failing chaos run can be repeated
    const rnd = seededRandom(seed);
    const end = Date.now() + wallMs * 0.85;
    while (Date.now() < end) {
      await sleep(2_000 + rnd() * Math.min(10_000, wallMs / 6));
      const pick = rnd();
      if (pick < 0.35) {
        sup.programs.get('job-manager')!.child?.kill('SIGKILL');
        chaos.push('kill job-manager');
      } else if (pick < 0.75) {
        const m = plant.machines[Math.floor(rnd() * plant.machines.length)]!;
        sup.programs.get(podName(m.id))!.child?.kill('SIGKILL');
        chaos.push(`kill ${podName(m.id)}`);
      } else {
        await http(byRole('erp-sim'), '/api/v1/_sim/faults', { method: 'PUT', body: JSON.stringify({ drop: 0.3, error5xx: 0.2, dropAfterCommit: 0.2, hangAfterCommit: 0.1, timeoutMs: 3000 }) });
        chaos.push('break ERP connection');
        await sleep(3_000 + rnd() * 4_000);
        await http(byRole('erp-sim'), '/api/v1/_sim/faults', { method: 'PUT', body: '{}' });
      }
      log.info({ event: chaos.at(-1) }, 'chaos');
    }
    await sleep(Math.max(0, end + wallMs * 0.15 - Date.now()));
  } else await sleep(wallMs);

  // settle: everything restarted is ready again and the job manager's outbox is empty
  say('settling ...');
  await Promise.all(programs.map((p) => sup.waitReady(p, 120_000)));
  const jm = byRole('job-manager');
  const drained = async () => {
    for (let quiet = 0, t = Date.now(); Date.now() - t < 180_000; await sleep(1_000)) {
      const { confirmations } = await http<{ confirmations: unknown[] }>(jm, '/api/v1/outbox?status=pending');
      if (confirmations.length === 0 && ++quiet >= 3) return true;
      if (confirmations.length) quiet = 0;
    }
    return false;
  };
  await drained();
  const completed: CompletedJob[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { jobs } = await http<{ jobs: CompletedJob[] }>(jm, `/api/v1/jobs?status=completed&limit=1000&offset=${offset}`);
    completed.push(...jobs);
    if (jobs.length < 1000) break;
  }
  const settled = await drained();
  const erp = byRole('erp-sim');
  const { orders } = await http<{ orders: unknown[] }>(erp, '/api/v1/_sim/orders');
  const { confirmations, duplicatesRejected } = await http<{ confirmations: ErpConfirmation[]; duplicatesRejected: number }>(erp, '/api/v1/_sim/confirmations');
  const truth = await http<{ counts: { byJob: Record<string, { good: number }> } }>(byRole('simulators'), '/truth');
  const verdict = judge({
    orders: orders.length,
    completed,
    confirmations,
    duplicatesRejected,
    truthGoodByJob: Object.fromEntries(Object.entries(truth.counts.byJob).map(([id, c]) => [id, c.good])),
  });
  const restarts = Object.fromEntries([...sup.programs.values()].filter((r) => r.restarts > 0).map((r) => [r.program.name, r.restarts]));
  const report = { hours, speed, seed, chaos: a.chaos, ...verdict, outbox_settled: settled, chaos_events: chaos.length, restarts };
  if (a.json) console.log(JSON.stringify(report));
  else console.log(JSON.stringify(report, null, 2));
  exitCode = failed(verdict) || !settled ? 1 : 0;
} catch (err) {
  console.error(`scenario failed: ${(err as Error).message}`);
} finally {
  await sup.stopAll();
  if (!a.keep && exitCode === 0) rmSync(runDir, { recursive: true, force: true });
  else say(`run dir kept: ${runDir}`);
}
process.exit(exitCode);
