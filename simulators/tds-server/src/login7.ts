/** LOGIN7 (MS-TDS 2.2.6.4): the fields a SQL-authentication login needs. */
import { ProtocolError, Reader } from './wire.js';

export interface Login7 {
  tdsVersion: number;
  packetSize: number;
  hostName: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  language: string;
  database: string;
  /** the client asked for integrated (SSPI) authentication, which the simulator does not offer */
  integratedSecurity: boolean;
}

/** The client's password obfuscation: each byte has its nibbles swapped, then XOR 0xA5. */
export function decodePassword(bytes: Buffer): string {
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! ^ 0xa5;
    out[i] = ((b & 0x0f) << 4) | (b >> 4);
  }
  return out.toString('utf16le');
}

export function parseLogin7(payload: Buffer): Login7 {
  const r = new Reader(payload);
  const length = r.u32();
  if (length > payload.length || length < 94) throw new ProtocolError('LOGIN7 length does not match the message');
  const tdsVersion = r.buf.readUInt32LE(4);
  r.pos = 8;
  const packetSize = r.u32();
  r.pos = 25; // OptionFlags2
  const optionFlags2 = r.u8();
  const field = (at: number): Buffer => {
    r.pos = at;
    const offset = r.u16();
    const chars = r.u16();
    if (offset + chars * 2 > length) throw new ProtocolError('LOGIN7 field outside the message');
    return payload.subarray(offset, offset + chars * 2);
  };
  const text = (at: number) => field(at).toString('utf16le');
  return {
    tdsVersion,
    packetSize,
    hostName: text(36),
    userName: text(40),
    password: decodePassword(field(44)),
    appName: text(48),
    serverName: text(52),
    language: text(64),
    database: text(68),
    integratedSecurity: (optionFlags2 & 0x80) !== 0,
  };
}
