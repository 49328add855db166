/** A response message being written: tokens go out as full packets while it grows, EOM at the end. */
import { HEADER_LENGTH, PacketType, Writer } from './wire.js';

export class Response {
  w = new Writer();
  private packetId = 1;
  private ended = false;

  constructor(
    private readonly write: (b: Buffer) => void,
    private readonly packetSize: number,
    private readonly spid: number,
  ) {}

  /** sends the complete packets gathered so far (large results are streamed, not held) */
  flush(): void {
    const room = this.packetSize - HEADER_LENGTH;
    if (this.w.length < room * 4) return;
    const buf = this.w.toBuffer();
    let at = 0;
    while (buf.length - at > room) {
      this.packet(buf.subarray(at, at + room), false);
      at += room;
    }
    this.w = new Writer().bytes(buf.subarray(at));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const buf = this.w.toBuffer();
    const room = this.packetSize - HEADER_LENGTH;
    let at = 0;
    while (buf.length - at > room) {
      this.packet(buf.subarray(at, at + room), false);
      at += room;
    }
    this.packet(buf.subarray(at), true);
  }

  private packet(body: Buffer, last: boolean): void {
    const header = Buffer.alloc(HEADER_LENGTH);
    header[0] = PacketType.TabularResult;
    header[1] = last ? 0x01 : 0x00;
    header.writeUInt16BE(HEADER_LENGTH + body.length, 2);
    header.writeUInt16BE(this.spid & 0xffff, 4);
    header[6] = this.packetId++ & 0xff;
    this.write(Buffer.concat([header, body]));
  }
}
