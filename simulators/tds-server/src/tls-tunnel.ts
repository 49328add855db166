/**
 * Server-side TLS for TDS. In TDS 7.x the handshake travels inside PRELOGIN packets (one
 * PRELOGIN message per handshake flight, in each direction); once it is done, TLS records go
 * on the TCP stream as they are. In TDS 8.0 ("strict") TLS comes first, with no wrapping.
 */
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { PacketType, ProtocolError } from './wire.js';

const TLS_CHANGE_CIPHER_SPEC = 20;
const TLS_ALERT = 21;
const TLS_HANDSHAKE = 22;
const TLS_APPLICATION = 23;

export class TlsTunnel {
  readonly socket: tls.TLSSocket;
  private readonly transport: Duplex;
  private wrappedIn: boolean;
  private wrappedOut: boolean;
  private inBuf: Buffer = Buffer.alloc(0);
  private flight: Buffer[] = [];
  private sawCcs = false;
  private detached = false;
  private flightTimer: NodeJS.Timeout | undefined;

  constructor(
    context: tls.SecureContext,
    strict: boolean,
    /** writes bytes to the TCP socket */
    private readonly rawWrite: (b: Buffer) => void,
    /** sends a whole TDS message (handshake flights wrapped as PRELOGIN) */
    private readonly sendMessage: (type: number, payload: Buffer) => void,
  ) {
    this.wrappedIn = !strict;
    this.wrappedOut = !strict;
    this.transport = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        this.outgoing(chunk);
        cb();
      },
      final: (cb) => cb(),
    });
    this.socket = new tls.TLSSocket(this.transport as unknown as import('node:net').Socket, {
      isServer: true,
      secureContext: context,
      ...(strict ? { ALPNProtocols: ['tds/8.0'] } : {}),
    });
  }

  /** bytes from the TCP socket */
  input(data: Buffer): void {
    if (this.detached) return;
    if (!this.wrappedIn) {
      this.transport.push(data);
      return;
    }
    this.inBuf = this.inBuf.length ? Buffer.concat([this.inBuf, data]) : data;
    while (this.inBuf.length > 0) {
      const first = this.inBuf[0]!;
      if (first >= TLS_CHANGE_CIPHER_SPEC && first <= TLS_APPLICATION) {
        // the client finished the handshake and now sends bare TLS records
        this.wrappedIn = false;
        const rest = this.inBuf;
        this.inBuf = Buffer.alloc(0);
        this.transport.push(rest);
        return;
      }
      if (first !== PacketType.PreLogin) throw new ProtocolError(`packet type ${first} during the TLS handshake`);
      if (this.inBuf.length < 8) return;
      const length = this.inBuf.readUInt16BE(2);
      if (length < 8) throw new ProtocolError(`bad packet length ${length}`);
      if (this.inBuf.length < length) return;
      const payload = this.inBuf.subarray(8, length);
      this.inBuf = this.inBuf.subarray(length);
      if (payload.length) this.transport.push(Buffer.from(payload));
    }
  }

  private outgoing(chunk: Buffer): void {
    if (this.detached) return;
    if (!this.wrappedOut) {
      this.rawWrite(chunk);
      return;
    }
    this.flight.push(chunk);
    const all = Buffer.concat(this.flight);
    // a flight ends with ServerHelloDone, with the (encrypted) Finished after ChangeCipherSpec, or with an alert
    let at = 0;
    let complete = false;
    let finished = false;
    while (at + 5 <= all.length) {
      const type = all[at]!;
      const len = all.readUInt16BE(at + 3);
      if (at + 5 + len > all.length) break;
      if (type === TLS_CHANGE_CIPHER_SPEC) this.sawCcs = true;
      else if (type === TLS_HANDSHAKE && this.sawCcs) complete = finished = true;
      else if (type === TLS_ALERT) complete = true;
      at += 5 + len;
      if (at === all.length && type === TLS_HANDSHAKE && all.readUInt32BE(at - 4) === 0x0e000000) complete = true;
    }
    clearTimeout(this.flightTimer);
    if (complete && at === all.length) {
      this.flushFlight();
      if (finished) this.wrappedOut = false;
    } else {
      // anything unforeseen still reaches the client instead of stalling the handshake
      this.flightTimer = setTimeout(() => this.flushFlight(), 200);
    }
  }

  private flushFlight(): void {
    clearTimeout(this.flightTimer);
    if (this.flight.length === 0 || this.detached) return;
    const payload = Buffer.concat(this.flight);
    this.flight = [];
    this.sendMessage(PacketType.PreLogin, payload);
  }

  /** Login-only encryption (ENCRYPT_OFF): after LOGIN7 both sides continue in clear. */
  detach(): void {
    this.detached = true;
    clearTimeout(this.flightTimer);
    this.socket.destroy();
  }

  get active(): boolean {
    return !this.detached;
  }

  destroy(): void {
    this.detach();
    this.transport.destroy();
  }
}
