import net from 'node:net';
import { TpktFramer } from '../protocol.js';

/**
 * A loopback TCP proxy that behaves like a bad network between the edge and a PLC: it cuts what it
 * forwards into 1-7-byte pieces, merges several replies into one segment, delays segments, and can
 * drop every connection (or refuse new ones) on demand.
 */
export interface ChaosOptions {
  /** cut forwarded bytes into pieces of 1..7 bytes */
  split?: boolean;
  /** hold replies for this many ms and send what gathered as one write (merges replies) */
  mergeMs?: number;
  /** delay each forwarded piece by this many ms */
  delayMs?: number;
}

export class ChaosProxy {
  private server: net.Server;
  private pairs = new Set<[net.Socket, net.Socket]>();
  private refusing = false;
  port = 0;
  connections = 0;
  /** TPKT frames sent towards the PLC (connection setup counts 2 per connection: COTP CR and S7 setup) */
  requestFrames = 0;

  constructor(
    private readonly target: { host: string; port: number },
    public options: ChaosOptions = {},
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {});
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.target);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    const counter = new TpktFramer(65535);
    client.on('data', (chunk: Buffer) => {
      try {
        this.requestFrames += counter.push(chunk).length;
      } catch {
        // not TPKT: nothing to count
      }
    });
    this.pipe(client, upstream, false);
    this.pipe(upstream, client, true);
  }

  private pipe(from: net.Socket, to: net.Socket, isReply: boolean): void {
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    // one chain per direction keeps the byte order while pieces are delayed
    let chain = Promise.resolve();
    const send = (buf: Buffer) => {
      const pieces: Buffer[] = [];
      if (this.options.split) {
        for (let i = 0; i < buf.length; ) {
          const n = 1 + Math.floor(Math.random() * 7);
          pieces.push(buf.subarray(i, i + n));
          i += n;
        }
      } else pieces.push(buf);
      for (const p of pieces) {
        chain = chain.then(async () => {
          const d = this.options.delayMs ?? 0;
          if (d > 0) await new Promise((r) => setTimeout(r, d));
          if (!to.destroyed) to.write(p);
        });
      }
    };
    from.on('data', (chunk: Buffer) => {
      const merge = isReply ? (this.options.mergeMs ?? 0) : 0;
      if (merge <= 0) return send(chunk);
      held.push(chunk);
      timer ??= setTimeout(() => {
        timer = undefined;
        const all = Buffer.concat(held);
        held = [];
        send(all);
      }, merge);
    });
  }

  /**
   * Drops every open connection at once (as a pulled cable or a PLC reboot would); `reset` sends the
   * client a TCP RST (it sees ECONNRESET, as when a PLC or a simulator process restarts) instead of a FIN.
   */
  dropAll(o: { reset?: boolean } = {}): void {
    for (const [a, b] of this.pairs) {
      if (o.reset) a.resetAndDestroy();
      else a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  /** While refusing, new connections are closed at once (PLC unreachable). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
