/** PRELOGIN (MS-TDS 2.2.6.5): option table, encryption negotiation. */
import { ProtocolError, Reader, Writer } from './wire.js';

export const Encrypt = { Off: 0x00, On: 0x01, NotSup: 0x02, Req: 0x03 } as const;
export type EncryptValue = (typeof Encrypt)[keyof typeof Encrypt];

const OPT_VERSION = 0x00;
const OPT_ENCRYPTION = 0x01;
const OPT_INSTOPT = 0x02;
const OPT_THREADID = 0x03;
const OPT_MARS = 0x04;
const OPT_TERMINATOR = 0xff;

export interface PreLoginRequest {
  encryption: number;
  instance: string | null;
  mars: boolean;
}

export function parsePreLogin(payload: Buffer): PreLoginRequest {
  const r = new Reader(payload);
  const options = new Map<number, Buffer>();
  for (let i = 0; i < 32; i++) {
    const token = r.u8();
    if (token === OPT_TERMINATOR) break;
    const offset = r.u16be();
    const length = r.u16be();
    if (offset + length > payload.length) throw new ProtocolError('PRELOGIN option outside the message');
    options.set(token, payload.subarray(offset, offset + length));
    if (i === 31) throw new ProtocolError('PRELOGIN option list without terminator');
  }
  const enc = options.get(OPT_ENCRYPTION);
  const inst = options.get(OPT_INSTOPT);
  return {
    encryption: enc && enc.length >= 1 ? enc[0]! : Encrypt.NotSup,
    instance: inst && inst.length > 1 ? inst.subarray(0, inst.indexOf(0) < 0 ? inst.length : inst.indexOf(0)).toString('latin1') : null,
    mars: (options.get(OPT_MARS)?.[0] ?? 0) === 1,
  };
}

export type TlsMode = 'off' | 'on' | 'required';

/**
 * The server's answer to the client's ENCRYPTION option, as SQL Server decides it:
 * 'off' = no certificate, 'on' = certificate and encryption as the client asks (OFF: only the
 * login packet), 'required' = Force Encryption.
 */
export function negotiateEncryption(mode: TlsMode, client: number): EncryptValue {
  if (mode === 'off') return Encrypt.NotSup;
  if (mode === 'on') {
    if (client === Encrypt.Off) return Encrypt.Off;
    if (client === Encrypt.On || client === Encrypt.Req) return Encrypt.On;
    return Encrypt.NotSup;
  }
  return client === Encrypt.On || client === Encrypt.Req ? Encrypt.On : Encrypt.Req;
}

/** Server version advertised in PRELOGIN and LOGINACK: SQL Server 2022 (16.0.1000). */
export const serverVersion = { major: 16, minor: 0, build: 1000, sub: 6 };

export function buildPreLoginResponse(encryption: EncryptValue): Buffer {
  const options: [number, Buffer][] = [
    [OPT_VERSION, Buffer.from([serverVersion.major, serverVersion.minor, serverVersion.build >> 8, serverVersion.build & 0xff, 0, serverVersion.sub])],
    [OPT_ENCRYPTION, Buffer.from([encryption])],
    [OPT_INSTOPT, Buffer.from([0])],
    [OPT_THREADID, Buffer.alloc(0)],
    [OPT_MARS, Buffer.from([0])],
  ];
  const w = new Writer();
  let offset = options.length * 5 + 1;
  for (const [token, data] of options) {
    w.u8(token).u16be(offset).u16be(data.length);
    offset += data.length;
  }
  w.u8(OPT_TERMINATOR);
  for (const [, data] of options) w.bytes(data);
  return w.toBuffer();
}
