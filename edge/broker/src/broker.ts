import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';
import type { Logger } from '@plant-twin/runtime';
import { installAuth, type BrokerAuth } from './auth.js';
import { PacketSizeGuard } from './packet-size.js';

export interface EdgeBroker {
  /** port of the plain listener (undefined: TLS only) */
  port: number | undefined;
  /** port of the TLS listener, if any */
  tlsPort: number | undefined;
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
  /** plain MQTT listener (undefined: none, TLS only) */
  port?: number;
  /** address both listeners bind (default 127.0.0.1) */
  host?: string;
  /** an MQTT over TLS listener as well (MQTT 3.1.1 on TLS 1.2+) */
  tls?: { port: number; cert: string; key: string };
  /**
   * Who may connect and do what. 'anonymous' (tests only) lets any client do anything; main.ts
   * always gives credentials and rights.
   */
  auth: BrokerAuth | 'anonymous';
  /** a larger packet ends the client's connection before it is read (contracts: maxMqttPacketBytes) */
  maxPacketBytes: number;
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
 *
 * Every connection passes a packet size guard, and unless `auth` is 'anonymous' (tests) every client
 * is authenticated and authorised by topic (auth.ts).
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
  if (opts.auth !== 'anonymous') await installAuth(aedes, opts.auth, opts.log);
  if (opts.log) {
    const log = opts.log;
    aedes.on('clientError', (client, err) => log.warn({ client: client.id, err: err.message }, 'mqtt client error'));
    aedes.on('client', (client) => log.debug({ client: client.id }, 'mqtt client connected'));
  }
  if (opts.port === undefined && !opts.tls) throw new Error('the edge broker needs a plain or a TLS listener');
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // the guard writes each packet as its own chunk: without this, Nagle holds small PUBACKs back
    socket.setNoDelay(true);
    const guarded = new PacketSizeGuard(socket, opts.maxPacketBytes, (size) =>
      opts.log?.warn({ address: socket.remoteAddress, size, max: opts.maxPacketBytes }, 'mqtt packet too large: connection closed'),
    );
    aedes.handle(guarded);
  };
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host ?? '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const servers: Server[] = [];
  let port: number | undefined;
  let tlsPort: number | undefined;
  if (opts.port !== undefined) {
    const server = createServer(accept);
    servers.push(server);
    port = await listen(server, opts.port);
  }
  if (opts.tls) {
    const server = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, accept);
    server.on('tlsClientError', (err, socket) => opts.log?.warn({ address: socket.remoteAddress, err: err.message }, 'mqtt TLS handshake failed'));
    servers.push(server);
    tlsPort = await listen(server, opts.tls.port);
  }
  const queued = async (clientId: string) => {
    let n = 0;
    for await (const _ of inner.persistence.outgoingStream({ id: clientId })) n++;
    return n;
  };
  const durableIds = new Set(durable.map((s) => s.clientId));
  let closing: Promise<void> | undefined;
  const close = async () => {
    const closed = Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
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
    port,
    tlsPort,
    aedes,
    clients: () => aedes.connectedClients,
    queued,
    close: () => (closing ??= close()),
  };
}
