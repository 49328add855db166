/** Server response tokens (MS-TDS 2.2.7) written into a token stream. */
import { serverVersion } from './prelogin.js';
import { COLLATION, type SqlType, type SqlValue, writeTypeInfo, writeValue } from './types.js';
import { Writer } from './wire.js';

export const Done = { Final: 0x00, More: 0x01, Error: 0x02, InXact: 0x04, Count: 0x10, Attention: 0x20, SrvError: 0x100 } as const;

export const TDS_74 = 0x74000004;

export function loginAck(w: Writer, progName: string): void {
  w.u8(0xad);
  const at = w.length;
  w.u16(0).u8(1).u32be(TDS_74).bVarchar(progName);
  w.u8(serverVersion.major).u8(serverVersion.minor).u8(serverVersion.build >> 8).u8(serverVersion.build & 0xff);
  w.setU16(at, w.length - at - 2);
}

function envChange(w: Writer, type: number, body: (w: Writer) => void): void {
  w.u8(0xe3);
  const at = w.length;
  w.u16(0).u8(type);
  body(w);
  w.setU16(at, w.length - at - 2);
}

export function envDatabase(w: Writer, db: string, old: string): void {
  envChange(w, 1, (w) => w.bVarchar(db).bVarchar(old));
}
export function envLanguage(w: Writer, lang: string): void {
  envChange(w, 2, (w) => w.bVarchar(lang).bVarchar(''));
}
export function envPacketSize(w: Writer, size: number, old: number): void {
  envChange(w, 4, (w) => w.bVarchar(String(size)).bVarchar(String(old)));
}
/** BEGIN (8) / COMMIT (9) / ROLLBACK (10) of a transaction, with its 8-byte descriptor */
export function envTransaction(w: Writer, op: 'begin' | 'commit' | 'rollback', descriptor: Buffer): void {
  envChange(w, op === 'begin' ? 8 : op === 'commit' ? 9 : 10, (w) => {
    if (op === 'begin') w.u8(8).bytes(descriptor).u8(0);
    else w.u8(0).u8(8).bytes(descriptor);
  });
}

/** acknowledges a request flagged RESETCONNECTION */
export function envResetConnection(w: Writer): void {
  envChange(w, 18, (w) => w.u8(0).u8(0));
}
export function envCollation(w: Writer): void {
  envChange(w, 7, (w) => w.u8(COLLATION.length).bytes(COLLATION).u8(0));
}

export interface Message {
  number: number;
  state: number;
  severity: number;
  text: string;
  line?: number;
  proc?: string;
}

/** ERROR (severity > 10) or INFO token */
export function message(w: Writer, m: Message, serverName: string): void {
  w.u8(m.severity > 10 ? 0xaa : 0xab);
  const at = w.length;
  w.u16(0).i32(m.number).u8(m.state).u8(m.severity).usVarchar(m.text).bVarchar(serverName).bVarchar(m.proc ?? '').i32(m.line ?? 1);
  w.setU16(at, w.length - at - 2);
}

export function done(w: Writer, token: 0xfd | 0xfe | 0xff, status: number, curCmd: number, rows: number): void {
  w.u8(token).u16(status).u16(curCmd).u64(BigInt(rows));
}

export function returnStatus(w: Writer, value: number): void {
  w.u8(0x79).i32(value);
}

export interface ResultColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  identity?: boolean;
  /** a table column the client may update (flag updateable) */
  writable?: boolean;
}

export function colMetadata(w: Writer, cols: ResultColumn[]): void {
  w.u8(0x81).u16(cols.length);
  for (const c of cols) {
    const flags = (c.nullable ? 0x01 : 0) | (c.writable ? 0x08 : 0) | (c.identity ? 0x10 : 0);
    w.u32(0).u16(flags);
    writeTypeInfo(w, c.type, c.nullable);
    w.bVarchar(c.name);
  }
}

export function row(w: Writer, cols: ResultColumn[], values: SqlValue[]): void {
  w.u8(0xd1);
  for (let i = 0; i < cols.length; i++) writeValue(w, cols[i]!.type, cols[i]!.nullable, values[i] ?? null);
}

/** RETURNVALUE: the value of an OUTPUT parameter after an RPC */
export function returnValue(w: Writer, ordinal: number, name: string, type: SqlType, value: SqlValue): void {
  w.u8(0xac).u16(ordinal).bVarchar(name).u8(0x01).u32(0).u16(0x01);
  writeTypeInfo(w, type, true);
  writeValue(w, type, true, value);
}
