import { parseArgs } from 'node:util';
import { defaultPlantFile } from '@plant-twin/plant-model';
import { createLogger, seededRandom, sleep } from '@plant-twin/runtime';
import { podName, startPlantRun } from '@plant-twin/supervisor';
import { writeReports } from '../report/write.js';
import { failed, judge, verdictCases, type CompletedJob, type ErpConfirmation } from './verdict.js';

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
    junit: { type: 'string' },
    html: { type: 'string' },
    'port-offset': { type: 'string', default: '3000' },
  },
});
const hours = Number(a.hours), speed = Number(a.speed), seed = Number(a.seed), offset = Number(a['port-offset']);
const say = (msg: string) => !a.json && console.log(msg);
const log = createLogger('scenario', { seed });
log.level = a.json ? 'warn' : 'info';

const run = await startPlantRun({ seed, speed, portOffset: offset, roles: ['simulators', 'erp-sim', 'broker', 'machine-pod', 'job-manager'], log });
const { plant, sup, runDir, byRole, http } = run;

let exitCode = 1;
const startedAt = Date.now();
try {
  say(`scenario: ${hours} h at speed ${speed}, seed ${seed}${a.chaos ? ', chaos' : ''}; run dir ${runDir}`);
  await run.start();

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
        await http(byRole('erp-sim'), '/api/v1/_sim/faults', { method: 'PUT', body: { drop: 0.3, error5xx: 0.2, dropAfterCommit: 0.2, hangAfterCommit: 0.1, timeoutMs: 3000 } });
        chaos.push('break ERP connection');
        await sleep(3_000 + rnd() * 4_000);
        await http(byRole('erp-sim'), '/api/v1/_sim/faults', { method: 'PUT', body: {} });
      }
      log.info({ event: chaos.at(-1) }, 'chaos');
    }
    await sleep(Math.max(0, end + wallMs * 0.15 - Date.now()));
  } else await sleep(wallMs);

  // settle: everything restarted is ready again and the job manager's outbox is empty
  say('settling ...');
  await run.waitReady();
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
  if (a.junit || a.html) {
    const suite = { name: 'scenario', title: `ERP -> jobs -> machines -> confirmations: ${hours} h at ${speed}x${a.chaos ? ' with chaos' : ''}`, startedAt, durationMs: Date.now() - startedAt, cases: verdictCases(verdict, settled) };
    writeReports({ kind: 'scenario', title: `Scenario acceptance: ${plant.plant.name}`, target: `sim (scenario, seed ${seed})`, plantFile: defaultPlantFile, siteFile: byRole('simulators').env.SITE_FILE!, startedAt, suites: [suite], junit: a.junit, html: a.html, say });
  }
} catch (err) {
  console.error(`scenario failed: ${(err as Error).message}`);
} finally {
  const keep = a.keep || exitCode !== 0;
  await run.close(keep);
  if (keep) say(`run dir kept: ${runDir}`);
}
process.exit(exitCode);
