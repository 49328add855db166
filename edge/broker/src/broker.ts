import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '@plant-twin/runtime';

export interface EdgeBroker {
  port: number;
  aedes: Aedes;
  /** connected MQTT clients */
  clients(): number;
  /** QoS 1 messages queued for a durable session and not yet acknowledged by its client */
  queued(clientId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A persistent session the broker holds from its start, before (and whether or not) its client has
 * ever connected: client id and topic filters, subscribed with QoS 1.
 */
export interface DurableSession {
  clientId: string;
  topics: string[];
}

export interface EdgeBrokerOptions {
  port: number;
  host?: string;
  log?: Logger;
  /**
   * Sessions that exist from the broker's start (the data publisher's): messages published before
   * its client (re)connects, e.g. right after a broker restart or when the pods start first, are
   * queued for it instead of going to no one.
   */
  durableSessions?: DurableSession[];
  /** on close, how long the durable sessions' connected clients get to acknowledge what is queued for them */
  drainMs?: number;
}

/**
 * The embedded edge broker: aedes over TCP, MQTT 3.1.1. It keeps sessions and QoS 1 messages in
 * memory only. So that a restart loses nothing: the durable sessions exist from the start, and
 * close() first stops taking messages (no new connections; other clients, the pods, are
 * disconnected and keep their unacknowledged messages in their outboxes), then lets the durable
 * sessions' clients take what is queued for them, and only then shuts down. A broker that crashes
 * (SIGKILL, power loss) still loses what it had acknowledged but not yet delivered; Mosquitto with
 * persistence is the broker for a site.
 */
export async function startEdgeBroker(opts: EdgeBrokerOptions): Promise<EdgeBroker> {
  const aedes = await Aedes.createBroker();
  // what aedes's typings leave out: its persistence and its table of connected clients
  const inner = aedes as unknown as {
    persistence: { addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>; outgoingStream(client: { id: string }): AsyncIterable<unknown> };
    clients: Record<string, { connected: boolean; close(): void }>;
  };
  const durable = opts.durableSessions ?? [];
  for (const s of durable) await inner.persistence.addSubscriptions({ id: s.clientId }, s.topics.map((topic) => ({ topic, qos: 1 })));
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
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const queued = async (clientId: string) => {
    let n = 0;
    for await (const _ of inner.persistence.outgoingStream({ id: clientId })) n++;
    return n;
  };
  const durableIds = new Set(durable.map((s) => s.clientId));
  let closing: Promise<void> | undefined;
  const close = async () => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const [id, client] of Object.entries(inner.clients)) if (!durableIds.has(id)) client.close();
    const deadline = Date.now() + (opts.drainMs ?? 5_000);
    for (;;) {
      const online = [...durableIds].filter((id) => inner.clients[id]?.connected);
      const left = (await Promise.all(online.map(queued))).reduce((a, b) => a + b, 0);
      if (left === 0) break;
      if (Date.now() > deadline) {
        opts.log?.warn({ messages: left }, 'broker stops with messages its durable sessions have not acknowledged');
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const s of sockets) s.destroy();
    await closed;
    await new Promise<void>((r) => aedes.close(() => r()));
  };
  return {
    port: (server.address() as AddressInfo).port,
    aedes,
    clients: () => aedes.connectedClients,
    queued,
    close: () => (closing ??= close()),
  };
}
