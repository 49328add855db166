import * as z from 'zod';
import { createLogger, createServiceApp, listen, onShutdown, portFromEnv, readEnv } from '@plant-twin/runtime';
import { Gauge } from 'prom-client';
import { startEdgeBroker } from './broker.js';

const env = readEnv(
  z.object({
    MQTT_PORT: portFromEnv.default(1883),
    MQTT_HOST: z.string().default('0.0.0.0'),
    BROKER_HEALTH_PORT: portFromEnv.optional(),
    /** JSON {"<client id>": ["<topic filter>", ...]}: persistent sessions held from the start (the data publisher's) */
    MQTT_DURABLE_SESSIONS: z
      .string()
      .default('{}')
      .transform((s, ctx) => {
        const parsed = z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).safeParse((() => { try { return JSON.parse(s); } catch { return null; } })());
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: 'must be JSON {"<client id>": ["<topic filter>", ...]}' });
          return z.NEVER;
        }
        return Object.entries(parsed.data).map(([clientId, topics]) => ({ clientId, topics }));
      }),
  }),
);
const log = createLogger('edge-broker');
const atExit = onShutdown(log);
const broker = await startEdgeBroker({ port: env.MQTT_PORT, host: env.MQTT_HOST, log, durableSessions: env.MQTT_DURABLE_SESSIONS });
atExit(() => broker.close());
if (env.BROKER_HEALTH_PORT !== undefined) {
  const { app, registry, finish } = createServiceApp({ log, ready: () => true });
  new Gauge({ name: 'mqtt_connected_clients', help: 'MQTT clients connected to the edge broker', registers: [registry], collect() { this.set(broker.clients()); } });
  finish();
  const server = await listen(app, env.BROKER_HEALTH_PORT);
  atExit(() => new Promise<void>((r) => server.close(() => r())));
}
log.info({ port: broker.port }, 'edge broker listening');
