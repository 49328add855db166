import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { localSiteFile, type Plant } from '@plant-twin/plant-model';
import { reachableHost, selfSignedTls } from '@plant-twin/runtime';
import { derivedSecrets, podName, secretKeys, type Addressing } from './deployment.js';

/** Fixed local ports of the simulated plant (machine endpoints come from plant/sites/local.yaml). */
export const localPorts = {
  simulators: 12400,
  'erp-sim': 12300,
  'job-manager': 12100,
  publisher: 12200,
  andon: 12500,
  cloud: 8443,
  broker: 11883,
  brokerHealth: 12210,
  firstPod: 12001,
} as const;

export function localAddressing(plant: Plant, runDir: string, portOffset = 0, bindHost = '127.0.0.1'): Addressing {
  const pods = new Map(plant.machines.map((m, i) => [podName(m.id), localPorts.firstPod + i]));
  return {
    host: () => reachableHost(bindHost),
    port(program, kind) {
      if (program === 'broker') return portOffset + (kind === 'mqtt' ? localPorts.broker : localPorts.brokerHealth);
      const p = pods.get(program) ?? localPorts[program as keyof typeof localPorts];
      if (typeof p !== 'number') throw new Error(`no local port for ${program}`);
      return portOffset + p;
    },
    dataDir: (program) => join(runDir, 'data', program),
  };
}

/**
 * The run directory, private to its user (0700): logs, data, secrets and keys below it are out of
 * other users' reach whatever mode a program gives its files.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * The site file of a local simulated plant run beside others (`--port-offset`) or on another
 * address (`--host`): plant/sites/local.yaml with the machines' ports shifted, their host the
 * programs' address and, when given, the file machines' shares under `shareRoot`.
 */
export function writeLocalSite(runDir: string, o: { portOffset: number; host: string; shareRoot?: string }): string {
  const site = parse(readFileSync(localSiteFile, 'utf8'));
  for (const [id, m] of Object.entries<Record<string, unknown>>(site.machines)) {
    if (typeof m.port === 'number') m.port += o.portOffset;
    if (typeof m.host === 'string') m.host = reachableHost(o.host);
    if (m.share && o.shareRoot) m.share = join(o.shareRoot, id);
    // relative shares resolve against the site file's folder: keep them where local.yaml puts them
    else if (typeof m.share === 'string' && !m.share.startsWith('/')) m.share = join(localSiteFile, '..', m.share);
  }
  const file = join(runDir, 'site.yaml');
  writeFileSync(file, stringify({ ...site, site: `${site.site}-run` }), { mode: 0o600 });
  return file;
}

/**
 * Secrets of the local simulated plant: random on first start, kept in `<runDir>/secrets.json`
 * (mode 0600, outside git) so restarts keep working with the databases they created.
 */
export async function loadOrCreateLocalSecrets(
  runDir: string,
  keys: string[],
  derive: (s: Record<string, string>) => Promise<Record<string, string>> = async () => ({}),
): Promise<Record<string, string>> {
  const file = join(runDir, 'secrets.json');
  ensurePrivateDir(runDir);
  const existing: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = { ...existing };
  for (const k of keys) secrets[k] ??= k === 'ERP_USER' ? 'edge-sync' : randomBytes(18).toString('base64url');
  Object.assign(secrets, await derive(secrets));
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

/** The cloud's self-signed certificate in `<runDir>/tls` (made on first start); the publisher trusts it as its CA. */
export async function ensureLocalTls(runDir: string): Promise<{ certFile: string; keyFile: string; caFile: string }> {
  const dir = join(runDir, 'tls');
  const tls = { certFile: join(dir, 'cloud.crt'), keyFile: join(dir, 'cloud.key'), caFile: join(dir, 'cloud.crt') };
  if (!existsSync(tls.certFile)) {
    ensurePrivateDir(dir);
    const pair = await selfSignedTls('localhost');
    writeFileSync(tls.keyFile, pair.key, { mode: 0o600 });
    writeFileSync(tls.certFile, pair.cert);
  }
  return tls;
}

/** Every secret of the local plant, with the hashes the cloud and the broker hold (derivedSecrets). */
export function loadOrCreatePlantSecrets(runDir: string, plant: Plant): Promise<Record<string, string>> {
  return loadOrCreateLocalSecrets(runDir, secretKeys(plant), (s) => derivedSecrets(plant, s));
}
