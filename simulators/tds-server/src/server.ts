/** The TDS server: one listening socket, many connections, each isolated from the others' faults. */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { constants as cryptoConstants } from 'node:crypto';
import tls from 'node:tls';
import { createLogger, type Logger, selfSignedTls, type TlsPair } from '@plant-twin/runtime';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TdsConnection, type ServerUser } from './connection.js';
import type { SqlDatabase } from './database.js';
import type { TlsMode } from './prelogin.js';

export interface TdsServerOptions {
  host?: string;
  /** 0 = any free port (see TdsServer.port) */
  port: number;
  users: ServerUser[];
  databases: SqlDatabase[];
  /**
   * 'off': no certificate, answers ENCRYPT_NOT_SUP; 'on': encrypts when the client asks (and only the
   * login when the client says ENCRYPT_OFF), as SQL Server with a certificate; 'required': Force
   * Encryption, a client that does not encrypt cannot log in. TDS 8.0 (TLS first) works unless 'off'.
   */
  tls?: TlsMode;
  /** key and certificate (PEM); a self-signed pair for localhost/127.0.0.1 is generated when omitted */
  certificate?: TlsPair;
  /** name in ERROR/INFO tokens and @@SERVERNAME */
  serverName?: string;
  log?: Logger;
  registry?: Registry;
  loginTimeoutMs?: number;
  maxConnections?: number;
  /** largest request message accepted (bytes) */
  maxMessageBytes?: number;
}

export interface TdsServer {
  port: number;
  host: string;
  /** live connections */
  readonly connections: ReadonlySet<TdsConnection>;
  /** the certificate served (for clients that pin it) */
  certificate: TlsPair | null;
  close(): Promise<void>;
}

const metricsOf = new WeakMap<Registry, { connections: Gauge; requests: Counter; errors: Counter }>();

interface Metrics {
  opened(): void;
  closed(): void;
  request(kind: string): void;
  error(number: number): void;
}

/** prom metrics in the caller's registry (shared by all servers of a process, labelled by server name) */
function metrics(registry: Registry | undefined, server: string): Metrics {
  if (!registry) return { opened() {}, closed() {}, request() {}, error() {} };
  let m = metricsOf.get(registry);
  if (!m) {
    m = {
      connections: new Gauge({ name: 'tds_connections', help: 'open TDS client connections', labelNames: ['server'], registers: [registry] }),
      requests: new Counter({ name: 'tds_requests_total', help: 'TDS requests by kind', labelNames: ['server', 'kind'], registers: [registry] }),
      errors: new Counter({ name: 'tds_errors_total', help: 'SQL errors sent to clients, by error number', labelNames: ['server', 'number'], registers: [registry] }),
    };
    metricsOf.set(registry, m);
  }
  const { connections, requests, errors } = m;
  return {
    opened: () => connections.inc({ server }),
    closed: () => connections.dec({ server }),
    request: (kind) => requests.inc({ server, kind }),
    error: (number) => errors.inc({ server, number: String(number) }),
  };
}

export async function createTdsServer(opts: TdsServerOptions): Promise<TdsServer> {
  const mode = opts.tls ?? 'on';
  const log = opts.log ?? createLogger('tds-server');
  const serverName = opts.serverName ?? 'SIMSQL';
  const certificate = mode === 'off' ? null : (opts.certificate ?? (await selfSignedTls()));
  // TLS 1.2 at most inside PRELOGIN (as SQL Server and tedious do) and no tickets: each handshake
  // flight must be one PRELOGIN message, which post-handshake TLS 1.3 tickets would break
  const tunnelContext = certificate ? tls.createSecureContext({ ...certificate, maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2', secureOptions: cryptoConstants.SSL_OP_NO_TICKET }) : null;
  const databases = new Map(opts.databases.map((d) => [d.name.toLowerCase(), d]));
  const m = metrics(opts.registry, serverName);
  const connections = new Set<TdsConnection>();
  let nextSpid = 51;

  const server = createServer((socket: Socket) => {
    const spid = nextSpid;
    nextSpid = nextSpid >= 32000 ? 51 : nextSpid + 1;
    try {
      const conn = new TdsConnection(socket, spid, {
        users: opts.users,
        databases,
        tls: mode,
        secureContext: tunnelContext ? () => tunnelContext : null,
        serverName,
        log,
        loginTimeoutMs: opts.loginTimeoutMs ?? 30_000,
        maxMessageBytes: opts.maxMessageBytes ?? 16 * 1024 * 1024,
        metrics: { requests: m.request, errors: m.error },
      });
      connections.add(conn);
      m.opened();
      socket.on('close', () => {
        connections.delete(conn);
        m.closed();
      });
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'cannot set up connection');
      socket.destroy();
    }
  });
  server.maxConnections = opts.maxConnections ?? 256;
  server.on('error', (e) => log.error({ err: e.message }, 'tds server error'));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port, tls: mode, databases: [...databases.values()].map((d) => d.name) }, 'TDS server listening');
  return {
    port,
    host,
    connections,
    certificate,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.close();
        server.close(() => resolve());
      }),
  };
}
