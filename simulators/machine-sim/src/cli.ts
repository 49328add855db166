import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPlantFile, loadPlant, localSiteFile, repoRoot } from '@plant-twin/plant-model';
import { createLogger, onShutdown } from '@plant-twin/runtime';
import { plantStepMs } from './clock.js';
import { startSimulatedPlant } from './start.js';
import { endpointTable } from './table.js';

const help = `npm run sim -- [options]
  --seed <s>            random seed (default 1): same seed + same commands = same run
  --speed <n>           simulated seconds per real second (default 1)
  --site <file>         site file (default plant/sites/local.yaml)
  --plant <file>        plant model (default plant/plant.yaml)
  --machines <ids>      comma list, e.g. PRS-01,CNC-01 (default: all)
  --control-port <p>    control API port (default 12400; SIM_CONTROL_TOKEN protects it)
  --file-faults <rate>  share of damaged result files, 0-1 (default 0)
  --start <iso>         simulated start time (default: now)
  -h, --help`;

const { values: a } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    speed: { type: 'string', default: '1' },
    site: { type: 'string', default: localSiteFile },
    plant: { type: 'string', default: defaultPlantFile },
    machines: { type: 'string' },
    'control-port': { type: 'string', default: process.env.SIM_CONTROL_PORT ?? '12400' },
    'file-faults': { type: 'string', default: process.env.SIM_FILE_FAULTS ?? '0' },
    start: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (a.help) {
  console.log(help);
  process.exit(0);
}

const log = createLogger('machine-sim');
log.level = process.env.LOG_LEVEL ?? 'warn';
const plant = loadPlant(a.plant, a.site);
const machines = a.machines?.split(',').map((s) => s.trim()).filter(Boolean);
const env = { ...process.env };
// the CLI never falls back to a fixed password: missing SQL passwords and control token are generated for this run and written to a private file
const missing = [
  ...plant.machines.flatMap((m) => (m.interface.type === 'sql' && (!machines || machines.includes(m.id)) && !env[m.interface.passwordEnv] ? [m.interface.passwordEnv] : [])),
  ...(env.SIM_CONTROL_TOKEN ? [] : ['SIM_CONTROL_TOKEN']),
];
let secretsFile: string | undefined;
if (missing.length) {
  for (const k of missing) env[k] = randomBytes(18).toString('base64url');
  const dir = join(repoRoot, '.run', 'sim');
  mkdirSync(dir, { recursive: true });
  secretsFile = join(dir, 'secrets.env');
  writeFileSync(secretsFile, missing.map((k) => `${k}=${env[k]}`).join('\n') + '\n', { mode: 0o600 });
}
const speed = Number(a.speed);
if (!(speed > 0)) throw new Error(`--speed must be a positive number (got ${a.speed})`);
const sim = await startSimulatedPlant({
  plant,
  seed: a.seed,
  speed,
  tickMs: plantStepMs(speed),
  machines,
  startMs: a.start ? Date.parse(a.start) : undefined,
  controlPort: Number(a['control-port']),
  controlToken: env.SIM_CONTROL_TOKEN,
  fileFaultRate: Number(a['file-faults']),
  env,
  log,
});
console.log(`simulated plant: ${sim.machines.length} machines, seed ${a.seed}, speed ${speed}x\n`);
console.log(endpointTable(sim));
console.log(`\ncontrol API: ${sim.control?.url} (GET /machines, /truth; POST /machines/:id/fault|maintenance|power/off|face/stop ...)`);
if (secretsFile) console.log(`secrets of this run (${missing.join(', ')}; the control API wants the token as a bearer): ${secretsFile}`);
console.log('Ctrl+C stops.');
onShutdown(log)(() => sim.stop());
