import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP relay in front of a server, to cut the network between two parts without giving up the
 * port (another process could take a released ephemeral port): `down()` resets every connection
 * and every new one until `up()`; `retarget()` points it at a restarted server on a new port.
 */
export interface TcpProxy {
  port: number;
  down(): void;
  up(): void;
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let isDown = false;
  let targetPort = target.port;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    down: () => {
      isDown = true;
      dropAll();
    },
    up: () => {
      isDown = false;
    },
    retarget: (port) => {
      targetPort = port;
      dropAll();
    },
    close: async () => {
      dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
