import { mkdtemp, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPlantFile, loadPlant, localSiteFile, machineStates, type Machine } from '@plant-twin/plant-model';
import { createLogger } from '@plant-twin/runtime';
import { Nodes7Session } from './s7/nodes7-session.js';
import { checkSqlMachine } from './sql/check.js';
import { startSimulatedPlant, type SimulatedMachine } from './start.js';

/**
 * `npm run sim:check`: starts every simulator (ephemeral ports, a temporary share folder, fast
 * time), then reaches each one with an independent client - nodes7 for S7, mssql for TDS, a
 * directory read for file machines - and prints one line per machine. Exit code 0 only when all
 * answered.
 */
const { values: a } = parseArgs({
  options: {
    site: { type: 'string', default: localSiteFile },
    plant: { type: 'string', default: defaultPlantFile },
    machines: { type: 'string' },
    timeout: { type: 'string', default: '30' },
  },
});
const log = createLogger('sim-check');
log.level = process.env.LOG_LEVEL ?? 'warn';
const plant = loadPlant(a.plant, a.site);
const shareRoot = await mkdtemp(join(tmpdir(), 'sim-check-'));
const env = { ...process.env };
for (const m of plant.machines) if (m.interface.type === 'sql') env[m.interface.passwordEnv] ??= `check-${Math.random().toString(36).slice(2)}Aa1!`;
const sim = await startSimulatedPlant({
  plant,
  seed: 'sim-check',
  speed: 600,
  tickMs: 50,
  machines: a.machines?.split(',').map((s) => s.trim()),
  ephemeralPorts: true,
  shareRoot,
  env,
  log,
});
const timeoutMs = Number(a.timeout) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checkS7(m: SimulatedMachine, model: Machine): Promise<string> {
  const [host, port] = m.face.endpoint.split(':');
  const s = await Nodes7Session.connect(host!, Number(port), 0, 1, 5000);
  try {
    const values = await s.read(model.tags.map((t) => t.address), 10);
    const state = values[model.tags.find((t) => t.role === 'state')!.address] as number;
    return `${model.tags.length} tags read with nodes7, state ${machineStates[state] ?? state}`;
  } finally {
    await s.close();
  }
}

async function checkFile(m: SimulatedMachine, model: Machine): Promise<string> {
  const itf = model.interface;
  if (itf.type !== 'file') throw new Error('not a file machine');
  const share = m.face.endpoint;
  if (itf.inbox) {
    const jobId = `CHECK-${model.id}`;
    const tmp = join(share, itf.inbox, `${jobId}.job.tmp`);
    await writeFile(tmp, `JobId=${jobId}\nPartNumber=${model.parts[0]!.partNumber}\nQuantity=3\n`);
    await rename(tmp, join(share, itf.inbox, `${jobId}.job`));
  }
  const out = join(share, itf.outbox);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const files = (await readdir(out)).filter((f) => !f.endsWith('.tmp'));
    if (files.length) return `${files.length} result file(s) in ${out}, first ${files.sort()[0]}`;
    if (Date.now() > end) throw new Error(`no result file in ${out} within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

const results = await Promise.all(
  sim.machines.map(async (m) => {
    const model = m.sim.model;
    try {
      const detail = await Promise.race([
        model.interface.type === 's7' ? checkS7(m, model) : model.interface.type === 'sql' ? checkSqlMachine(m, model, env) : checkFile(m, model),
        sleep(timeoutMs + 5000).then(() => {
          throw new Error('timed out');
        }),
      ]);
      return { id: m.id, ok: true, line: `ok    ${m.id.padEnd(7)} ${m.face.kind.toUpperCase().padEnd(4)} ${m.face.endpoint}  ${detail}` };
    } catch (err) {
      return { id: m.id, ok: false, line: `FAIL  ${m.id.padEnd(7)} ${m.face.kind.toUpperCase().padEnd(4)} ${m.face.endpoint}  ${(err as Error).message}` };
    }
  }),
);
for (const r of results) console.log(r.line);
const ok = results.filter((r) => r.ok).length;
console.log(`${ok}/${results.length} machines answered`);
if (ok < results.length) console.log(`failing: ${results.filter((r) => !r.ok).map((r) => r.id).join(', ')}`);
await sim.stop();
await rm(shareRoot, { recursive: true, force: true });
process.exit(ok === results.length ? 0 : 1);
