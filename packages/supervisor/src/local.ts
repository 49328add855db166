import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plant } from '@plant-twin/plant-model';
import { hashSecret, selfSignedTls } from '@plant-twin/runtime';
import { edgeIdOf, podName, secretKeys, type Addressing } from './deployment.js';

/** Fixed local ports of the simulated plant (machine endpoints come from plant/sites/local.yaml). */
export const localPorts = {
  simulators: 12400,
  'erp-sim': 12300,
  'job-manager': 12100,
  publisher: 12200,
  cloud: 8443,
  broker: 11883,
  brokerHealth: 12210,
  firstPod: 12001,
} as const;

export function localAddressing(plant: Plant, runDir: string, portOffset = 0): Addressing {
  const pods = new Map(plant.machines.map((m, i) => [podName(m.id), localPorts.firstPod + i]));
  return {
    host: () => '127.0.0.1',
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
 * Secrets of the local simulated plant: random on first start, kept in `<runDir>/secrets.json`
 * (mode 0600, outside git) so restarts keep working with the databases they created.
 */
export async function loadOrCreateLocalSecrets(
  runDir: string,
  keys: string[],
  derive: (s: Record<string, string>) => Promise<Record<string, string>> = async () => ({}),
): Promise<Record<string, string>> {
  const file = join(runDir, 'secrets.json');
  mkdirSync(runDir, { recursive: true });
  const existing: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = { ...existing };
  for (const k of keys) secrets[k] ??= k === 'ERP_USER' ? 'edge-sync' : randomBytes(18).toString('base64url');
  Object.assign(secrets, await derive(secrets));
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The cloud's self-signed certificate in `<runDir>/tls` (made on first start); the publisher trusts it as its CA. */
export async function ensureLocalTls(runDir: string): Promise<{ certFile: string; keyFile: string; caFile: string }> {
  const dir = join(runDir, 'tls');
  const tls = { certFile: join(dir, 'cloud.crt'), keyFile: join(dir, 'cloud.key'), caFile: join(dir, 'cloud.crt') };
  if (!existsSync(tls.certFile)) {
    mkdirSync(dir, { recursive: true });
    const pair = await selfSignedTls('localhost');
    writeFileSync(tls.keyFile, pair.key, { mode: 0o600 });
    writeFileSync(tls.certFile, pair.cert);
  }
  return tls;
}

/** Every secret of the local plant, with the cloud's credential entry for the edge's token. */
export function loadOrCreatePlantSecrets(runDir: string, plant: Plant): Promise<Record<string, string>> {
  return loadOrCreateLocalSecrets(runDir, secretKeys(plant), async (s) => ({ EDGE_CREDENTIALS: JSON.stringify({ [edgeIdOf(plant)]: await hashSecret(s.EDGE_TOKEN!) }) }));
}
