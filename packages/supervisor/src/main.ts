import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPlantFile, loadPlant, localSiteFile, repoRoot } from '@plant-twin/plant-model';
import { createLogger, reachableHost, urlHost } from '@plant-twin/runtime';
import { derivePlantDeployment, programArgv, type Program } from './deployment.js';
import { ensureLocalTls, ensurePrivateDir, localAddressing, loadOrCreatePlantSecrets, writeLocalSite } from './local.js';
import { ProcessSupervisor } from './process-supervisor.js';

const help = `npm start [-- options]   run the whole simulated plant on this machine

Options:
  --seed <n>        simulator and ERP seed (default 1)
  --speed <x>       simulated time factor, 1 = real time (default 1)
  --plant <file>    plant model (default plant/plant.yaml)
  --site <file>     site file (default plant/sites/local.yaml)
  --run-dir <dir>   state, logs and generated secrets (default .run)
  --fresh           delete the run directory first (new databases, new secrets)
  --host <addr>     address every program listens on (default 127.0.0.1, this machine only;
                    0.0.0.0 for every interface: the other machines of the network reach it)
  --port-offset <n> add n to every port (a second plant beside this one; default 0)
  -h, --help        this text

Everything runs as child processes (simulators, ERP simulator, edge broker, eleven machine pods,
job manager, data publisher, cloud) with the environment Kubernetes would give them; logs go
to <run-dir>/logs/<program>.log (private to you, as is the whole run directory). Every listener,
the MQTT broker included, wants credentials: they are generated into <run-dir>/secrets.json.
Ctrl-C stops everything.`;

const options = {
  seed: { type: 'string', default: '1' },
  speed: { type: 'string', default: '1' },
  plant: { type: 'string', default: defaultPlantFile },
  site: { type: 'string', default: localSiteFile },
  'run-dir': { type: 'string', default: join(repoRoot, '.run') },
  fresh: { type: 'boolean', default: false },
  host: { type: 'string', default: '127.0.0.1' },
  'port-offset': { type: 'string', default: '0' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
const args = (() => {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    // a wrong option is one line and the help, not a stack trace
    console.error(`${(err as Error).message}\n\n${help}`);
    process.exit(2);
  }
})();
if (args.help) {
  console.log(help);
  process.exit(0);
}
const seed = Number(args.seed), speed = Number(args.speed), portOffset = Number(args['port-offset']);
const host = args.host;
if (!Number.isInteger(seed) || !(speed > 0)) {
  console.error('--seed must be an integer and --speed a positive number');
  process.exit(2);
}
if (!isIP(host)) {
  console.error(`--host must be an IP address, e.g. 127.0.0.1 or 0.0.0.0 (got ${host})`);
  process.exit(2);
}
// the highest local port is the cloud's 8443 + offset; the simulated machines start at 11102
if (!Number.isInteger(portOffset) || portOffset < 0 || portOffset > 40_000) {
  console.error('--port-offset must be an integer from 0 to 40000');
  process.exit(2);
}

const log = createLogger('supervisor');
const runDir = resolve(args['run-dir']);
if (args.fresh) rmSync(runDir, { recursive: true, force: true });
ensurePrivateDir(runDir);
const plantFile = resolve(args.plant);
// the simulated plant's own site file, moved to --host and --port-offset; any other site file is used as it is
const siteFile = resolve(args.site) === localSiteFile ? writeLocalSite(runDir, { portOffset, host, shareRoot: join(runDir, 'shares') }) : resolve(args.site);
const plant = loadPlant(plantFile, siteFile);

const tls = await ensureLocalTls(runDir);
const secrets = await loadOrCreatePlantSecrets(runDir, plant);

const programs = derivePlantDeployment(plant, {
  plantFile,
  siteFile,
  addressing: localAddressing(plant, runDir, portOffset, host),
  bindHost: host,
  seed,
  speed,
  simulate: true,
  tls,
  common: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
});
for (const p of programs) {
  const entry = programArgv(p, repoRoot).at(-1)!;
  if (!existsSync(entry)) {
    console.error(`${entry} is missing: run npm run build`);
    process.exit(1);
  }
}

const sup = new ProcessSupervisor({ repoRoot, logDir: join(runDir, 'logs'), secrets, log, ca: readFileSync(tls.caFile, 'utf8'), host: reachableHost(host) });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the plant ...');
  await sup.stopAll();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

console.log(`starting ${programs.length} programs (seed ${seed}, speed ${speed}); logs in ${join(runDir, 'logs')}`);
const started = new Map<string, Promise<boolean>>();
const launch = (p: Program): Promise<boolean> => {
  let s = started.get(p.name);
  if (!s) {
    s = (async () => {
      // like Kubernetes, a dependency that is slow to become ready does not block forever
      await Promise.all(p.after.map((d) => launch(programs.find((x) => x.name === d)!)));
      sup.start(p);
      return sup.waitReady(p, 90_000);
    })();
    started.set(p.name, s);
  }
  return s;
};
const ready = await Promise.all(programs.map(launch));
if (stopping) process.exit(0);

const url = (p: Program) => (p.httpPort ? `${p.https ? 'https' : 'http'}://${urlHost(host)}:${p.httpPort}` : '');
console.log('');
console.log('program            ready  url');
programs.forEach((p, i) => console.log(`${p.name.padEnd(18)} ${(ready[i] ? 'yes' : 'NO').padEnd(6)} ${url(p)}`));
const cloud = programs.find((p) => p.role === 'cloud')!;
const pwFile = cloud.env.CLOUD_ADMIN_PASSWORD_FILE!;
const printFirstPassword = () => {
  if (!existsSync(pwFile)) return;
  // shown once, on the terminal only (never in a log), as Jenkins does: the file is removed after printing
  process.stdout.write(`\nfirst start: cloud user "admin", password ${readFileSync(pwFile, 'utf8').trim()} (change it after login; shown only now)\n`);
  rmSync(pwFile);
};
if (ready[programs.indexOf(cloud)]) printFirstPassword();
else {
  // a first start's database takes a while on a busy machine: the password comes when the cloud is ready
  console.log('\nthe cloud is still starting; on a first start its admin password is printed here once it is ready');
  void sup.waitReady(cloud, 15 * 60_000).then((ok) => ok && !stopping && printFirstPassword());
}
console.log(`\nPlant twin (the web app, served by the cloud): ${url(cloud)}/  (self-signed certificate: ${tls.caFile})`);
console.log(`andon screens: ${url(cloud)}/andon?device=<token made under Admin, Devices>`);
const andon = programs.find((p) => p.role === 'andon');
// the token is a secret: it stays in the private secrets file, never on the terminal or in a log
if (andon) console.log(`andon at the edge (live without the cloud): ${url(andon)}/andon?device=<ANDON_DEVICE_TOKEN of ${join(runDir, 'secrets.json')}>`);
console.log('Ctrl-C stops the plant.');
