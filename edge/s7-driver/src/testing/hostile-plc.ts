import net from 'node:net';
import { TpktFramer, dataFrame, parseCotp, tpkt } from '../protocol.js';

/**
 * A raw TCP "PLC" that completes the ISO and S7 setup handshake correctly and then answers each
 * request with whatever `answer` returns: garbage, truncated or oversized frames, error replies.
 * Used to prove that no reply can crash the driver.
 */
export type HostileAnswer = Buffer | 'close' | 'silence';

export class HostilePlc {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  requests = 0;

  constructor(public answer: (request: Buffer, ref: number) => HostileAnswer) {
    this.server = net.createServer((s) => this.accept(s));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
    const framer = new TpktFramer(65535);
    s.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch {
        s.destroy();
        return;
      }
      for (const f of frames) {
        const c = parseCotp(f);
        if (c.kind === 'other' && c.code === 0xe0) {
          s.write(tpkt(Buffer.from([0x06, 0xd0, 0x00, 0x01, 0x00, 0x01, 0x00])));
          continue;
        }
        if (c.kind !== 'DT') continue;
        const req = c.payload;
        const ref = req.readUInt16BE(4);
        if (req.readUInt8(10) === 0xf0) {
          s.write(dataFrame(ackData(ref, Buffer.from([0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0]), Buffer.alloc(0))));
          continue;
        }
        this.requests++;
        const a = this.answer(req, ref);
        if (a === 'close') s.destroy();
        else if (a !== 'silence') s.write(a);
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An S7 ack-data PDU with the given parameters and data (error class/code default 0). */
export function ackData(ref: number, param: Buffer, data: Buffer, errorClass = 0, errorCode = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt8(0x32, 0);
  h.writeUInt8(0x03, 1);
  h.writeUInt16BE(ref, 4);
  h.writeUInt16BE(param.length, 6);
  h.writeUInt16BE(data.length, 8);
  h.writeUInt8(errorClass, 10);
  h.writeUInt8(errorCode, 11);
  return Buffer.concat([h, param, data]);
}
