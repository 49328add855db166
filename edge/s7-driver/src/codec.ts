import type { S7Address } from '@plant-twin/plant-model';
import type { WriteItem } from './protocol.js';

/** S7 values are big-endian; STRING[n] is max length, actual length, then n bytes of characters. */
export type S7Value = number | string | boolean;

/** Decodes the value of `a` from `buf`, where `at` is the tag's first byte within `buf`. */
export function decodeValue(a: S7Address, buf: Buffer, at: number): S7Value {
  switch (a.type) {
    case 'bool':
      return (buf.readUInt8(at) & (1 << a.bit)) !== 0;
    case 'byte':
      return buf.readUInt8(at);
    case 'char':
      return String.fromCharCode(buf.readUInt8(at));
    case 'int':
      return buf.readInt16BE(at);
    case 'word':
      return buf.readUInt16BE(at);
    case 'dint':
      return buf.readInt32BE(at);
    case 'dword':
      return buf.readUInt32BE(at);
    case 'real':
      return buf.readFloatBE(at);
    case 'lreal':
      return buf.readDoubleBE(at);
    case 'string': {
      // trust neither header byte beyond the declared length: an uninitialised DB may hold anything
      const max = Math.min(buf.readUInt8(at), a.length) || a.length;
      const len = Math.min(buf.readUInt8(at + 1), max);
      return buf.toString('latin1', at + 2, at + 2 + len);
    }
  }
}

/** Encodes a value for a write; bools become single-bit writes so the other bits of the byte stay as they are. */
export function encodeWrite(a: S7Address, value: unknown, label = `DB${a.db}`): WriteItem {
  const fail = (why: string) => new Error(`${label}: cannot write ${JSON.stringify(value)} as ${a.type.toUpperCase()}: ${why}`);
  if (a.type === 'bool') {
    if (typeof value !== 'boolean' && value !== 0 && value !== 1) throw fail('expected true/false');
    return { db: a.db, start: a.offset, bit: a.bit, value: value === true || value === 1 };
  }
  if (a.type === 'string' || a.type === 'char') {
    if (typeof value !== 'string') throw fail('expected a string');
    if (!/^[\x00-\xff]*$/.test(value)) throw fail('only Latin-1 characters fit an S7 STRING');
    if (a.type === 'char') {
      if (value.length !== 1) throw fail('expected one character');
      return { db: a.db, start: a.offset, data: Buffer.from(value, 'latin1') };
    }
    if (value.length > a.length) throw fail(`longer than STRING[${a.length}]`);
    const data = Buffer.alloc(2 + value.length);
    data.writeUInt8(a.length, 0);
    data.writeUInt8(value.length, 1);
    data.write(value, 2, 'latin1');
    return { db: a.db, start: a.offset, data };
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('expected a finite number');
  const data = Buffer.alloc(a.size);
  const int = (min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw fail(`expected an integer ${min}..${max}`);
    return value;
  };
  switch (a.type) {
    case 'byte':
      data.writeUInt8(int(0, 255));
      break;
    case 'int':
      data.writeInt16BE(int(-32768, 32767));
      break;
    case 'word':
      data.writeUInt16BE(int(0, 65535));
      break;
    case 'dint':
      data.writeInt32BE(int(-2147483648, 2147483647));
      break;
    case 'dword':
      data.writeUInt32BE(int(0, 4294967295));
      break;
    case 'real':
      if (Math.abs(value) > 3.4028234663852886e38) throw fail('out of REAL range');
      data.writeFloatBE(value);
      break;
    case 'lreal':
      data.writeDoubleBE(value);
      break;
  }
  return { db: a.db, start: a.offset, data };
}

/** Writes a value into a DB image (for simulators and tests that lay out DBs like a PLC program). */
export function putValue(a: S7Address, buf: Buffer, value: S7Value, at = a.offset): void {
  const w = encodeWrite(a, value);
  if (w.bit !== undefined) {
    const b = buf.readUInt8(at);
    buf.writeUInt8(w.value ? b | (1 << w.bit) : b & ~(1 << w.bit), at);
  } else w.data.copy(buf, at);
}
