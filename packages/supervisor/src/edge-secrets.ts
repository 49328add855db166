import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPlantFile, loadPlant, type Plant } from '@plant-twin/plant-model';
import { derivedSecretKeys, derivedSecrets, secretKeys } from './deployment.js';
import { writeMosquittoConfig, type MosquittoOptions } from './mosquitto.js';

/**
 * The secrets of a site and its Mosquitto configuration, from one derivation: `secrets.env` (every
 * key of secretKeys, for `kubectl create secret generic plant-twin-secrets --from-env-file`) and
 * `mosquitto/` (mosquitto.conf, passwd, acl) with the same MQTT passwords. Values already in `from`
 * are kept, so the files can be made again (a new machine, another listener) without new passwords.
 */
export async function writeEdgeSecrets(out: string, plant: Plant, o: { from?: Record<string, string>; mosquitto: MosquittoOptions }): Promise<{ secretsFile: string; mosquittoConf: string }> {
  const secrets: Record<string, string> = { ...o.from };
  for (const k of secretKeys(plant)) if (!derivedSecretKeys.includes(k)) secrets[k] ??= k === 'ERP_USER' ? 'edge-sync' : randomBytes(18).toString('base64url');
  Object.assign(secrets, await derivedSecrets(plant, secrets));
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const secretsFile = join(out, 'secrets.env');
  writeFileSync(secretsFile, secretKeys(plant).map((k) => `${k}=${secrets[k]}`).join('\n') + '\n', { mode: 0o600 });
  chmodSync(secretsFile, 0o600);
  return { secretsFile, mosquittoConf: writeMosquittoConfig(join(out, 'mosquitto'), plant, secrets, o.mosquitto) };
}

/** KEY=value lines (the form kubectl --from-env-file reads); blank lines and # comments skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 1) throw new Error(`not KEY=value: ${line.slice(0, 40)}`);
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const help = `npm run edge:secrets -- --out <dir> [options]

Writes <dir>/secrets.env (every secret of the plant: tokens, passwords, the MQTT users' passwords and
the hashes the cloud and the broker hold) and <dir>/mosquitto/ (mosquitto.conf, passwd, acl: the
site's Mosquitto with the same users and rules as the embedded broker). Both files are secret (0600).

Options:
  --out <dir>          where to write (required)
  --plant <file>       plant model (default plant/plant.yaml)
  --site <file>        site file
  --from <file>        a secrets.env to keep the values of (only missing keys get new ones)
  --mqtt-host <addr>   address Mosquitto listens on (default 127.0.0.1; the node's address on site)
  --mqtt-port <n>      plain MQTT listener (default 1883; 0: none, TLS only)
  --tls-port <n>       MQTT over TLS listener (default 8883, with --tls-cert and --tls-key)
  --tls-cert <file>    certificate (PEM) of the TLS listener
  --tls-key <file>     its key
  --data-dir <dir>     Mosquitto persistence folder (default: none)
  --queue-mb <n>       what Mosquitto keeps for the data publisher while it is away (default 256)
  --mqtt-user <name>   the user Mosquitto runs as (default mosquitto): chown the files to it`;

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const { values: a } = parseArgs({
    options: {
      out: { type: 'string' },
      plant: { type: 'string', default: defaultPlantFile },
      site: { type: 'string' },
      from: { type: 'string' },
      'mqtt-host': { type: 'string', default: '127.0.0.1' },
      'mqtt-port': { type: 'string', default: '1883' },
      'tls-port': { type: 'string', default: '8883' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'data-dir': { type: 'string' },
      'queue-mb': { type: 'string', default: '256' },
      'mqtt-user': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help || !a.out) {
    console.log(help);
    process.exit(a.help ? 0 : 2);
  }
  if (Boolean(a['tls-cert']) !== Boolean(a['tls-key'])) {
    console.error('--tls-cert and --tls-key: give both or neither');
    process.exit(2);
  }
  if (a.from && !existsSync(a.from)) {
    console.error(`--from ${a.from}: no such file`);
    process.exit(2);
  }
  const mqttPort = Number(a['mqtt-port']);
  const plant = loadPlant(resolve(a.plant), a.site ? resolve(a.site) : undefined);
  const written = await writeEdgeSecrets(resolve(a.out), plant, {
    ...(a.from ? { from: parseEnvFile(readFileSync(a.from, 'utf8')) } : {}),
    mosquitto: {
      host: a['mqtt-host'],
      ...(mqttPort > 0 ? { port: mqttPort } : {}),
      ...(a['tls-cert'] ? { tls: { port: Number(a['tls-port']), certFile: a['tls-cert'], keyFile: a['tls-key']! } } : {}),
      ...(a['data-dir'] ? { dataDir: a['data-dir'] } : {}),
      queueMb: Number(a['queue-mb']),
      ...(a['mqtt-user'] ? { user: a['mqtt-user'] } : {}),
    },
  });
  console.log(`secrets: ${written.secretsFile}\nMosquitto: mosquitto -c ${written.mosquittoConf}`);
}
