import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { defaultPlantFile, loadPlant, pollClassPeriodMs } from '@plant-twin/plant-model';
import { bindHostFromEnv, createLogger, onShutdown, portFromEnv, readEnv, requireSecret } from '@plant-twin/runtime';
import { defaultMaxAgeH, defaultMaxSkewS, startMachinePod } from './pod.js';
import { defaultQueueBytes } from './publisher.js';

const env = readEnv(
  z.object({
    MACHINE_ID: z.string().regex(/^[A-Z]{2,4}-\d{2}$/, 'must be a machine id like PRS-01'),
    PLANT_FILE: z.string().min(1).default(defaultPlantFile),
    SITE_FILE: z.string().min(1).optional(),
    POD_PORT: portFromEnv.default(8080),
    BIND_HOST: bindHostFromEnv,
    MQTT_URL: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL').default('mqtt://127.0.0.1:11883'),
    /** the broker's user name for this pod (its password: MQTT_PASSWORD) */
    MQTT_USERNAME: z.string().min(1).max(64).optional(),
    POD_API_TOKEN: z.string().min(16, 'secret not set or shorter than 16 characters (mount it from a Kubernetes Secret or export it)'),
    STATE_DIR: z.string().min(1),
    POD_REFRESH_S: z.coerce.number().positive().default(60),
    /** outbox bound, MB of queued message text */
    POD_QUEUE_MAX_MB: z.coerce.number().positive().max(1024).default(defaultQueueBytes / 1e6),
    /** plant id in topics, when it must differ from the plant model's (tests, staging) */
    POD_TOPIC_PLANT: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/).optional(),
    /**
     * plant seconds per wall-clock second (a simulated plant runs faster than real time): the pod
     * polls and judges silence in plant time, as it would on the real machine
     */
    POD_TIME_SCALE: z.coerce.number().min(1).max(10_000).default(1),
    /** how far (wall seconds) the machine's clock may be from the pod's before the pod stamps with its own */
    POD_CLOCK_MAX_SKEW_S: z.coerce.number().positive().default(defaultMaxSkewS),
    /** how far back (wall hours) SQL rows and result files may be stamped */
    POD_CLOCK_MAX_AGE_H: z.coerce.number().positive().default(defaultMaxAgeH),
    /** a simulated plant's clock, "<plant time ISO> at <wall time ISO>" (the deployment sets it) */
    POD_CLOCK_ORIGIN: z
      .string()
      .regex(/^\S+ at \S+$/, 'must be "<plant time ISO> at <wall time ISO>"')
      .transform((s, ctx) => {
        const [plantMs, wallMs] = s.split(' at ').map((t) => Date.parse(t)) as [number, number];
        if (Number.isFinite(plantMs) && Number.isFinite(wallMs)) return { plantMs, wallMs };
        ctx.addIssue({ code: 'custom', message: 'both times must be ISO 8601, e.g. 2025-06-02T06:30:00Z at 2025-06-01T10:00:00Z' });
        return z.NEVER;
      })
      .optional(),
    /** PEM file of the CA of the SQL Server's certificate (needed for encrypt: strict with a private CA) */
    POD_SQL_CA_FILE: z.string().min(1).optional(),
  }),
);

/** S7 poll periods (the poll classes' periods in plant time) and the file pod's clock, at a time scale; polls no faster than every 10 ms */
function timeScaled(scale: number) {
  if (scale === 1) return {};
  const every = (plantMs: number) => Math.max(10, Math.round(plantMs / scale));
  return { s7: { fastMs: every(pollClassPeriodMs.fast), changeMs: every(pollClassPeriodMs.change), slowMs: every(pollClassPeriodMs.slow) }, file: { timeScale: 1 / scale } };
}

const log = createLogger('machine-pod');
const plant = loadPlant(env.PLANT_FILE, env.SITE_FILE);
const pod = await startMachinePod({
  plant,
  machineId: env.MACHINE_ID,
  mqttUrl: env.MQTT_URL,
  ...(env.MQTT_USERNAME !== undefined ? { mqttUsername: env.MQTT_USERNAME, mqttPassword: requireSecret('MQTT_PASSWORD') } : {}),
  apiToken: env.POD_API_TOKEN,
  stateDir: env.STATE_DIR,
  port: env.POD_PORT,
  host: env.BIND_HOST,
  clock: { scale: env.POD_TIME_SCALE, maxSkewS: env.POD_CLOCK_MAX_SKEW_S, maxAgeH: env.POD_CLOCK_MAX_AGE_H, ...(env.POD_CLOCK_ORIGIN ? { origin: env.POD_CLOCK_ORIGIN } : {}) },
  refreshMs: env.POD_REFRESH_S * 1000,
  maxQueueBytes: env.POD_QUEUE_MAX_MB * 1e6,
  topicPlantId: env.POD_TOPIC_PLANT,
  ...timeScaled(env.POD_TIME_SCALE),
  ...(env.POD_SQL_CA_FILE ? { sql: { ca: readFileSync(env.POD_SQL_CA_FILE, 'utf8') } } : {}),
  log,
});
onShutdown(log)(() => pod.stop());
