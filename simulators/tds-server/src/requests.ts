/** Client requests after login: SQL batch (MS-TDS 2.2.6.7) and RPC (2.2.6.6). */
import { readTypeInfo, readValue, type SqlValue, type TypeInfo } from './types.js';
import { ProtocolError, Reader } from './wire.js';

/** ALL_HEADERS (transaction descriptor, trace activity...) carry nothing the simulator uses. */
function skipAllHeaders(r: Reader): void {
  const total = r.u32();
  if (total < 4 || total - 4 > r.remaining) throw new ProtocolError('ALL_HEADERS length outside the message');
  r.pos += total - 4;
}

export function parseSqlBatch(payload: Buffer): string {
  const r = new Reader(payload);
  // TDS 7.2+ clients send ALL_HEADERS; its total length (>= 22 bytes) cannot be mistaken for text
  if (payload.length >= 4 && payload.readUInt32LE(0) <= payload.length && payload.readUInt32LE(0) >= 4 && payload.readUInt32LE(0) !== 0) skipAllHeaders(r);
  if (r.remaining % 2 !== 0) throw new ProtocolError('batch text of odd length');
  return r.bytes(r.remaining).toString('utf16le');
}

export interface RpcParam {
  name: string;
  output: boolean;
  type: TypeInfo;
  value: SqlValue;
}

export interface RpcRequest {
  /** procedure name, or the well-known procedure id (10 = sp_executesql, ...) */
  proc: string | number;
  params: RpcParam[];
}

export const ProcId = { Cursor: 1, ExecuteSql: 10, Prepare: 11, Execute: 12, PrepExec: 13, Unprepare: 15 } as const;

export function parseRpc(payload: Buffer): RpcRequest {
  const r = new Reader(payload);
  skipAllHeaders(r);
  const nameLen = r.u16();
  const proc: string | number = nameLen === 0xffff ? r.u16() : r.ucs2(nameLen);
  r.u16(); // option flags: WITH RECOMPILE etc.
  const params: RpcParam[] = [];
  while (r.remaining > 0) {
    const first = r.buf[r.pos]!;
    // batch separator: a further RPC in the same message, which tedious never sends
    if (first === 0x80 || first === 0xff) throw new ProtocolError('several RPCs in one message are not supported');
    const name = r.bVarchar();
    const status = r.u8();
    const type = readTypeInfo(r);
    const value = readValue(r, type);
    params.push({ name, output: (status & 0x01) !== 0, type, value });
  }
  return { proc, params };
}

/** "@a int, @b nvarchar(10) OUTPUT" -> names, for parameters passed by position */
export function declaredNames(declarations: string): string[] {
  return [...declarations.matchAll(/(@[\w@#$]+)/g)].map((m) => m[1]!);
}
