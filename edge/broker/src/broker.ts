import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '@plant-twin/runtime';

export interface EdgeBroker {
  port: number;
  aedes: Aedes;
  /** connected MQTT clients */
  clients(): number;
  close(): Promise<void>;
}

/**
 * The embedded edge broker: aedes over TCP, MQTT 3.1.1. It keeps sessions and QoS 1 messages in
 * memory only, so a restart loses what subscribers had not yet taken; the data publisher
 * acknowledges only what it has on disk, and Mosquitto (with persistence) is the broker for a site.
 */
export async function startEdgeBroker(opts: { port: number; host?: string; log?: Logger }): Promise<EdgeBroker> {
  const aedes = await Aedes.createBroker();
  if (opts.log) {
    const log = opts.log;
    aedes.on('clientError', (client, err) => log.warn({ client: client.id, err: err.message }, 'mqtt client error'));
    aedes.on('client', (client) => log.debug({ client: client.id }, 'mqtt client connected'));
  }
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    aedes,
    clients: () => aedes.connectedClients,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
