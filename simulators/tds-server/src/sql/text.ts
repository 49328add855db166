/** Conversions to character data as SQL Server makes them: by the source type, and by CONVERT's style. */
import { SqlError, sqlErrors } from '../errors.js';
import { coerce, type SqlType, type SqlValue, typeName } from '../types.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** style 0/100: "mon dd yyyy hh:miAM", day and hour padded with blanks */
function monFormat(d: Date): string {
  const h = d.getUTCHours();
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate(), 2, ' ')} ${d.getUTCFullYear()} ${pad(h % 12 || 12, 2, ' ')}:${pad(d.getUTCMinutes())}${h < 12 ? 'AM' : 'PM'}`;
}

const isoDate = (d: Date) => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const isoTime = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
/** the fraction of a second with `digits` digits (the store keeps milliseconds) */
const fraction = (d: Date, digits: number) => (digits > 0 ? '.' + (pad(d.getUTCMilliseconds(), 3) + '0000').slice(0, digits) : '');

function dateText(d: Date, t: SqlType, style: number | null): string {
  const digits = t.kind === 'datetime' ? 3 : t.kind === 'datetime2' ? (t.scale ?? 7) : 0;
  if (t.kind === 'date') {
    if (style === null || style === 0 || style === 23 || style === 121) return isoDate(d);
  } else {
    switch (style) {
      case null:
        return t.kind === 'datetime' ? monFormat(d) : `${isoDate(d)} ${isoTime(d)}${fraction(d, digits)}`;
      case 0:
      case 100:
        return monFormat(d);
      case 20:
      case 120:
        return `${isoDate(d)} ${isoTime(d)}`;
      case 21:
      case 121:
        return `${isoDate(d)} ${isoTime(d)}${fraction(d, digits)}`;
      case 23:
        return isoDate(d);
      case 126:
      case 127: {
        // datetime leaves out a zero millisecond part in the ISO 8601 styles
        const frac = t.kind === 'datetime' && d.getUTCMilliseconds() === 0 ? '' : fraction(d, digits);
        return `${isoDate(d)}T${isoTime(d)}${frac}${style === 127 ? 'Z' : ''}`;
      }
    }
  }
  throw sqlErrors.unsupported(`CONVERT style ${style} for ${typeName(t)}`);
}

/** float and real in style 0: at most 6 significant digits, scientific notation with a 3-digit exponent when needed */
function floatText(n: number): string {
  if (n === 0) return '0';
  const [mantissa, exp] = n.toExponential(5).split('e') as [string, string];
  const e = Number(exp);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= 6) return `${trim(mantissa)}e${e < 0 ? '-' : '+'}${pad(Math.abs(e), 3)}`;
  return trim(n.toFixed(5 - e));
}

/**
 * `v` (of type `t`) as character data, as CAST and CONVERT(..., style) give it; null stays null. Styles
 * the simulator does not implement are refused, never ignored.
 */
export function toText(v: SqlValue, t: SqlType, style: number | null = null): string | null {
  if (v === null) return null;
  if (v instanceof Date) return dateText(v, t, style);
  if (style !== null && style !== 0 && !['int', 'bigint', 'smallint', 'tinyint', 'decimal', 'bit', 'nvarchar', 'varchar'].includes(t.kind)) {
    throw sqlErrors.unsupported(`CONVERT style ${style} for ${typeName(t)}`);
  }
  if (typeof v === 'number') {
    if (t.kind === 'float' || t.kind === 'real') return floatText(v);
    if (t.kind === 'decimal') return v.toFixed(t.scale ?? 0);
  }
  return coerce(v, { kind: 'nvarchar', length: -1 }) as string;
}

/**
 * A number converted to a string too short for it: '*' for an integer into varchar, error 8115 otherwise
 * (SQL Server does not cut numbers as it cuts strings).
 */
export function numberTooLong(source: SqlType, target: SqlType): string {
  if (target.kind === 'varchar' && ['int', 'bigint', 'smallint', 'tinyint'].includes(source.kind)) return '*';
  throw new SqlError(8115, `Arithmetic overflow error converting ${typeName(source)} to data type ${target.kind}.`, 16, 1);
}
