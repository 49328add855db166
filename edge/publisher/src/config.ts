import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { loadPlant } from '@plant-twin/plant-model';
import { bindHostFromEnv, portFromEnv, readEnv, requireSecret } from '@plant-twin/runtime';
import { checkCloudUrl } from './cloud-client.js';
import type { PublisherConfig } from './publisher.js';

const envSchema = z.object({
  MQTT_URL: z.string().url().default('mqtt://127.0.0.1:1883'),
  /** the broker's user name for the publisher (its password: MQTT_PASSWORD) */
  MQTT_USERNAME: z.string().min(1).max(64).optional(),
  BIND_HOST: bindHostFromEnv,
  PLANT_FILE: z.string().min(1).optional(),
  SITE_FILE: z.string().min(1).optional(),
  CLOUD_URL: z
    .string()
    .url()
    .refine((u) => {
      try {
        checkCloudUrl(u);
        return true;
      } catch {
        return false;
      }
    }, 'must be https (http only for localhost)'),
  EDGE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-" (max 63)'),
  CLOUD_CA_FILE: z.string().min(1).optional(),
  BUFFER_DIR: z.string().min(1),
  BUFFER_MAX_MB: z.coerce.number().positive().default(1024),
  BUFFER_ALARM_PCT: z.coerce.number().min(1).max(100).default(80),
  PUB_PORT: portFromEnv.default(12200),
  COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(10),
  BATCH_MAX_MESSAGES: z.coerce.number().int().min(1).max(10_000).default(5_000),
  BATCH_MAX_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  BATCH_LINGER_MS: z.coerce.number().int().min(0).default(20),
  MQTT_CLIENT_ID: z.string().min(1).max(64).optional(),
  MQTT_CA_FILE: z.string().min(1).optional(),
  CLOUD_RETRY_MAX_MS: z.coerce.number().int().min(100).default(10_000),
});

/** The publisher's configuration from environment variables and the mounted plant/site files. */
export function publisherConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PublisherConfig {
  const e = readEnv(envSchema, env);
  const plant = loadPlant(e.PLANT_FILE, e.SITE_FILE);
  return {
    mqttUrl: e.MQTT_URL,
    ...(e.MQTT_USERNAME !== undefined ? { mqttUsername: e.MQTT_USERNAME, mqttPassword: requireSecret('MQTT_PASSWORD', env) } : {}),
    plantId: plant.plant.id,
    machineIds: plant.machines.map((m) => m.id),
    cloudUrl: e.CLOUD_URL,
    edgeId: e.EDGE_ID,
    edgeToken: requireSecret('EDGE_TOKEN', env),
    cloudCa: e.CLOUD_CA_FILE ? readFileSync(e.CLOUD_CA_FILE) : undefined,
    bufferDir: e.BUFFER_DIR,
    bufferMaxBytes: Math.round(e.BUFFER_MAX_MB * 1024 * 1024),
    bufferAlarmRatio: e.BUFFER_ALARM_PCT / 100,
    port: e.PUB_PORT,
    host: e.BIND_HOST,
    clientId: e.MQTT_CLIENT_ID,
    mqttCa: e.MQTT_CA_FILE ? readFileSync(e.MQTT_CA_FILE) : undefined,
    commitIntervalMs: e.COMMIT_INTERVAL_MS,
    batchMaxMessages: e.BATCH_MAX_MESSAGES,
    batchMaxBytes: e.BATCH_MAX_BYTES,
    batchLingerMs: e.BATCH_LINGER_MS,
    backoffMaxMs: e.CLOUD_RETRY_MAX_MS,
  };
}
