import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

/** Test support: a real in-process aedes broker that can be stopped and restarted on its port. */
export class TestBroker {
  private server: Server | undefined;
  private aedes: Aedes | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** every PUBLISH the broker took in (from any client), across restarts */
  readonly received: { topic: string; payload: string; retain: boolean }[] = [];

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.aedes = await Aedes.createBroker();
    this.aedes.on('publish', (packet, client) => {
      if (client) this.received.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain });
    });
    const server = createServer(this.aedes.handle);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r, j) => {
      server.once('error', j);
      server.listen(this.port, '127.0.0.1', () => r());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.aedes ? this.aedes.close(() => r()) : r()));
    this.server = undefined;
    this.aedes = undefined;
  }
}
