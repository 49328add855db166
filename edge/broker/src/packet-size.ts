import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Follows MQTT packet boundaries in a byte stream by their fixed headers (type byte, remaining
 * length as 1-4 varint bytes), so a packet's size is known from its first bytes. aedes has no limit
 * of its own and would buffer a 20 MB PUBLISH whole before anyone could look at it.
 */
export class PacketSizeScanner {
  /** bytes of the current packet's body still to come */
  private left = 0;
  private inLength = false;
  private length = 0;
  private lengthBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The size of the first packet in `chunk` larger than the bound (Infinity: a malformed length), or 0. */
  scan(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        continue;
      }
      const b = chunk[i++]!;
      if (!this.inLength) {
        this.inLength = true;
        this.length = 0;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (b & 0x7f) * 128 ** this.lengthBytes++;
      if (b & 0x80) {
        if (this.lengthBytes === 4) return Number.POSITIVE_INFINITY;
        continue;
      }
      this.inLength = false;
      const size = 1 + this.lengthBytes + this.length;
      if (size > this.maxBytes) return size;
      this.left = this.length;
    }
    return 0;
  }
}

/**
 * The client's socket as aedes sees it: the same bytes both ways, but a packet above `maxBytes` ends
 * the connection as soon as its header arrives, before its body is read into memory.
 */
export class PacketSizeGuard extends Duplex {
  private readonly scanner: PacketSizeScanner;

  constructor(
    private readonly socket: Socket,
    maxBytes: number,
    onRefused: (size: number) => void,
  ) {
    super();
    this.scanner = new PacketSizeScanner(maxBytes);
    socket.pause();
    socket.on('data', (chunk: Buffer) => {
      const tooLarge = this.scanner.scan(chunk);
      if (tooLarge) {
        onRefused(tooLarge);
        this.destroy();
        return;
      }
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
