import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { loadPlant, repoRoot } from '@plant-twin/plant-model';
import { bindHostFromEnv, createLogger, jsonFromEnv, onShutdown, portFromEnv, readEnv } from '@plant-twin/runtime';
import { startAndon } from './server.js';

const env = readEnv(
  z.object({
    ANDON_PORT: portFromEnv.default(12500),
    BIND_HOST: bindHostFromEnv,
    PLANT_FILE: z.string().optional(),
    SITE_FILE: z.string().optional(),
    MQTT_URL: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL'),
    MQTT_USERNAME: z.string().min(1).optional(),
    MQTT_CA_FILE: z.string().optional(),
    /** the built twin this server serves */
    ANDON_TWIN_DIR: z.string().default(join(repoRoot, 'twin/dist')),
    /** HTTPS with these files; without them plain HTTP (on 127.0.0.1, or behind the site's TLS) */
    ANDON_TLS_CERT_FILE: z.string().optional(),
    ANDON_TLS_KEY_FILE: z.string().optional(),
    ANDON_STALE_AFTER_S: z.coerce.number().positive().default(120),
    /** secret: the andon screens' device credentials, each the scrypt hash of its token */
    ANDON_DEVICE_CREDENTIALS: jsonFromEnv(z.record(z.string().min(1).max(64), z.string().startsWith('scrypt$')), '{"andon-hall-1": "scrypt$..."}'),
  }),
);
const log = createLogger('andon');
if (Boolean(env.ANDON_TLS_CERT_FILE) !== Boolean(env.ANDON_TLS_KEY_FILE)) {
  log.fatal('ANDON_TLS_CERT_FILE and ANDON_TLS_KEY_FILE: give both or neither');
  process.exit(1);
}
const password = process.env.MQTT_PASSWORD;
const andon = await startAndon({
  plant: loadPlant(env.PLANT_FILE, env.SITE_FILE),
  log,
  mqtt: { url: env.MQTT_URL, ...(env.MQTT_USERNAME ? { username: env.MQTT_USERNAME } : {}), ...(password ? { password } : {}), ...(env.MQTT_CA_FILE ? { ca: readFileSync(env.MQTT_CA_FILE, 'utf8') } : {}) },
  deviceCredentials: env.ANDON_DEVICE_CREDENTIALS,
  twinDir: env.ANDON_TWIN_DIR,
  port: env.ANDON_PORT,
  host: env.BIND_HOST,
  ...(env.ANDON_TLS_CERT_FILE && env.ANDON_TLS_KEY_FILE ? { tls: { cert: readFileSync(env.ANDON_TLS_CERT_FILE, 'utf8'), key: readFileSync(env.ANDON_TLS_KEY_FILE, 'utf8') } } : {}),
  staleAfterMs: env.ANDON_STALE_AFTER_S * 1000,
});
onShutdown(log)(() => andon.close());
