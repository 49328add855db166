import { machineFilter, machineTopic, maxMqttPacketBytes, plantFilter, publisherClientId } from '@plant-twin/contracts';
import { posix } from 'node:path';
import type { Plant } from '@plant-twin/plant-model';
import { hashSecret } from '@plant-twin/runtime';

/**
 * What each program of the plant gets: one function from plant model (+ site file) to the
 * environment of every deployable. The local supervisor (`npm start`), the Kubernetes manifest
 * renderer and the HIL suites all use it, so the three runtimes cannot drift apart.
 */
export type ProgramRole = 'simulators' | 'erp-sim' | 'broker' | 'machine-pod' | 'job-manager' | 'publisher' | 'andon' | 'cloud';

export interface Program {
  /** unique name: process name locally, Deployment/Service name in Kubernetes */
  name: string;
  role: ProgramRole;
  /** workspace folder of the program */
  dir: string;
  /** file it runs, relative to dir (default dist/main.js) */
  entry?: string;
  /** node options before the entry (V8 flags such as --lite-mode are refused in NODE_OPTIONS) */
  nodeArgs?: string[];
  /** plain settings */
  env: Record<string, string>;
  /** env var name -> secret key; locally filled from the generated secrets, in Kubernetes from a Secret */
  secretEnv: Record<string, string>;
  /** HTTP port of health/ready/metrics (and the program's API), if any */
  httpPort?: number;
  /** the program serves HTTPS on httpPort */
  https?: boolean;
  /** edge node the program prefers (machine pods follow their machine's preferredNode) */
  preferredNode?: string;
  /** part of the real plant's edge (runs on the IPC127E nodes) or only of the simulated plant / cloud */
  tier: 'edge' | 'sim' | 'cloud';
  /** programs that should be ready before this one starts (locally; Kubernetes just retries) */
  after: string[];
}

export interface Addressing {
  /** host name other programs use to reach `program` */
  host(program: string): string;
  /** port of `program`'s service `kind` */
  port(program: string, kind: 'http' | 'mqtt'): number;
  /** folder for a program's persistent state */
  dataDir(program: string): string;
}

export interface DeploymentOptions {
  plantFile: string;
  siteFile?: string;
  addressing: Addressing;
  seed: number;
  speed: number;
  /** simulated time at which the simulators start (ms since the epoch); default: now */
  simStart?: number;
  /** run the simulators and ERP simulator (the simulated plant) */
  simulate: boolean;
  /** cloud serves HTTPS with these files (mounted), and the publisher trusts the CA file */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** extra env merged into every program (e.g. LOG_LEVEL) */
  common?: Record<string, string>;
  /** address every program's listeners bind (BIND_HOST): default 127.0.0.1; 0.0.0.0 in Kubernetes */
  bindHost?: string;
}

export const podName = (machineId: string) => `pod-${machineId.toLowerCase()}`;
/** the edge's id towards the cloud (its credential is stored under it) */
export const edgeIdOf = (plant: Plant) => `${plant.plant.id}-edge`.toLowerCase();
/**
 * Machine pods run their bundle (one file per chunk, no express) in V8's lite mode (interpreter
 * only: pods spend little CPU, and the optimising compiler's code and feedback cost ~12 MB) with
 * a small young generation: measured by `npm run bench:edge` (pod_rss_mb, pod_cpu_pct).
 */
export const podEntry = 'dist-bundle/pod.mjs';
export const podNodeArgs = ['--lite-mode', '--max-semi-space-size=1'];
/**
 * glibc malloc: one arena and early trimming keep TLS and thread-pool allocations from lingering
 * (-4 to -6 MB on SQL pods); blocks of 16 KB and more mapped on their own, so the compiler's
 * scratch memory for the SQL client (~2.5 MB) goes back to the system when freed instead of
 * staying as a hole in the heap under later allocations (SQL pods were 58.7 or 62.7 MB, by chance)
 */
export const podMallocEnv = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '16384' };
/**
 * The job manager on PGlite (embedded): a small young generation and no optimising compiler for its
 * JavaScript (a few queries a second), with the pods' malloc settings: not lite mode, which turns
 * off the WebAssembly PGlite runs on. On a PostgreSQL server (the site's) it needs no WebAssembly
 * and runs in lite mode as the pods (bench:edge): its HTTP calls are node:http, and fetch is off,
 * since the PostgreSQL client's first look at the global Response would load fetch's WebAssembly
 * parser and end the process.
 */
export const jobManagerNodeArgs = ['--max-semi-space-size=1', '--no-opt'];
export const jobManagerOnPostgresNodeArgs = [...podNodeArgs, '--no-experimental-fetch'];
/**
 * The broker and the data publisher: a small young generation and the pods' malloc settings (the
 * plant's few hundred messages a second need no 16 MB nursery); the optimising compiler stays for
 * the publisher's drain after an outage (gzip and JSON of thousands of messages a second).
 */
export const edgeServiceNodeArgs = ['--max-semi-space-size=1'];

/** The node command line of a program installed at `root` (the repo locally, /app in the image). */
export function programArgv(p: Program, root: string): string[] {
  return [...(p.nodeArgs ?? []), posix.join(root, p.dir, p.entry ?? 'dist/main.js')];
}

/** What an MQTT user may do on the edge broker (the broker's MQTT_ACL, Mosquitto's acl_file). */
export interface MqttRights {
  publish: string[];
  retain: string[];
  subscribe: string[];
}

export interface MqttUser {
  /** user name, and the client id the brokers insist on */
  username: string;
  /** the program that connects as this user */
  program: string;
  /** secret key of its password */
  passwordKey: string;
  rights: MqttRights;
}

/** the read-only andon server on the edge (edge/andon): reads every machine topic */
export const andonProgram = 'andon';
const passwordKeyOf = (program: string) => `MQTT_PASSWORD_${program.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * Every MQTT user of the edge broker and its rights, from the plant model: a machine pod publishes
 * only on its own machine's topics (retained only its pod status, as the contract does) and reads
 * nothing; the data publisher (the durable session) and the andon server read every machine topic
 * and publish nothing. Nobody else may connect.
 */
export function mqttUsers(plant: Plant): MqttUser[] {
  const plantId = plant.plant.id;
  const pods = plant.machines.map((m): MqttUser => {
    const machine = { plantId, areaId: m.area, machineId: m.id };
    const program = podName(m.id);
    return { username: program, program, passwordKey: passwordKeyOf(program), rights: { publish: [machineFilter(machine)], retain: [machineTopic({ ...machine, kind: 'pod' })], subscribe: [] } };
  });
  const reader = (program: string, username: string): MqttUser => ({ username, program, passwordKey: passwordKeyOf(program), rights: { publish: [], retain: [], subscribe: [plantFilter(plantId)] } });
  return [...pods, reader('publisher', publisherClientId(edgeIdOf(plant))), reader(andonProgram, andonProgram)];
}

/** Env of a program that connects to the edge broker as its MQTT user (URL and user name; the password from the Secret). */
export function mqttClientEnv(plant: Plant, program: string, url: string): Pick<Program, 'env' | 'secretEnv'> {
  const user = mqttUsers(plant).find((u) => u.program === program);
  if (!user) throw new Error(`${program} has no MQTT user`);
  return { env: { MQTT_URL: url, MQTT_USERNAME: user.username }, secretEnv: { MQTT_PASSWORD: user.passwordKey } };
}

/** Secret keys the deployment needs; generated locally, provided as a Kubernetes Secret on site. */
export function secretKeys(plant: Plant): string[] {
  const sql = plant.machines.flatMap((m) => (m.interface.type === 'sql' ? [m.interface.passwordEnv] : []));
  return [
    'POD_API_TOKEN', 'JM_API_TOKEN', 'ERP_USER', 'ERP_PASSWORD', 'EDGE_TOKEN', 'EDGE_CREDENTIALS', 'SIM_CONTROL_TOKEN', 'METRICS_TOKEN', 'MQTT_CREDENTIALS',
    'ANDON_DEVICE_TOKEN', 'ANDON_DEVICE_CREDENTIALS',
    ...mqttUsers(plant).map((u) => u.passwordKey),
    ...new Set(sql),
  ];
}

/**
 * The secrets made from others: what the cloud and the broker hold instead of a token or password
 * (scrypt hashes). Locally recomputed at every start; on site, made with the others
 * (`npm run edge:secrets`).
 */
export async function derivedSecrets(plant: Plant, s: Record<string, string>): Promise<Record<string, string>> {
  const need = (k: string) => {
    const v = s[k];
    if (!v) throw new Error(`secret ${k} is missing`);
    return v;
  };
  const mqtt = await Promise.all(mqttUsers(plant).map(async (u) => [u.username, await hashSecret(need(u.passwordKey))] as const));
  return {
    EDGE_CREDENTIALS: JSON.stringify({ [edgeIdOf(plant)]: await hashSecret(need('EDGE_TOKEN')) }),
    MQTT_CREDENTIALS: JSON.stringify(Object.fromEntries(mqtt)),
    // the edge andon's own screen (more: add their hashes to the Secret's ANDON_DEVICE_CREDENTIALS)
    ANDON_DEVICE_CREDENTIALS: JSON.stringify({ 'andon-edge': await hashSecret(need('ANDON_DEVICE_TOKEN')) }),
  };
}

/** Secret keys whose values derivedSecrets makes (the others are random, or the site's own) */
export const derivedSecretKeys = ['EDGE_CREDENTIALS', 'MQTT_CREDENTIALS', 'ANDON_DEVICE_CREDENTIALS'];

/** A simulated plant's clock as the pods are told it (POD_CLOCK_ORIGIN): plant time at a wall time. */
export const clockOrigin = (plantMs: number, wallMs: number) => `${new Date(plantMs).toISOString()} at ${new Date(wallMs).toISOString()}`;

export function derivePlantDeployment(plant: Plant, o: DeploymentOptions): Program[] {
  const a = o.addressing;
  const url = (p: string) => `http://${a.host(p)}:${a.port(p, 'http')}`;
  // every program binds BIND_HOST and guards its /metrics with METRICS_TOKEN
  const base = { ...o.common, BIND_HOST: o.bindHost ?? '127.0.0.1' };
  const baseSecrets = { METRICS_TOKEN: 'METRICS_TOKEN' };
  const files: Record<string, string> = { PLANT_FILE: o.plantFile, ...(o.siteFile ? { SITE_FILE: o.siteFile } : {}), ...base };
  const mqttUrl = `mqtt://${a.host('broker')}:${a.port('broker', 'mqtt')}`;
  // faster than real time, the plant's clock starts now unless told otherwise, and the pods know it
  const simStart = o.simStart ?? (o.simulate && o.speed !== 1 ? Date.now() : undefined);
  // the simulators and the pods share one anchor: plant time simStart at this wall time
  const simWall = Date.now();
  const podClock: Record<string, string> = simStart !== undefined ? { POD_CLOCK_ORIGIN: clockOrigin(simStart, simWall) } : {};
  const edgeId = edgeIdOf(plant);
  // the publisher's MQTT session exists in the broker from its start: what pods publish before the
  // publisher (re)connects, at first start or after a broker restart, waits for it
  const publisherSession = { [publisherClientId(edgeId)]: [plantFilter(plant.plant.id)] };
  const sqlSecrets = Object.fromEntries(plant.machines.flatMap((m) => (m.interface.type === 'sql' ? [[m.interface.passwordEnv, m.interface.passwordEnv]] : [])));
  const programs: Program[] = [];

  if (o.simulate) {
    programs.push({
      name: 'simulators',
      role: 'simulators',
      dir: 'simulators/machine-sim',
      env: { ...files, SIM_SEED: String(o.seed), SIM_SPEED: String(o.speed), SIM_CONTROL_PORT: String(a.port('simulators', 'http')), ...(simStart !== undefined ? { SIM_START: new Date(simStart).toISOString(), SIM_START_WALL: new Date(simWall).toISOString() } : {}) },
      secretEnv: { ...baseSecrets, ...sqlSecrets, SIM_CONTROL_TOKEN: 'SIM_CONTROL_TOKEN' },
      httpPort: a.port('simulators', 'http'),
      tier: 'sim',
      after: [],
    });
    programs.push({
      name: 'erp-sim',
      role: 'erp-sim',
      dir: 'simulators/erp-sim',
      env: { ...files, ERP_PORT: String(a.port('erp-sim', 'http')), ERP_SEED: String(o.seed), ERP_SPEED: String(o.speed), ERP_DATA_DIR: a.dataDir('erp-sim') },
      secretEnv: { ...baseSecrets, ERP_USER: 'ERP_USER', ERP_PASSWORD: 'ERP_PASSWORD' },
      httpPort: a.port('erp-sim', 'http'),
      tier: 'sim',
      after: [],
    });
  }

  programs.push({
    name: 'broker',
    role: 'broker',
    dir: 'edge/broker',
    env: {
      ...base,
      MQTT_PORT: String(a.port('broker', 'mqtt')),
      BROKER_HEALTH_PORT: String(a.port('broker', 'http')),
      MQTT_DURABLE_SESSIONS: JSON.stringify(publisherSession),
      MQTT_ACL: JSON.stringify(Object.fromEntries(mqttUsers(plant).map((u) => [u.username, u.rights]))),
      MQTT_MAX_PACKET_BYTES: String(maxMqttPacketBytes),
      ...podMallocEnv,
    },
    nodeArgs: edgeServiceNodeArgs,
    secretEnv: { ...baseSecrets, MQTT_CREDENTIALS: 'MQTT_CREDENTIALS' },
    httpPort: a.port('broker', 'http'),
    tier: 'edge',
    after: [],
  });

  // the andon screens' server at the edge (edge/andon): reads the broker, serves the twin's andon route
  const andonMqtt = mqttClientEnv(plant, andonProgram, mqttUrl);
  programs.push({
    name: andonProgram,
    role: 'andon',
    dir: 'edge/andon',
    // as the pods: it serves a few screens (85 -> 62 MB; it runs no WebAssembly, so lite mode is fine)
    nodeArgs: podNodeArgs,
    env: { ...files, ANDON_PORT: String(a.port(andonProgram, 'http')), ...andonMqtt.env, ...podMallocEnv },
    secretEnv: { ...baseSecrets, ...andonMqtt.secretEnv, ANDON_DEVICE_CREDENTIALS: 'ANDON_DEVICE_CREDENTIALS' },
    httpPort: a.port(andonProgram, 'http'),
    tier: 'edge',
    after: ['broker'],
  });

  for (const m of plant.machines) {
    const name = podName(m.id);
    const mqtt = mqttClientEnv(plant, name, mqttUrl);
    programs.push({
      name,
      role: 'machine-pod',
      dir: 'edge/machine-pod',
      entry: podEntry,
      nodeArgs: podNodeArgs,
      env: { ...files, MACHINE_ID: m.id, POD_PORT: String(a.port(name, 'http')), ...mqtt.env, STATE_DIR: a.dataDir(name), ...podMallocEnv, ...(o.simulate && o.speed !== 1 ? { POD_TIME_SCALE: String(o.speed) } : {}), ...podClock },
      secretEnv: { ...baseSecrets, ...mqtt.secretEnv, POD_API_TOKEN: 'POD_API_TOKEN', ...(m.interface.type === 'sql' ? { [m.interface.passwordEnv]: m.interface.passwordEnv } : {}) },
      httpPort: a.port(name, 'http'),
      preferredNode: m.preferredNode,
      tier: 'edge',
      after: ['broker', ...(o.simulate ? ['simulators'] : [])],
    });
  }

  programs.push({
    name: 'job-manager',
    role: 'job-manager',
    dir: 'edge/job-manager',
    nodeArgs: jobManagerNodeArgs,
    env: {
      ...files,
      ...podMallocEnv,
      JM_PORT: String(a.port('job-manager', 'http')),
      JM_DATA_DIR: a.dataDir('job-manager'),
      ERP_URL: url('erp-sim'),
      POD_URLS: JSON.stringify(Object.fromEntries(plant.machines.map((m) => [m.id, url(podName(m.id))]))),
      // the jobs mirror and command channel: outbound to the cloud, as the publisher
      CLOUD_URL: `${o.tls ? 'https' : 'http'}://${a.host('cloud')}:${a.port('cloud', 'http')}`,
      EDGE_ID: edgeId,
      ...(o.tls ? { CLOUD_CA_FILE: o.tls.caFile } : {}),
    },
    secretEnv: { ...baseSecrets, JM_API_TOKEN: 'JM_API_TOKEN', POD_API_TOKEN: 'POD_API_TOKEN', ERP_USER: 'ERP_USER', ERP_PASSWORD: 'ERP_PASSWORD', EDGE_TOKEN: 'EDGE_TOKEN' },
    httpPort: a.port('job-manager', 'http'),
    tier: 'edge',
    after: o.simulate ? ['erp-sim'] : [],
  });

  const cloudScheme = o.tls ? 'https' : 'http';
  programs.push({
    name: 'cloud',
    role: 'cloud',
    dir: 'cloud',
    env: {
      ...files,
      CLOUD_PORT: String(a.port('cloud', 'http')),
      CLOUD_DATA_DIR: a.dataDir('cloud'),
      ...(o.tls ? { CLOUD_TLS_CERT_FILE: o.tls.certFile, CLOUD_TLS_KEY_FILE: o.tls.keyFile } : {}),
      CLOUD_ADMIN_PASSWORD_FILE: `${a.dataDir('cloud')}/initial-admin-password`,
      // a simulated clock that starts elsewhere or runs fast stamps messages outside the real-time window the cloud accepts
      ...(o.simulate && (o.speed !== 1 || o.simStart !== undefined) ? { CLOUD_ACCEPT_PAST_DAYS: '3650', CLOUD_ACCEPT_FUTURE_S: String(3650 * 86_400) } : {}),
    },
    secretEnv: { ...baseSecrets, EDGE_CREDENTIALS: 'EDGE_CREDENTIALS' },
    httpPort: a.port('cloud', 'http'),
    https: !!o.tls,
    tier: 'cloud',
    after: [],
  });

  const publisherMqtt = mqttClientEnv(plant, 'publisher', mqttUrl);
  programs.push({
    name: 'publisher',
    role: 'publisher',
    dir: 'edge/publisher',
    env: {
      ...files,
      ...publisherMqtt.env,
      CLOUD_URL: `${cloudScheme}://${a.host('cloud')}:${a.port('cloud', 'http')}`,
      EDGE_ID: edgeId,
      BUFFER_DIR: a.dataDir('publisher'),
      PUB_PORT: String(a.port('publisher', 'http')),
      ...(o.tls ? { CLOUD_CA_FILE: o.tls.caFile } : {}),
      ...podMallocEnv,
    },
    nodeArgs: edgeServiceNodeArgs,
    secretEnv: { ...baseSecrets, ...publisherMqtt.secretEnv, EDGE_TOKEN: 'EDGE_TOKEN' },
    httpPort: a.port('publisher', 'http'),
    tier: 'edge',
    after: ['broker'],
  });
  return programs;
}
