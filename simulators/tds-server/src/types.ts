/**
 * SQL Server data types: declarations ("NVARCHAR(32) NOT NULL"), value coercion, and their TDS
 * encoding (TYPE_INFO and values, MS-TDS 2.2.5) in both directions.
 */
import { decodeCp1252, encodeCp1252 } from './cp1252.js';
import { SqlError, sqlErrors } from './errors.js';
import { ProtocolError, Reader, Writer } from './wire.js';

export type SqlValue = null | number | string | boolean | Date | Buffer;

export type TypeKind =
  | 'tinyint' | 'smallint' | 'int' | 'bigint' | 'bit' | 'real' | 'float' | 'decimal'
  | 'nvarchar' | 'varchar' | 'varbinary' | 'datetime2' | 'datetime' | 'date' | 'uniqueidentifier';

export interface SqlType {
  kind: TypeKind;
  /** characters (bytes for varbinary); -1 = MAX */
  length?: number;
  precision?: number;
  scale?: number;
}

export interface ColumnDef {
  name: string;
  type: SqlType;
  nullable: boolean;
  identity: boolean;
  unique: boolean;
}

/** SQL_Latin1_General_CP1_CI_AS, as real SQL Server reports it */
export const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

const integerRange: Record<string, [number, number]> = {
  tinyint: [0, 255],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export function typeName(t: SqlType): string {
  switch (t.kind) {
    case 'decimal':
      return `decimal(${t.precision ?? 18},${t.scale ?? 0})`;
    case 'nvarchar':
    case 'varchar':
    case 'varbinary':
      return `${t.kind}(${t.length === -1 ? 'max' : (t.length ?? 1)})`;
    case 'datetime2':
      return `datetime2(${t.scale ?? 7})`;
    default:
      return t.kind;
  }
}

const typeAliases: Record<string, TypeKind> = {
  tinyint: 'tinyint', smallint: 'smallint', int: 'int', integer: 'int', bigint: 'bigint', bit: 'bit',
  real: 'real', float: 'float', decimal: 'decimal', numeric: 'decimal', nvarchar: 'nvarchar',
  varchar: 'varchar', varbinary: 'varbinary', datetime2: 'datetime2', datetime: 'datetime', date: 'date',
  uniqueidentifier: 'uniqueidentifier', sysname: 'nvarchar',
};

/** "NVARCHAR(32)", "decimal(10, 2)", "float(24)" -> SqlType */
export function parseTypeName(name: string, args: (number | 'max')[]): SqlType {
  const kind = typeAliases[name.toLowerCase()];
  if (!kind) throw sqlErrors.unsupported(`data type ${name}`);
  const a0 = args[0];
  switch (kind) {
    case 'decimal': {
      const precision = typeof a0 === 'number' ? a0 : 18;
      const scale = typeof args[1] === 'number' ? args[1] : 0;
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) throw new SqlError(2750, `Column or parameter has an invalid precision ${precision} or scale ${scale}.`, 16, 1);
      return { kind, precision, scale };
    }
    case 'nvarchar':
    case 'varchar':
    case 'varbinary': {
      const length = a0 === 'max' ? -1 : (a0 ?? 1);
      const limit = kind === 'nvarchar' ? 4000 : 8000;
      if (length !== -1 && (length < 1 || length > limit)) throw new SqlError(2717, `The size (${length}) given to the type '${kind}' exceeds the maximum allowed (${limit}).`, 16, 1);
      return name.toLowerCase() === 'sysname' ? { kind, length: 128 } : { kind, length };
    }
    case 'datetime2': {
      const scale = typeof a0 === 'number' ? a0 : 7;
      if (scale < 0 || scale > 7) throw new SqlError(1002, `Specified scale ${scale} is invalid.`, 15, 1);
      return { kind, scale };
    }
    case 'float':
      return typeof a0 === 'number' && a0 <= 24 ? { kind: 'real' } : { kind };
    default:
      return { kind };
  }
}

/** A column declaration as in sql-vendor.ts: "BIGINT IDENTITY PRIMARY KEY", "NVARCHAR(32) NOT NULL UNIQUE". */
export function parseColumnDeclaration(name: string, declaration: string): ColumnDef {
  const m = /^\s*(\w+)\s*(?:\(\s*([^)]*)\))?(.*)$/s.exec(declaration);
  if (!m) throw new Error(`column ${name}: cannot read the type "${declaration}"`);
  const args = (m[2] ?? '').split(',').filter((s) => s.trim() !== '').map((s) => (s.trim().toLowerCase() === 'max' ? 'max' as const : Number(s)));
  const type = parseTypeName(m[1]!, args);
  const rest = (m[3] ?? '').toUpperCase().replace(/\s+/g, ' ').trim();
  const known = rest.replace(/IDENTITY\s*(\(\s*\d+\s*,\s*\d+\s*\))?|NOT NULL|NULL|PRIMARY KEY|UNIQUE/g, '').trim();
  if (known !== '') throw new Error(`column ${name}: the simulator does not understand "${known}" in "${declaration}"`);
  const primary = rest.includes('PRIMARY KEY');
  const identity = rest.includes('IDENTITY');
  if (identity && !['tinyint', 'smallint', 'int', 'bigint', 'decimal'].includes(type.kind)) throw new Error(`column ${name}: IDENTITY needs an integer type`);
  return {
    name,
    type,
    nullable: !(primary || identity || rest.includes('NOT NULL')),
    identity,
    unique: primary || rest.includes('UNIQUE'),
  };
}

function describe(v: SqlValue): string {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return '0x' + v.toString('hex');
  return String(v);
}

function sourceTypeName(v: SqlValue): string {
  if (typeof v === 'string') return 'nvarchar';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bit';
  if (v instanceof Date) return 'datetime2';
  return 'varbinary';
}

const GUID_RE = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** Days from 0001-01-01 to 1970-01-01 */
const EPOCH_DAYS = 719162;
const MS_PER_DAY = 86_400_000;

/** Parses the date/time literals SQL Server accepts for datetime columns (ISO forms). */
export function parseDateString(s: string): Date | null {
  const m = /^\s*(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0), frac ? Math.floor(Number((frac + '00').slice(0, 3))) : 0);
  const date = new Date(ms);
  if (date.getUTCDate() !== Number(d) || date.getUTCMonth() !== Number(mo) - 1) return null;
  if (Number(y) < 100) date.setUTCFullYear(Number(y));
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms = date.getTime() - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    return new Date(ms);
  }
  return date;
}

function roundDate(d: Date, t: SqlType): Date {
  if (t.kind === 'date') return new Date(Math.floor(d.getTime() / MS_PER_DAY) * MS_PER_DAY);
  if (t.kind === 'datetime') return new Date(Math.round((d.getTime() * 300) / 1000) * (1000 / 300));
  if (t.kind === 'datetime2' && (t.scale ?? 7) < 3) {
    const unit = 10 ** (3 - (t.scale ?? 7));
    return new Date(Math.round(d.getTime() / unit) * unit);
  }
  return d;
}

/** Implicit conversion of a value to a column's type, with SQL Server's errors. */
export function coerce(v: SqlValue, t: SqlType): SqlValue {
  if (v === null) return null;
  switch (t.kind) {
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'bigint': {
      let n: number;
      if (typeof v === 'number') n = Math.trunc(v);
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) n = Number(v);
      else throw sqlErrors.conversion(sourceTypeName(v), describe(v), t.kind);
      const [lo, hi] = integerRange[t.kind]!;
      if (n < lo || n > hi) throw sqlErrors.arithmeticOverflow(t.kind);
      return n;
    }
    case 'bit':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase();
        if (s === 'true' || s === '1') return true;
        if (s === 'false' || s === '0') return false;
      }
      throw sqlErrors.conversion(sourceTypeName(v), describe(v), 'bit');
    case 'real':
    case 'float':
    case 'decimal': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) n = Number(v);
      else throw sqlErrors.conversion(sourceTypeName(v), describe(v), typeName(t));
      if (t.kind === 'real') return Math.fround(n);
      if (t.kind === 'decimal') {
        const scale = t.scale ?? 0;
        const r = Number(n.toFixed(scale));
        if (Math.abs(r) >= 10 ** ((t.precision ?? 18) - scale)) throw sqlErrors.arithmeticOverflow(typeName(t));
        return r;
      }
      return n;
    }
    case 'nvarchar':
    case 'varchar': {
      const s = v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : typeof v === 'boolean' ? (v ? '1' : '0') : Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
      return s;
    }
    case 'varbinary':
      if (Buffer.isBuffer(v)) return v;
      throw new SqlError(257, `Implicit conversion from data type ${sourceTypeName(v)} to varbinary is not allowed. Use the CONVERT function to run this query.`, 16, 3);
    case 'datetime2':
    case 'datetime':
    case 'date': {
      if (v instanceof Date) return roundDate(v, t);
      if (typeof v === 'string') {
        const d = parseDateString(v);
        if (!d) throw sqlErrors.dateConversion();
        return roundDate(d, t);
      }
      throw new SqlError(206, `Operand type clash: ${sourceTypeName(v)} is incompatible with ${typeName(t)}`, 16, 2);
    }
    case 'uniqueidentifier': {
      if (typeof v === 'string' && GUID_RE.test(v)) {
        const m = GUID_RE.exec(v)!;
        return m.slice(1, 6).join('-').toUpperCase();
      }
      throw new SqlError(8169, 'Conversion failed when converting from a character string to uniqueidentifier.', 16, 2);
    }
  }
}

/** Checks a string fits the column (error 2628 as SQL Server 2019+ reports it). */
export function checkLength(v: SqlValue, t: SqlType, table: string, column: string): void {
  if (t.length === undefined || t.length === -1 || v === null) return;
  const len = typeof v === 'string' ? v.replace(/ +$/, '').length : Buffer.isBuffer(v) ? v.length : 0;
  if (len > t.length) throw sqlErrors.truncated(table, column, describe(v).slice(0, t.length));
}

// ---- TDS encoding ---------------------------------------------------------------------------

const enum T {
  Null = 0x1f, Int1 = 0x30, Bit = 0x32, Int2 = 0x34, Int4 = 0x38, DateTim4 = 0x3a, Flt4 = 0x3b,
  DateTime = 0x3d, Flt8 = 0x3e, Int8 = 0x7f, Guid = 0x24, IntN = 0x26, DateN = 0x28, TimeN = 0x29,
  DateTime2N = 0x2a, DateTimeOffsetN = 0x2b, BitN = 0x68, DecimalN = 0x6a, NumericN = 0x6c, FltN = 0x6d,
  MoneyN = 0x6e, DateTimN = 0x6f, BigVarBin = 0xa5, BigVarChr = 0xa7, BigBinary = 0xad, BigChar = 0xaf,
  NVarChar = 0xe7, NChar = 0xef, Text = 0x23, Image = 0x22, NText = 0x63,
}

const intSize: Partial<Record<TypeKind, number>> = { tinyint: 1, smallint: 2, int: 4, bigint: 8 };
const fixedInt: Partial<Record<TypeKind, number>> = { tinyint: T.Int1, smallint: T.Int2, int: T.Int4, bigint: T.Int8 };

function decimalBytes(precision: number): number {
  return precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17;
}

function timeBytes(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
}

/**
 * Whether the column is sent with a fixed-length TDS type: SQL Server does this for NOT NULL
 * integer, bit, float and datetime columns, and uses the nullable "N" types otherwise.
 */
function isFixed(t: SqlType, nullable: boolean): boolean {
  return !nullable && ['tinyint', 'smallint', 'int', 'bigint', 'bit', 'real', 'float', 'datetime'].includes(t.kind);
}

/** TYPE_INFO of a result column */
export function writeTypeInfo(w: Writer, t: SqlType, nullable: boolean): void {
  const fixed = isFixed(t, nullable);
  switch (t.kind) {
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'bigint':
      if (fixed) w.u8(fixedInt[t.kind]!);
      else w.u8(T.IntN).u8(intSize[t.kind]!);
      return;
    case 'bit':
      if (fixed) w.u8(T.Bit);
      else w.u8(T.BitN).u8(1);
      return;
    case 'real':
      if (fixed) w.u8(T.Flt4);
      else w.u8(T.FltN).u8(4);
      return;
    case 'float':
      if (fixed) w.u8(T.Flt8);
      else w.u8(T.FltN).u8(8);
      return;
    case 'datetime':
      if (fixed) w.u8(T.DateTime);
      else w.u8(T.DateTimN).u8(8);
      return;
    case 'decimal': {
      const p = t.precision ?? 18;
      w.u8(T.DecimalN).u8(decimalBytes(p)).u8(p).u8(t.scale ?? 0);
      return;
    }
    case 'nvarchar':
      w.u8(T.NVarChar).u16(t.length === -1 ? 0xffff : (t.length ?? 1) * 2).bytes(COLLATION);
      return;
    case 'varchar':
      w.u8(T.BigVarChr).u16(t.length === -1 ? 0xffff : (t.length ?? 1)).bytes(COLLATION);
      return;
    case 'varbinary':
      w.u8(T.BigVarBin).u16(t.length === -1 ? 0xffff : (t.length ?? 1));
      return;
    case 'datetime2':
      w.u8(T.DateTime2N).u8(t.scale ?? 7);
      return;
    case 'date':
      w.u8(T.DateN);
      return;
    case 'uniqueidentifier':
      w.u8(T.Guid).u8(16);
      return;
  }
}

function guidBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  // the first three groups are little-endian on the wire
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

function guidString(b: Buffer): string {
  const r = Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8, 16)]).toString('hex').toUpperCase();
  return `${r.slice(0, 8)}-${r.slice(8, 12)}-${r.slice(12, 16)}-${r.slice(16, 20)}-${r.slice(20)}`;
}

function writeUIntLE(w: Writer, v: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) {
    w.u8(v % 256);
    v = Math.floor(v / 256);
  }
}

function dateParts(d: Date): { days: number; msOfDay: number } {
  const ms = d.getTime();
  const dayIndex = Math.floor(ms / MS_PER_DAY);
  return { days: dayIndex + EPOCH_DAYS, msOfDay: ms - dayIndex * MS_PER_DAY };
}

function writePlp(w: Writer, data: Buffer): void {
  w.u64(BigInt(data.length));
  if (data.length > 0) w.u32(data.length).bytes(data);
  w.u32(0);
}

const PLP_NULL = 0xffffffffffffffffn;

function stringBytes(v: SqlValue, kind: 'nvarchar' | 'varchar' | 'varbinary'): Buffer {
  if (kind === 'varbinary') return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'latin1');
  const s = typeof v === 'string' ? v : String(coerce(v, { kind }));
  return kind === 'nvarchar' ? Buffer.from(s, 'utf16le') : encodeCp1252(s);
}

/** A ROW value of a column declared with writeTypeInfo(t, nullable). */
export function writeValue(w: Writer, t: SqlType, nullable: boolean, v: SqlValue): void {
  const fixed = isFixed(t, nullable);
  if (v === null && fixed) throw new Error('NULL in a NOT NULL column');
  switch (t.kind) {
    case 'tinyint':
    case 'smallint':
    case 'int':
    case 'bigint': {
      const size = intSize[t.kind]!;
      if (v === null) return void w.u8(0);
      if (!fixed) w.u8(size);
      const n = Number(v);
      if (size === 1) w.u8(n);
      else if (size === 2) w.i16(n);
      else if (size === 4) w.i32(n);
      else w.i64(BigInt(Math.trunc(n)));
      return;
    }
    case 'bit':
      if (v === null) return void w.u8(0);
      if (!fixed) w.u8(1);
      w.u8(v === true || (typeof v === 'number' && v !== 0) ? 1 : 0);
      return;
    case 'real':
    case 'float':
      if (v === null) return void w.u8(0);
      if (!fixed) w.u8(t.kind === 'real' ? 4 : 8);
      if (t.kind === 'real') w.f32(Number(v));
      else w.f64(Number(v));
      return;
    case 'datetime': {
      if (v === null) return void w.u8(0);
      if (!fixed) w.u8(8);
      const d = v as Date;
      const { days, msOfDay } = dateParts(d);
      const ticks = Math.round((msOfDay * 300) / 1000);
      // days since 1900-01-01
      w.i32(days - EPOCH_DAYS + 25567).u32(ticks);
      return;
    }
    case 'decimal': {
      if (v === null) return void w.u8(0);
      const p = t.precision ?? 18;
      const size = decimalBytes(p);
      const n = Number(v);
      const scaled = BigInt(Math.abs(n).toFixed(t.scale ?? 0).replace('.', ''));
      w.u8(size).u8(n < 0 ? 0 : 1);
      let rest = scaled;
      for (let i = 0; i < size - 1; i++) {
        w.u8(Number(rest & 0xffn));
        rest >>= 8n;
      }
      return;
    }
    case 'nvarchar':
    case 'varchar':
    case 'varbinary': {
      if (t.length === -1) {
        if (v === null) return void w.u64(PLP_NULL);
        return writePlp(w, stringBytes(v, t.kind));
      }
      if (v === null) return void w.u16(0xffff);
      const b = stringBytes(v, t.kind);
      w.u16(b.length).bytes(b);
      return;
    }
    case 'datetime2': {
      if (v === null) return void w.u8(0);
      const scale = t.scale ?? 7;
      const tb = timeBytes(scale);
      const { days, msOfDay } = dateParts(v as Date);
      const ticks = scale >= 3 ? msOfDay * 10 ** (scale - 3) : Math.floor(msOfDay / 10 ** (3 - scale));
      w.u8(tb + 3);
      writeUIntLE(w, ticks, tb);
      writeUIntLE(w, days, 3);
      return;
    }
    case 'date': {
      if (v === null) return void w.u8(0);
      w.u8(3);
      writeUIntLE(w, dateParts(v as Date).days, 3);
      return;
    }
    case 'uniqueidentifier':
      if (v === null) return void w.u8(0);
      w.u8(16).bytes(guidBytes(String(v)));
      return;
  }
}

// ---- RPC parameters (client -> server) -------------------------------------------------------

export interface TypeInfo {
  id: number;
  size: number;
  precision: number;
  scale: number;
  /** SqlType the parameter takes in expressions */
  type: SqlType | null;
}

export function readTypeInfo(r: Reader): TypeInfo {
  const id = r.u8();
  const ti: TypeInfo = { id, size: 0, precision: 0, scale: 0, type: null };
  switch (id) {
    case T.Null:
      return ti;
    case T.Int1: return { ...ti, size: 1, type: { kind: 'tinyint' } };
    case T.Int2: return { ...ti, size: 2, type: { kind: 'smallint' } };
    case T.Int4: return { ...ti, size: 4, type: { kind: 'int' } };
    case T.Int8: return { ...ti, size: 8, type: { kind: 'bigint' } };
    case T.Bit: return { ...ti, size: 1, type: { kind: 'bit' } };
    case T.Flt4: return { ...ti, size: 4, type: { kind: 'real' } };
    case T.Flt8: return { ...ti, size: 8, type: { kind: 'float' } };
    case T.DateTime: return { ...ti, size: 8, type: { kind: 'datetime' } };
    case T.DateTim4: return { ...ti, size: 4, type: { kind: 'datetime' } };
    case T.IntN: {
      const size = r.u8();
      const kind = ({ 1: 'tinyint', 2: 'smallint', 4: 'int', 8: 'bigint' } as const)[size as 1];
      if (!kind) throw new ProtocolError(`INTN of size ${size}`);
      return { ...ti, size, type: { kind } };
    }
    case T.BitN:
      return { ...ti, size: r.u8(), type: { kind: 'bit' } };
    case T.FltN: {
      const size = r.u8();
      return { ...ti, size, type: { kind: size === 4 ? 'real' : 'float' } };
    }
    case T.DateTimN:
      return { ...ti, size: r.u8(), type: { kind: 'datetime' } };
    case T.Guid:
      return { ...ti, size: r.u8(), type: { kind: 'uniqueidentifier' } };
    case T.DecimalN:
    case T.NumericN: {
      const size = r.u8();
      const precision = r.u8();
      const scale = r.u8();
      return { ...ti, size, precision, scale, type: { kind: 'decimal', precision: Math.min(Math.max(precision, 1), 38), scale: Math.min(scale, 38) } };
    }
    case T.NVarChar:
    case T.NChar:
    case T.BigVarChr:
    case T.BigChar: {
      const size = r.u16();
      r.bytes(5);
      const wide = id === T.NVarChar || id === T.NChar;
      const length = size === 0xffff ? -1 : wide ? size / 2 : size;
      return { ...ti, size, type: { kind: wide ? 'nvarchar' : 'varchar', length: length === 0 ? 1 : length } };
    }
    case T.BigVarBin:
    case T.BigBinary: {
      const size = r.u16();
      return { ...ti, size, type: { kind: 'varbinary', length: size === 0xffff ? -1 : size || 1 } };
    }
    case T.Text:
    case T.NText: {
      const size = r.u32();
      r.bytes(5);
      return { ...ti, size, type: { kind: id === T.NText ? 'nvarchar' : 'varchar', length: -1 } };
    }
    case T.Image:
      return { ...ti, size: r.u32(), type: { kind: 'varbinary', length: -1 } };
    case T.DateN:
      return { ...ti, type: { kind: 'date' } };
    case T.DateTime2N:
    case T.DateTimeOffsetN: {
      const scale = r.u8();
      if (scale > 7) throw new ProtocolError(`time scale ${scale}`);
      return { ...ti, scale, type: { kind: 'datetime2', scale } };
    }
    case T.TimeN:
    case T.MoneyN:
    default:
      throw new SqlError(8016, `The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter type 0x${id.toString(16).padStart(2, '0')} is not supported by the simulator.`, 16, 1);
  }
}

function readUIntLE(b: Buffer): number {
  let v = 0;
  for (let i = b.length - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}

function readPlp(r: Reader): Buffer | null {
  const total = r.u64();
  if (total === PLP_NULL) return null;
  const parts: Buffer[] = [];
  for (;;) {
    const len = r.u32();
    if (len === 0) break;
    parts.push(r.bytes(len));
  }
  return Buffer.concat(parts);
}

function dateFrom(days: number, msOfDay: number): Date {
  return new Date((days - EPOCH_DAYS) * MS_PER_DAY + msOfDay);
}

/** Value of a parameter of the given TYPE_INFO (MS-TDS 2.2.5.2 and 2.2.6.6). */
export function readValue(r: Reader, ti: TypeInfo): SqlValue {
  switch (ti.id) {
    case T.Null:
      return null;
    case T.Int1: return r.u8();
    case T.Int2: return r.i16();
    case T.Int4: return r.i32();
    case T.Int8: return Number(r.i64());
    case T.Bit: return r.u8() !== 0;
    case T.Flt4: return r.f32();
    case T.Flt8: return r.f64();
    case T.DateTime: {
      const days = r.i32();
      const ticks = r.u32();
      return dateFrom(days + EPOCH_DAYS - 25567, Math.round((ticks * 1000) / 300));
    }
    case T.DateTim4: {
      const days = r.u16();
      const minutes = r.u16();
      return dateFrom(days + EPOCH_DAYS - 25567, minutes * 60_000);
    }
    case T.IntN:
    case T.BitN:
    case T.FltN:
    case T.DateTimN:
    case T.Guid:
    case T.DecimalN:
    case T.NumericN:
    case T.DateN:
    case T.DateTime2N:
    case T.DateTimeOffsetN: {
      const len = r.u8();
      if (len === 0) return null;
      const b = new Reader(r.bytes(len));
      return readVariable(b, ti, len);
    }
    case T.NVarChar:
    case T.NChar:
    case T.BigVarChr:
    case T.BigChar:
    case T.BigVarBin:
    case T.BigBinary: {
      let data: Buffer | null;
      if (ti.size === 0xffff) data = readPlp(r);
      else {
        const len = r.u16();
        data = len === 0xffff ? null : r.bytes(len);
      }
      if (data === null) return null;
      if (ti.id === T.BigVarBin || ti.id === T.BigBinary) return Buffer.from(data);
      return ti.id === T.NVarChar || ti.id === T.NChar ? data.toString('utf16le') : decodeCp1252(data);
    }
    case T.Text:
    case T.NText:
    case T.Image: {
      const len = r.u32();
      if (len === 0xffffffff) return null;
      const data = r.bytes(len);
      return ti.id === T.Image ? Buffer.from(data) : ti.id === T.NText ? data.toString('utf16le') : decodeCp1252(data);
    }
    default:
      throw new ProtocolError(`value of type 0x${ti.id.toString(16)}`);
  }
}

function readVariable(b: Reader, ti: TypeInfo, len: number): SqlValue {
  switch (ti.id) {
    case T.IntN:
      if (len === 1) return b.u8();
      if (len === 2) return b.i16();
      if (len === 4) return b.i32();
      if (len === 8) return Number(b.i64());
      break;
    case T.BitN:
      return b.u8() !== 0;
    case T.FltN:
      if (len === 4) return b.f32();
      if (len === 8) return b.f64();
      break;
    case T.DateTimN:
      if (len === 8) return readValue(b, { ...ti, id: T.DateTime });
      if (len === 4) return readValue(b, { ...ti, id: T.DateTim4 });
      break;
    case T.Guid:
      if (len === 16) return guidString(b.bytes(16));
      break;
    case T.DecimalN:
    case T.NumericN: {
      const sign = b.u8();
      let mag = 0n;
      const bytes = b.bytes(len - 1);
      for (let i = bytes.length - 1; i >= 0; i--) mag = (mag << 8n) | BigInt(bytes[i]!);
      const n = Number(mag) / 10 ** ti.scale;
      return sign === 0 ? -n : n;
    }
    case T.DateN:
      if (len === 3) return dateFrom(readUIntLE(b.bytes(3)), 0);
      break;
    case T.DateTime2N:
    case T.DateTimeOffsetN: {
      const tb = timeBytes(ti.scale);
      const ticks = readUIntLE(b.bytes(tb));
      const days = readUIntLE(b.bytes(3));
      // DATETIMEOFFSET carries UTC date and time plus the offset, which a Date does not need
      const ms = ti.scale >= 3 ? Math.floor(ticks / 10 ** (ti.scale - 3)) : ticks * 10 ** (3 - ti.scale);
      return dateFrom(days, ms);
    }
  }
  throw new ProtocolError(`value length ${len} for type 0x${ti.id.toString(16)}`);
}
