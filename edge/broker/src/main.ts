import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { bindHostFromEnv, createLightService, createLogger, jsonFromEnv, onShutdown, portFromEnv, readEnv } from '@plant-twin/runtime';
import { Gauge } from 'prom-client';
import { brokerAclSchema } from './acl.js';
import { startEdgeBroker } from './broker.js';

const env = readEnv(
  z
    .object({
      /** plain MQTT listener; unset with MQTT_TLS_PORT set: TLS only */
      MQTT_PORT: portFromEnv.optional(),
      BIND_HOST: bindHostFromEnv,
      MQTT_TLS_PORT: portFromEnv.optional(),
      MQTT_TLS_CERT_FILE: z.string().min(1).optional(),
      MQTT_TLS_KEY_FILE: z.string().min(1).optional(),
      /** user name -> { publish, retain, subscribe } topic filters (the deployment derives it) */
      MQTT_ACL: jsonFromEnv(brokerAclSchema, '{"<user>": {"publish": [...], "retain": [...], "subscribe": [...]}}'),
      /** secret: user name -> scrypt hash of its password */
      MQTT_CREDENTIALS: jsonFromEnv(z.record(z.string().min(1), z.string().startsWith('scrypt$', 'must be a scrypt hash (hashSecret)')), '{"<user>": "scrypt$..."}'),
      /** largest MQTT packet accepted (the contract's maxMqttPacketBytes) */
      MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024),
      BROKER_HEALTH_PORT: portFromEnv.optional(),
      /** JSON {"<client id>": ["<topic filter>", ...]}: persistent sessions held from the start (the data publisher's) */
      MQTT_DURABLE_SESSIONS: jsonFromEnv(z.record(z.string().min(1), z.array(z.string().min(1)).min(1)), '{"<client id>": ["<topic filter>", ...]}').default({}),
    })
    .refine((e) => (e.MQTT_TLS_PORT === undefined) === (e.MQTT_TLS_CERT_FILE === undefined) && (e.MQTT_TLS_PORT === undefined) === (e.MQTT_TLS_KEY_FILE === undefined), {
      message: 'MQTT_TLS_PORT, MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE: set all three or none',
    }),
);
const log = createLogger('edge-broker');
const atExit = onShutdown(log);
const broker = await startEdgeBroker({
  port: env.MQTT_PORT ?? (env.MQTT_TLS_PORT === undefined ? 1883 : undefined),
  host: env.BIND_HOST,
  ...(env.MQTT_TLS_PORT !== undefined ? { tls: { port: env.MQTT_TLS_PORT, cert: readFileSync(env.MQTT_TLS_CERT_FILE!, 'utf8'), key: readFileSync(env.MQTT_TLS_KEY_FILE!, 'utf8') } } : {}),
  auth: { credentials: env.MQTT_CREDENTIALS, acl: env.MQTT_ACL },
  maxPacketBytes: env.MQTT_MAX_PACKET_BYTES,
  log,
  durableSessions: Object.entries(env.MQTT_DURABLE_SESSIONS).map(([clientId, topics]) => ({ clientId, topics })),
});
atExit(() => broker.close());
if (env.BROKER_HEALTH_PORT !== undefined) {
  // probes and metrics only: node:http, not express
  const service = createLightService({ log, ready: () => true });
  new Gauge({ name: 'mqtt_connected_clients', help: 'MQTT clients connected to the edge broker', registers: [service.registry], collect() { this.set(broker.clients()); } });
  const server = await service.listen(env.BROKER_HEALTH_PORT, env.BIND_HOST);
  atExit(() => new Promise<void>((r) => server.close(() => r())));
}
log.info({ port: broker.port, tlsPort: broker.tlsPort, host: env.BIND_HOST, users: Object.keys(env.MQTT_ACL).length }, 'edge broker listening');
