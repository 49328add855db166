/** TDS packet framing (MS-TDS 2.2.3) and little byte helpers shared by the codecs. */

export const PacketType = {
  SqlBatch: 0x01,
  Rpc: 0x03,
  TabularResult: 0x04,
  Attention: 0x06,
  BulkLoad: 0x07,
  TransactionManager: 0x0e,
  Login7: 0x10,
  Sspi: 0x11,
  PreLogin: 0x12,
} as const;

const STATUS_EOM = 0x01;
const STATUS_IGNORE = 0x02;
export const HEADER_LENGTH = 8;
/** largest packet a client may negotiate (MS-TDS: 32767), plus slack for clients that round up */
export const MAX_PACKET_SIZE = 32768;

/** A peer broke the protocol: the connection is closed, the server keeps serving others. */
export class ProtocolError extends Error {}

export interface TdsMessage {
  type: number;
  payload: Buffer;
  /** status bit RESETCONNECTION of the first packet (a pooled client reusing the session) */
  resetConnection: boolean;
}

/** Reassembles packets from arbitrary TCP segments into messages (a message may span many packets). */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private size = 0;
  private type = -1;
  private reset = false;

  constructor(
    private readonly onMessage: (m: TdsMessage) => void,
    private readonly maxMessageBytes: number,
  ) {}

  /** Feeds bytes; throws ProtocolError on a malformed packet. */
  push(data: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    while (this.pending.length >= HEADER_LENGTH) {
      const length = this.pending.readUInt16BE(2);
      if (length < HEADER_LENGTH || length > MAX_PACKET_SIZE) throw new ProtocolError(`bad packet length ${length}`);
      if (this.pending.length < length) return;
      const type = this.pending[0]!;
      const status = this.pending[1]!;
      const body = this.pending.subarray(HEADER_LENGTH, length);
      this.pending = this.pending.subarray(length);
      this.packet(type, status, body);
    }
  }

  private packet(type: number, status: number, body: Buffer): void {
    if (this.type === -1) {
      this.type = type;
      this.reset = (status & 0x08) !== 0;
    } else if (type !== this.type && type !== PacketType.Attention) {
      throw new ProtocolError(`packet type ${type} inside a message of type ${this.type}`);
    }
    if (type === PacketType.Attention && this.type !== type) {
      // an attention may only follow complete requests; mid-message it is a broken client
      throw new ProtocolError('attention inside a partial message');
    }
    this.size += body.length;
    if (this.size > this.maxMessageBytes) throw new ProtocolError(`message larger than ${this.maxMessageBytes} bytes`);
    this.parts.push(Buffer.from(body));
    if ((status & STATUS_EOM) === 0) return;
    const message: TdsMessage = { type: this.type, payload: Buffer.concat(this.parts), resetConnection: this.reset };
    this.parts = [];
    this.size = 0;
    this.type = -1;
    // EOM + IGNORE: the client abandoned a partly sent request
    if ((status & STATUS_IGNORE) === 0) this.onMessage(message);
  }
}

/** Splits a message into packets of at most `packetSize` bytes. */
export function packetize(type: number, payload: Buffer, packetSize: number, spid: number): Buffer[] {
  const room = packetSize - HEADER_LENGTH;
  const packets: Buffer[] = [];
  let offset = 0;
  let id = 1;
  do {
    const chunk = payload.subarray(offset, offset + room);
    offset += chunk.length;
    const header = Buffer.alloc(HEADER_LENGTH);
    header[0] = type;
    header[1] = offset >= payload.length ? STATUS_EOM : 0;
    header.writeUInt16BE(HEADER_LENGTH + chunk.length, 2);
    header.writeUInt16BE(spid & 0xffff, 4);
    header[6] = id++ & 0xff;
    packets.push(Buffer.concat([header, chunk]));
  } while (offset < payload.length);
  return packets;
}

/** Bounds-checked reader: any read past the end is a ProtocolError. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private take(n: number): number {
    if (n < 0 || this.pos + n > this.buf.length) throw new ProtocolError('message ends too early');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }
  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }
  u16be(): number {
    return this.buf.readUInt16BE(this.take(2));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }
  i16(): number {
    return this.buf.readInt16LE(this.take(2));
  }
  i32(): number {
    return this.buf.readInt32LE(this.take(4));
  }
  i64(): bigint {
    return this.buf.readBigInt64LE(this.take(8));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.take(8));
  }
  f32(): number {
    return this.buf.readFloatLE(this.take(4));
  }
  f64(): number {
    return this.buf.readDoubleLE(this.take(8));
  }
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  /** UCS-2 string of n characters */
  ucs2(chars: number): string {
    return this.bytes(chars * 2).toString('utf16le');
  }
  bVarchar(): string {
    return this.ucs2(this.u8());
  }
  usVarchar(): string {
    return this.ucs2(this.u16());
  }
}

/** Growable little-endian writer for token streams. */
export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(v: number): this {
    const at = this.room(1);
    this.buf.writeUInt8(v & 0xff, at);
    return this;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, at);
    return this;
  }
  u16be(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, at);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }
  u32be(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32BE(v >>> 0, at);
    return this;
  }
  i16(v: number): this {
    const at = this.room(2);
    this.buf.writeInt16LE(v, at);
    return this;
  }
  i32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32LE(v, at);
    return this;
  }
  i64(v: bigint): this {
    const at = this.room(8);
    this.buf.writeBigInt64LE(v, at);
    return this;
  }
  u64(v: bigint): this {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(v, at);
    return this;
  }
  f32(v: number): this {
    const at = this.room(4);
    this.buf.writeFloatLE(v, at);
    return this;
  }
  f64(v: number): this {
    const at = this.room(8);
    this.buf.writeDoubleLE(v, at);
    return this;
  }
  bytes(b: Buffer): this {
    const at = this.room(b.length);
    b.copy(this.buf, at);
    return this;
  }
  ucs2(s: string): this {
    return this.bytes(Buffer.from(s, 'utf16le'));
  }
  bVarchar(s: string): this {
    const b = Buffer.from(s.slice(0, 255), 'utf16le');
    return this.u8(b.length / 2).bytes(b);
  }
  usVarchar(s: string): this {
    const b = Buffer.from(s.slice(0, 65535), 'utf16le');
    return this.u16(b.length / 2).bytes(b);
  }
  /** patch a u16 written earlier (token lengths known only at the end) */
  setU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v, at);
  }
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}
