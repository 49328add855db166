import type { S7Address } from '@plant-twin/plant-model';

export type S7Value = number | boolean | string;

const ranges: Partial<Record<S7Address['type'], [number, number]>> = {
  byte: [0, 255],
  int: [-32768, 32767],
  word: [0, 65535],
  dint: [-2147483648, 2147483647],
  dword: [0, 4294967295],
};

function integer(v: S7Value, type: S7Address['type']): number {
  const n = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number.parseFloat(v) || 0;
  const [lo, hi] = ranges[type] ?? [-Infinity, Infinity];
  return Math.min(hi, Math.max(lo, Math.round(Number.isFinite(n) ? n : 0)));
}

/**
 * Writes a value into a DB image as a PLC stores it: big-endian, bits in place, STRING[n] as
 * max-length byte, actual-length byte and n characters (Latin-1; longer text is cut to n).
 */
export function encodeS7(buf: Buffer, a: S7Address, v: S7Value): void {
  switch (a.type) {
    case 'bool': {
      const mask = 1 << a.bit;
      buf[a.offset] = v ? buf[a.offset]! | mask : buf[a.offset]! & ~mask;
      return;
    }
    case 'byte': buf.writeUInt8(integer(v, 'byte'), a.offset); return;
    case 'char': buf.writeUInt8(typeof v === 'string' ? (v.charCodeAt(0) || 0) & 0xff : integer(v, 'byte'), a.offset); return;
    case 'int': buf.writeInt16BE(integer(v, 'int'), a.offset); return;
    case 'word': buf.writeUInt16BE(integer(v, 'word'), a.offset); return;
    case 'dint': buf.writeInt32BE(integer(v, 'dint'), a.offset); return;
    case 'dword': buf.writeUInt32BE(integer(v, 'dword'), a.offset); return;
    case 'real': buf.writeFloatBE(Number(v), a.offset); return;
    case 'lreal': buf.writeDoubleBE(Number(v), a.offset); return;
    case 'string': {
      const text = Buffer.from(String(v), 'latin1').subarray(0, a.length);
      buf[a.offset] = a.length;
      buf[a.offset + 1] = text.length;
      buf.fill(0, a.offset + 2, a.offset + 2 + a.length);
      text.copy(buf, a.offset + 2);
      return;
    }
  }
}

export function decodeS7(buf: Buffer, a: S7Address): S7Value {
  switch (a.type) {
    case 'bool': return (buf[a.offset]! & (1 << a.bit)) !== 0;
    case 'byte': return buf.readUInt8(a.offset);
    case 'char': return String.fromCharCode(buf.readUInt8(a.offset));
    case 'int': return buf.readInt16BE(a.offset);
    case 'word': return buf.readUInt16BE(a.offset);
    case 'dint': return buf.readInt32BE(a.offset);
    case 'dword': return buf.readUInt32BE(a.offset);
    case 'real': return buf.readFloatBE(a.offset);
    case 'lreal': return buf.readDoubleBE(a.offset);
    case 'string': {
      // a client may write a shorter max length than declared; never read beyond the declared size
      const len = Math.min(buf[a.offset + 1]!, a.length);
      return buf.toString('latin1', a.offset + 2, a.offset + 2 + len);
    }
  }
}

/** An empty DB image with the max-length bytes of its STRINGs set, as a freshly downloaded DB has them. */
export function blankDb(size: number, addresses: readonly S7Address[]): Buffer {
  const buf = Buffer.alloc(size);
  for (const a of addresses) if (a.type === 'string') buf[a.offset] = a.length;
  return buf;
}
