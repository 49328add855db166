import { S7ProtocolError } from './errors.js';

/**
 * S7comm over ISO-on-TCP (RFC 1006): TPKT (4 bytes) > COTP (CR/CC for the connection, DT for data)
 * > S7 PDU. Pure encoders and strict decoders: every length field is checked against the bytes
 * actually present, and anything inconsistent is an S7ProtocolError, never an out-of-range read.
 */

export const TPKT_HEADER = 4;
const COTP_DT = Buffer.from([0x02, 0xf0, 0x80]);

export const ROSCTR_JOB = 0x01;
export const ROSCTR_ACK = 0x02;
export const ROSCTR_ACK_DATA = 0x03;
export const ROSCTR_USERDATA = 0x07;
export const FN_SETUP = 0xf0;
export const FN_READ = 0x04;
export const FN_WRITE = 0x05;

const AREA_DB = 0x84;
const TS_BIT = 0x01;
const TS_BYTE = 0x02;
/** transport sizes in the data part of read responses / write requests */
const DTS_BIT = 0x03;
const DTS_BYTE = 0x04; // length in bits

export function tpkt(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(TPKT_HEADER + payload.length);
  out.writeUInt8(0x03, 0);
  out.writeUInt8(0x00, 1);
  out.writeUInt16BE(out.length, 2);
  payload.copy(out, TPKT_HEADER);
  return out;
}

/** COTP connection request (class 0) with TPDU size 1024 and the TSAPs. */
export function connectRequest(localTsap: number, remoteTsap: number): Buffer {
  const cotp = Buffer.from([
    0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00,
    0xc0, 0x01, 0x0a,
    0xc1, 0x02, (localTsap >> 8) & 0xff, localTsap & 0xff,
    0xc2, 0x02, (remoteTsap >> 8) & 0xff, remoteTsap & 0xff,
  ]);
  return tpkt(cotp);
}

/** Remote TSAP for a PG connection to the CPU in the given rack and slot (S7-1200/1500: rack 0, slot 1 or 0). */
export function remoteTsapFor(rack: number, slot: number): number {
  return 0x0100 | ((rack & 0x07) << 5) | (slot & 0x1f);
}

export function dataFrame(s7: Buffer): Buffer {
  return tpkt(Buffer.concat([COTP_DT, s7]));
}

function s7Job(ref: number, param: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt8(0x32, 0);
  h.writeUInt8(ROSCTR_JOB, 1);
  h.writeUInt16BE(ref & 0xffff, 4);
  h.writeUInt16BE(param.length, 6);
  h.writeUInt16BE(data.length, 8);
  return Buffer.concat([h, param, data]);
}

export function setupCommunication(ref: number, pduSize: number, parallel: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt8(FN_SETUP, 0);
  p.writeUInt16BE(parallel, 2);
  p.writeUInt16BE(parallel, 4);
  p.writeUInt16BE(pduSize, 6);
  return s7Job(ref, p);
}

export interface AreaItem {
  db: number;
  start: number;
  length: number;
}

function anyPointer(p: Buffer, at: number, ts: number, count: number, db: number, bitAddress: number): void {
  p.writeUInt8(0x12, at);
  p.writeUInt8(0x0a, at + 1);
  p.writeUInt8(0x10, at + 2);
  p.writeUInt8(ts, at + 3);
  p.writeUInt16BE(count, at + 4);
  p.writeUInt16BE(db, at + 6);
  p.writeUInt8(AREA_DB, at + 8);
  p.writeUIntBE(bitAddress, at + 9, 3);
}

export function readVar(ref: number, items: readonly AreaItem[]): Buffer {
  const p = Buffer.alloc(2 + 12 * items.length);
  p.writeUInt8(FN_READ, 0);
  p.writeUInt8(items.length, 1);
  items.forEach((it, i) => anyPointer(p, 2 + 12 * i, TS_BYTE, it.length, it.db, it.start * 8));
  return s7Job(ref, p);
}

/** A write: bytes at a byte offset, or one bit (written as a bit so neighbouring bits are not touched). */
export type WriteItem = { db: number; start: number; data: Buffer; bit?: undefined } | { db: number; start: number; bit: number; value: boolean };

export function writeVar(ref: number, items: readonly WriteItem[]): Buffer {
  const p = Buffer.alloc(2 + 12 * items.length);
  p.writeUInt8(FN_WRITE, 0);
  p.writeUInt8(items.length, 1);
  const data: Buffer[] = [];
  items.forEach((it, i) => {
    const last = i === items.length - 1;
    if (it.bit !== undefined) {
      anyPointer(p, 2 + 12 * i, TS_BIT, 1, it.db, it.start * 8 + it.bit);
      data.push(Buffer.from([0x00, DTS_BIT, 0x00, 0x01, it.value ? 1 : 0]), last ? Buffer.alloc(0) : Buffer.alloc(1));
    } else {
      anyPointer(p, 2 + 12 * i, TS_BYTE, it.data.length, it.db, it.start * 8);
      const h = Buffer.from([0x00, DTS_BYTE, 0x00, 0x00]);
      h.writeUInt16BE(it.data.length * 8, 2);
      data.push(h, it.data, it.data.length % 2 && !last ? Buffer.alloc(1) : Buffer.alloc(0));
    }
  });
  return s7Job(ref, p, Buffer.concat(data));
}

/** Bytes a write request takes: for planning writes into PDUs. */
export function writeRequestSize(items: readonly WriteItem[]): number {
  let n = 10 + 2 + 12 * items.length;
  items.forEach((it, i) => {
    const len = it.bit !== undefined ? 1 : it.data.length;
    n += 4 + len + (len % 2 && i < items.length - 1 ? 1 : 0);
  });
  return n;
}

/** SZL (system status list) read: a userdata request of the CPU functions group (4), subfunction 1. */
export function szlRequest(ref: number, id: number, index: number): Buffer {
  const h = Buffer.alloc(10);
  h.writeUInt8(0x32, 0);
  h.writeUInt8(ROSCTR_USERDATA, 1);
  h.writeUInt16BE(ref & 0xffff, 4);
  h.writeUInt16BE(8, 6);
  h.writeUInt16BE(8, 8);
  // parameter head 00 01 12, length 4, method 0x11 (request), type 4 (request) | group 4 (CPU functions), subfunction 1 (read SZL), sequence 0
  const param = Buffer.from([0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00]);
  const data = Buffer.from([0xff, 0x09, 0x00, 0x04, (id >> 8) & 0xff, id & 0xff, (index >> 8) & 0xff, index & 0xff]);
  return Buffer.concat([h, param, data]);
}

export interface SzlList {
  id: number;
  index: number;
  /** the list's records, each of the list's record length */
  records: Buffer[];
}

/** Decodes an SZL reply; a CPU that refuses (e.g. 0xD401 "SZL not available") is an S7ProtocolError naming the code. */
export function parseSzlReply(m: S7Message, id: number): SzlList {
  if (m.param.length < 12) throw new S7ProtocolError(`SZL 0x${id.toString(16)} reply has ${m.param.length} parameter bytes, 12 expected`);
  const err = m.param.readUInt16BE(10);
  if (err !== 0) throw new S7ProtocolError(`the CPU refused to read SZL 0x${id.toString(16).padStart(4, '0')} (error 0x${err.toString(16).toUpperCase()})`);
  const d = m.data;
  if (d.length < 4 || d.readUInt8(0) !== 0xff) throw new S7ProtocolError(`the CPU refused to read SZL 0x${id.toString(16).padStart(4, '0')} (return code 0x${(d[0] ?? 0).toString(16)})`);
  const len = d.readUInt16BE(2);
  if (4 + len > d.length || len < 8) throw new S7ProtocolError(`SZL reply announces ${len} bytes, ${d.length - 4} present`);
  const recordLength = d.readUInt16BE(8);
  const count = d.readUInt16BE(10);
  const records: Buffer[] = [];
  for (let i = 0, at = 12; i < count && recordLength > 0 && at + recordLength <= 4 + len; i++, at += recordLength) records.push(d.subarray(at, at + recordLength));
  return { id: d.readUInt16BE(4), index: d.readUInt16BE(6), records };
}

export type CotpFrame = { kind: 'CC' } | { kind: 'DR'; reason: number } | { kind: 'DT'; eot: boolean; payload: Buffer } | { kind: 'other'; code: number };

/** Decodes the COTP part of one TPKT payload. */
export function parseCotp(frame: Buffer): CotpFrame {
  if (frame.length < 2) throw new S7ProtocolError(`COTP header truncated (${frame.length} bytes)`);
  const li = frame.readUInt8(0);
  if (li < 1 || li + 1 > frame.length) throw new S7ProtocolError(`COTP length indicator ${li} does not fit a ${frame.length}-byte frame`);
  const code = frame.readUInt8(1) & 0xf0;
  if (code === 0xd0) return { kind: 'CC' };
  if (code === 0x80) return { kind: 'DR', reason: li >= 6 ? frame.readUInt8(6) : 0 };
  if (code === 0xf0) {
    if (li < 2) throw new S7ProtocolError('COTP DT header too short');
    return { kind: 'DT', eot: (frame.readUInt8(2) & 0x80) !== 0, payload: frame.subarray(li + 1) };
  }
  return { kind: 'other', code };
}

export interface S7Message {
  rosctr: number;
  ref: number;
  errorClass: number;
  errorCode: number;
  param: Buffer;
  data: Buffer;
}

export function parseS7(pdu: Buffer): S7Message {
  if (pdu.length < 10) throw new S7ProtocolError(`S7 PDU truncated (${pdu.length} bytes)`);
  if (pdu.readUInt8(0) !== 0x32) throw new S7ProtocolError(`not an S7 PDU (protocol id 0x${pdu.readUInt8(0).toString(16)})`);
  const rosctr = pdu.readUInt8(1);
  const ref = pdu.readUInt16BE(4);
  const parLen = pdu.readUInt16BE(6);
  const dataLen = pdu.readUInt16BE(8);
  const headLen = rosctr === ROSCTR_ACK || rosctr === ROSCTR_ACK_DATA ? 12 : 10;
  if (pdu.length < headLen) throw new S7ProtocolError(`S7 header truncated (${pdu.length} of ${headLen} bytes)`);
  if (headLen + parLen + dataLen !== pdu.length) throw new S7ProtocolError(`S7 lengths (header ${headLen} + parameters ${parLen} + data ${dataLen}) do not match the PDU's ${pdu.length} bytes`);
  return {
    rosctr,
    ref,
    errorClass: headLen === 12 ? pdu.readUInt8(10) : 0,
    errorCode: headLen === 12 ? pdu.readUInt8(11) : 0,
    param: pdu.subarray(headLen, headLen + parLen),
    data: pdu.subarray(headLen + parLen),
  };
}

export interface SetupReply {
  pduSize: number;
  parallel: number;
}

export function parseSetup(m: S7Message): SetupReply {
  if (m.param.length < 8 || m.param.readUInt8(0) !== FN_SETUP) throw new S7ProtocolError('setup communication reply has no setup parameters');
  const pduSize = m.param.readUInt16BE(6);
  if (pduSize < 64) throw new S7ProtocolError(`PLC negotiated an impossible PDU size ${pduSize}`);
  return { pduSize, parallel: Math.max(1, Math.min(m.param.readUInt16BE(2), m.param.readUInt16BE(4))) };
}

export type ItemResult = { ok: true; data: Buffer } | { ok: false; code: number };

/** Read-var reply: one result per requested item, with each item's length checked against the request. */
export function parseReadReply(m: S7Message, items: readonly AreaItem[]): ItemResult[] {
  if (m.param.length < 2 || m.param.readUInt8(0) !== FN_READ) throw new S7ProtocolError('read reply has no read-var parameters');
  const count = m.param.readUInt8(1);
  if (count !== items.length) throw new S7ProtocolError(`read reply carries ${count} items, ${items.length} were requested`);
  const out: ItemResult[] = [];
  let at = 0;
  const d = m.data;
  for (let i = 0; i < count; i++) {
    if (at + 4 > d.length) throw new S7ProtocolError(`read reply truncated at item ${i + 1} of ${count}`);
    const rc = d.readUInt8(at);
    const ts = d.readUInt8(at + 1);
    const raw = d.readUInt16BE(at + 2);
    at += 4;
    if (rc !== 0xff) {
      out.push({ ok: false, code: rc });
      // an error item carries no data (snap7 sends length 0 or 4 with no bytes behind it in some versions)
      continue;
    }
    const len = ts === DTS_BIT || ts === 0x04 || ts === 0x05 ? (ts === DTS_BIT ? raw : raw >> 3) : raw;
    if (at + len > d.length) throw new S7ProtocolError(`read reply item ${i + 1}: ${len} data bytes announced, ${d.length - at} present`);
    const want = items[i]!.length;
    if (len !== want) throw new S7ProtocolError(`read reply item ${i + 1}: ${len} bytes returned, ${want} requested`);
    out.push({ ok: true, data: d.subarray(at, at + len) });
    at += len + (len % 2 && i < count - 1 ? 1 : 0);
  }
  return out;
}

export function parseWriteReply(m: S7Message, count: number): number[] {
  if (m.param.length < 2 || m.param.readUInt8(0) !== FN_WRITE) throw new S7ProtocolError('write reply has no write-var parameters');
  if (m.param.readUInt8(1) !== count) throw new S7ProtocolError(`write reply carries ${m.param.readUInt8(1)} items, ${count} were written`);
  if (m.data.length < count) throw new S7ProtocolError(`write reply truncated (${m.data.length} of ${count} return codes)`);
  return [...m.data.subarray(0, count)];
}

/**
 * TPKT reassembly: TCP delivers a byte stream, segments split and merge on a real network, so frames
 * are cut out by the TPKT length before any S7 parsing (nodes7 takes each `data` event as one packet).
 */
export class TpktFramer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxFrame: number) {}

  /** Appends bytes and returns every complete TPKT payload; throws S7ProtocolError on a bad header. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.buf.length >= TPKT_HEADER) {
      if (this.buf.readUInt8(0) !== 0x03) throw new S7ProtocolError(`not a TPKT frame (version byte 0x${this.buf.readUInt8(0).toString(16)})`);
      const len = this.buf.readUInt16BE(2);
      if (len < TPKT_HEADER + 3) throw new S7ProtocolError(`TPKT length ${len} is too short`);
      if (len > this.maxFrame) throw new S7ProtocolError(`TPKT frame of ${len} bytes exceeds the ${this.maxFrame} allowed`);
      if (this.buf.length < len) break;
      frames.push(this.buf.subarray(TPKT_HEADER, len));
      this.buf = this.buf.subarray(len);
    }
    return frames;
  }

  get pending(): number {
    return this.buf.length;
  }
}
