/** Typing and evaluation of expressions over a row (or a group of rows, for aggregates). */
import { SqlError, sqlErrors } from '../errors.js';
import type { Table } from '../database.js';
import { coerce, type SqlType, type SqlValue, typeName } from '../types.js';
import type { Expr } from './ast.js';
import { isAggregate } from './parser.js';
import { numberTooLong, toText } from './text.js';

export interface Variable {
  type: SqlType;
  value: SqlValue;
}

/** what an expression can see */
export interface Scope {
  table?: Table;
  /** names the table may be qualified by (its name, alias, INSERTED/DELETED) */
  qualifiers: string[];
  vars: Map<string, Variable>;
  sysvar: (name: string) => Variable | undefined;
  scopeIdentity: () => number | null;
  identCurrent: (table: string) => number | null;
  databaseName: string;
  userName: string;
}

export interface Typed {
  type: SqlType;
  nullable: boolean;
}

const PRECEDENCE: Record<string, number> = {
  datetime2: 20, datetime: 19, date: 18, float: 17, real: 16, decimal: 15, bigint: 14, int: 13, smallint: 12, tinyint: 11, bit: 10,
  uniqueidentifier: 9, nvarchar: 8, varchar: 7, varbinary: 6,
};

function higher(a: SqlType, b: SqlType): SqlType {
  return (PRECEDENCE[a.kind] ?? 0) >= (PRECEDENCE[b.kind] ?? 0) ? a : b;
}

const isString = (t: SqlType) => t.kind === 'nvarchar' || t.kind === 'varchar';
const isDate = (t: SqlType) => t.kind === 'datetime2' || t.kind === 'datetime' || t.kind === 'date';
const BIT: SqlType = { kind: 'bit' };
const INT: SqlType = { kind: 'int' };

/** column position per expression node and table, so that a scan resolves each name once */
const resolved = new WeakMap<object, { table: Table | undefined; i: number }>();

function columnIndex(e: { table?: string; name: string }, scope: Scope): number {
  const t = scope.table;
  const hit = resolved.get(e);
  if (hit && hit.table === t && !e.table) return hit.i;
  if (e.table && !scope.qualifiers.some((q) => q.toLowerCase() === e.table!.toLowerCase())) {
    throw new SqlError(4104, `The multi-part identifier "${e.table}.${e.name}" could not be bound.`, 16, 1);
  }
  const i = t?.columnIndex(e.name);
  if (i === undefined) throw sqlErrors.invalidColumn(e.name);
  resolved.set(e, { table: t, i });
  return i;
}

function variable(name: string, scope: Scope): Variable {
  const v = scope.vars.get(name.toLowerCase());
  if (!v) throw sqlErrors.mustDeclare(name);
  return v;
}

export function containsAggregate(e: Expr): boolean {
  switch (e.k) {
    case 'call':
      return isAggregate(e.name) || e.args.some(containsAggregate);
    case 'unary':
    case 'isnull':
    case 'cast':
      return containsAggregate(e.e);
    case 'bin':
      return containsAggregate(e.l) || containsAggregate(e.r);
    case 'in':
      return containsAggregate(e.e) || e.list.some(containsAggregate);
    case 'between':
      return containsAggregate(e.e) || containsAggregate(e.lo) || containsAggregate(e.hi);
    case 'like':
      return containsAggregate(e.e) || containsAggregate(e.pattern);
    case 'case':
      return (e.operand ? containsAggregate(e.operand) : false) || e.whens.some(([a, b]) => containsAggregate(a) || containsAggregate(b)) || (e.else ? containsAggregate(e.else) : false);
    default:
      return false;
  }
}

/** The result type SQL Server gives the expression (drives COLMETADATA). */
export function typeOf(e: Expr, scope: Scope): Typed {
  switch (e.k) {
    case 'lit':
      return e.t ? { type: e.t, nullable: false } : { type: INT, nullable: true };
    case 'col': {
      const c = scope.table!.columns[columnIndex(e, scope)]!;
      return { type: c.type, nullable: c.nullable };
    }
    case 'param':
      return { type: variable(e.name, scope).type, nullable: true };
    case 'sysvar': {
      const v = scope.sysvar(e.name);
      if (!v) throw sqlErrors.mustDeclare('@@' + e.name);
      return { type: v.type, nullable: v.value === null };
    }
    case 'unary':
      return e.op === 'not' ? { type: BIT, nullable: true } : typeOf(e.e, scope);
    case 'bin': {
      if (['and', 'or', '=', '<>', '<', '>', '<=', '>='].includes(e.op)) return { type: BIT, nullable: true };
      const l = typeOf(e.l, scope);
      const r = typeOf(e.r, scope);
      const nullable = l.nullable || r.nullable;
      if (e.op === '+' && isString(l.type) && isString(r.type)) {
        const kind = l.type.kind === 'nvarchar' || r.type.kind === 'nvarchar' ? 'nvarchar' : 'varchar';
        const len = l.type.length === -1 || r.type.length === -1 ? -1 : (l.type.length ?? 1) + (r.type.length ?? 1);
        return { type: { kind, length: len > (kind === 'nvarchar' ? 4000 : 8000) ? -1 : len }, nullable };
      }
      let type = higher(l.type, r.type);
      if (isString(type)) type = { kind: 'int' };
      if (type.kind === 'bit' || type.kind === 'tinyint' || type.kind === 'smallint') type = INT;
      if (type.kind === 'decimal') type = { kind: 'decimal', precision: 38, scale: Math.max(l.type.scale ?? 0, r.type.scale ?? 0, e.op === '/' ? 6 : 0) };
      return { type, nullable: nullable || e.op === '/' || e.op === '%' };
    }
    case 'in':
    case 'between':
    case 'like':
    case 'isnull':
      return { type: BIT, nullable: true };
    case 'cast':
      return { type: e.type, nullable: typeOf(e.e, scope).nullable };
    case 'case': {
      const branches = [...e.whens.map(([, v]) => v), ...(e.else ? [e.else] : [])].map((b) => typeOf(b, scope));
      const typed = branches.filter((b, i) => !(i >= e.whens.length ? e.else?.k === 'lit' && e.else.v === null : false));
      const type = typed.reduce((a, b) => higher(a, b.type), typed[0]?.type ?? INT);
      return { type, nullable: true };
    }
    case 'call':
      return callType(e, scope);
  }
}

const isNullLiteral = (e: Expr | undefined) => e?.k === 'lit' && e.v === null;

/** how many arguments each function takes (min, max): extra arguments are refused, never ignored */
const ARITY: Record<string, [number, number]> = {
  COUNT: [1, 1], COUNT_BIG: [1, 1], SUM: [1, 1], AVG: [1, 1], MIN: [1, 1], MAX: [1, 1],
  GETDATE: [0, 0], GETUTCDATE: [0, 0], SYSDATETIME: [0, 0], SYSUTCDATETIME: [0, 0], SCOPE_IDENTITY: [0, 0], NEWID: [0, 0],
  IDENT_CURRENT: [1, 1], DB_NAME: [0, 0], USER_NAME: [0, 0], SUSER_SNAME: [0, 0], SUSER_NAME: [0, 0], APP_NAME: [0, 0], HOST_NAME: [0, 0],
  SERVERPROPERTY: [1, 1], ISNULL: [2, 2], COALESCE: [2, 254], NULLIF: [2, 2], IIF: [3, 3], LEN: [1, 1], DATALENGTH: [1, 1],
  CHARINDEX: [2, 3], DATEDIFF: [3, 3], DATEPART: [2, 2], YEAR: [1, 1], MONTH: [1, 1], DAY: [1, 1], DATEADD: [3, 3],
  UPPER: [1, 1], LOWER: [1, 1], LTRIM: [1, 1], RTRIM: [1, 1], TRIM: [1, 1], REPLACE: [3, 3], SUBSTRING: [3, 3], LEFT: [2, 2], RIGHT: [2, 2],
  CONCAT: [2, 254], ABS: [1, 1], ROUND: [2, 3], FLOOR: [1, 1], CEILING: [1, 1],
};

function checkArity(e: Extract<Expr, { k: 'call' }>): void {
  const arity = ARITY[e.name];
  if (!arity) throw sqlErrors.unknownFunction(e.name.toLowerCase());
  const n = e.star ? 1 : e.args.length;
  const [min, max] = arity;
  if (n >= min && n <= max) return;
  const name = e.name.toLowerCase();
  if (min === max) throw new SqlError(174, `The ${name} function requires ${min} argument(s).`, 15, 1);
  throw new SqlError(189, `The ${name} function requires ${min} to ${max} arguments.`, 15, 1);
}

function callType(e: Extract<Expr, { k: 'call' }>, scope: Scope): Typed {
  checkArity(e);
  const arg = (i: number) => {
    const a = e.args[i];
    if (!a) throw new SqlError(174, `The ${e.name.toLowerCase()} function requires ${i + 1} argument(s).`, 15, 1);
    return typeOf(a, scope);
  };
  const nullable = true;
  switch (e.name) {
    case 'COUNT':
      return { type: INT, nullable: false };
    case 'COUNT_BIG':
      return { type: { kind: 'bigint' }, nullable: false };
    case 'MIN':
    case 'MAX':
      return { type: arg(0).type, nullable };
    case 'SUM':
    case 'AVG': {
      const t = arg(0).type;
      if (t.kind === 'real' || t.kind === 'float') return { type: { kind: 'float' }, nullable };
      if (t.kind === 'decimal') return { type: { kind: 'decimal', precision: 38, scale: Math.max(t.scale ?? 0, e.name === 'AVG' ? 6 : 0) }, nullable };
      if (t.kind === 'bigint') return { type: t, nullable };
      if (isString(t) || isDate(t) || t.kind === 'bit') throw new SqlError(8117, `Operand data type ${typeName(t)} is invalid for ${e.name.toLowerCase()} operator.`, 16, 1);
      return { type: INT, nullable };
    }
    case 'GETDATE':
    case 'GETUTCDATE':
      return { type: { kind: 'datetime' }, nullable: false };
    case 'SYSDATETIME':
    case 'SYSUTCDATETIME':
      return { type: { kind: 'datetime2', scale: 7 }, nullable: false };
    case 'SCOPE_IDENTITY':
    case 'IDENT_CURRENT':
      return { type: { kind: 'decimal', precision: 38, scale: 0 }, nullable };
    case 'DB_NAME':
    case 'USER_NAME':
    case 'SUSER_SNAME':
    case 'SUSER_NAME':
    case 'APP_NAME':
    case 'HOST_NAME':
      return { type: { kind: 'nvarchar', length: 128 }, nullable };
    case 'SERVERPROPERTY':
      return { type: { kind: 'nvarchar', length: 128 }, nullable };
    case 'NEWID':
      return { type: { kind: 'uniqueidentifier' }, nullable: false };
    case 'ISNULL':
      // a bare NULL has no type of its own: the replacement's type wins
      return { type: isNullLiteral(e.args[0]) ? arg(1).type : arg(0).type, nullable: arg(1).nullable };
    case 'COALESCE': {
      const typed = e.args.filter((a) => !isNullLiteral(a));
      return { type: (typed.length ? typed : e.args).map((a) => typeOf(a, scope).type).reduce(higher), nullable: e.args.every((a) => typeOf(a, scope).nullable) };
    }
    case 'NULLIF':
      return { type: arg(0).type, nullable };
    case 'IIF':
      return { type: higher(arg(1).type, arg(2).type), nullable };
    case 'LEN':
    case 'DATALENGTH':
    case 'CHARINDEX':
      return { type: INT, nullable };
    case 'DATEDIFF':
    case 'DATEPART':
    case 'YEAR':
    case 'MONTH':
    case 'DAY':
      return { type: INT, nullable };
    case 'DATEADD':
      return { type: arg(2).type, nullable };
    case 'UPPER':
    case 'LOWER':
    case 'LTRIM':
    case 'RTRIM':
    case 'TRIM':
    case 'REPLACE':
    case 'SUBSTRING':
    case 'LEFT':
    case 'RIGHT':
      return { type: isString(arg(0).type) ? arg(0).type : { kind: 'varchar', length: 8000 }, nullable };
    case 'CONCAT':
      return { type: { kind: 'nvarchar', length: 4000 }, nullable: false };
    case 'ABS':
    case 'ROUND':
    case 'FLOOR':
    case 'CEILING':
      return { type: arg(0).type, nullable };
    default:
      throw sqlErrors.unknownFunction(e.name.toLowerCase());
  }
}

// ---- values ----

function toNumber(v: SqlValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  return Number(coerce(v, { kind: 'float' }));
}

/** Comparison with SQL Server's implicit conversions and the server collation (case-insensitive, trailing blanks ignored). */
export function compareValues(a: SqlValue, b: SqlValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    const x = (a.endsWith(' ') ? a.replace(/ +$/, '') : a).toLowerCase();
    const y = (b.endsWith(' ') ? b.replace(/ +$/, '') : b).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Date || b instanceof Date) {
    const x = a instanceof Date ? a : (coerce(a, { kind: 'datetime2', scale: 7 }) as Date);
    const y = b instanceof Date ? b : (coerce(b, { kind: 'datetime2', scale: 7 }) as Date);
    return Math.sign(x.getTime() - y.getTime());
  }
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'string' && typeof b === 'string') return 0;
  const x = typeof a === 'string' ? toNumber(coerce(a, { kind: typeof b === 'number' && !Number.isInteger(b) ? 'float' : 'bigint' })) : toNumber(a);
  const y = typeof b === 'string' ? toNumber(coerce(b, { kind: typeof a === 'number' && !Number.isInteger(a) ? 'float' : 'bigint' })) : toNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeRegex(pattern: string, escape: string | null): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (escape && c === escape && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let set = pattern.slice(i + 1, end);
        if (set.startsWith('^')) set = '^' + set.slice(1).replace(/[\]\\]/g, '\\$&');
        else set = set.replace(/[\]\\^]/g, '\\$&');
        re += `[${set}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re} *$`, 'i');
}

export interface RowContext {
  row: SqlValue[] | null;
  /** rows of the current group, when aggregates are evaluated */
  group?: SqlValue[][];
}

type Tri = boolean | null;

function truth(v: SqlValue): Tri {
  if (v === null) return null;
  return v === true || (typeof v === 'number' && v !== 0);
}

const MS: Record<string, number> = { millisecond: 1, ms: 1, second: 1000, ss: 1000, s: 1000, minute: 60_000, mi: 60_000, n: 60_000, hour: 3_600_000, hh: 3_600_000, day: 86_400_000, dd: 86_400_000, d: 86_400_000, week: 604_800_000, wk: 604_800_000, ww: 604_800_000 };

const MONTH_PARTS: Record<string, number> = { month: 1, mm: 1, m: 1, quarter: 3, qq: 3, q: 3, year: 12, yy: 12, yyyy: 12 };

/** months added as SQL Server adds them: a day past the end of the new month becomes its last day */
function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  const day = r.getUTCDate();
  r.setUTCDate(1);
  r.setUTCMonth(r.getUTCMonth() + months);
  const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
  r.setUTCDate(Math.min(day, last));
  return r;
}

function dateAdd(part: string, n: number, d: Date): Date {
  const ms = MS[part];
  if (ms) return new Date(d.getTime() + Math.trunc(n) * ms);
  const months = MONTH_PARTS[part];
  if (months) return addMonths(d, Math.trunc(n) * months);
  throw new SqlError(155, `'${part}' is not a recognized dateadd option.`, 15, 1);
}

/** 1970-01-04, the first Sunday after the epoch: DATEDIFF(week) counts Sunday boundaries crossed */
const FIRST_SUNDAY = 3 * 86_400_000;

function dateDiff(part: string, a: Date, b: Date): number {
  if (MS[part] === 604_800_000) return Math.floor((b.getTime() - FIRST_SUNDAY) / 604_800_000) - Math.floor((a.getTime() - FIRST_SUNDAY) / 604_800_000);
  const ms = MS[part];
  if (ms) return Math.floor(b.getTime() / ms) - Math.floor(a.getTime() / ms);
  if (part === 'quarter' || part === 'qq' || part === 'q') return (b.getUTCFullYear() - a.getUTCFullYear()) * 4 + Math.floor(b.getUTCMonth() / 3) - Math.floor(a.getUTCMonth() / 3);
  if (part === 'month' || part === 'mm' || part === 'm') return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
  if (part === 'year' || part === 'yy' || part === 'yyyy') return b.getUTCFullYear() - a.getUTCFullYear();
  throw new SqlError(155, `'${part}' is not a recognized datediff option.`, 15, 1);
}

export function evaluate(e: Expr, scope: Scope, ctx: RowContext): SqlValue {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'col': {
      const i = columnIndex(e, scope);
      if (!ctx.row) throw sqlErrors.invalidColumn(e.name);
      return ctx.row[i] ?? null;
    }
    case 'param':
      return variable(e.name, scope).value;
    case 'sysvar': {
      const v = scope.sysvar(e.name);
      if (!v) throw sqlErrors.mustDeclare('@@' + e.name);
      return v.value;
    }
    case 'unary': {
      const v = evaluate(e.e, scope, ctx);
      if (e.op === 'not') {
        const t = truth(v);
        return t === null ? null : !t;
      }
      if (v === null) return null;
      if (e.op === '-') return -toNumber(v);
      if (e.op === '~') return bitwise('~', toNumber(v), 0);
      return v;
    }
    case 'bin':
      return binary(e.op, e.l, e.r, scope, ctx);
    case 'isnull': {
      const isNull = evaluate(e.e, scope, ctx) === null;
      return e.not ? !isNull : isNull;
    }
    case 'in': {
      const v = evaluate(e.e, scope, ctx);
      if (v === null) return null;
      let unknown = false;
      for (const item of e.list) {
        const x = evaluate(item, scope, ctx);
        if (x === null) unknown = true;
        else if (compareValues(v, x) === 0) return !e.not;
      }
      return unknown ? null : e.not;
    }
    case 'between': {
      const v = evaluate(e.e, scope, ctx);
      const lo = evaluate(e.lo, scope, ctx);
      const hi = evaluate(e.hi, scope, ctx);
      if (v === null || lo === null || hi === null) return null;
      const inside = compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0;
      return e.not ? !inside : inside;
    }
    case 'like': {
      const v = evaluate(e.e, scope, ctx);
      const p = evaluate(e.pattern, scope, ctx);
      const esc = e.escape ? evaluate(e.escape, scope, ctx) : null;
      if (v === null || p === null) return null;
      const hit = likeRegex(String(p), esc === null ? null : String(esc)).test(toText(v, typeOf(e.e, scope).type)!);
      return e.not ? !hit : hit;
    }
    case 'cast': {
      const v = evaluate(e.e, scope, ctx);
      const style = e.style ? styleOf(evaluate(e.style, scope, ctx)) : null;
      if (e.type.kind === 'nvarchar' || e.type.kind === 'varchar') {
        const source = typeOf(e.e, scope).type;
        const s = toText(v, source, style);
        if (s === null || e.type.length === -1 || e.type.length === undefined || s.length <= e.type.length) return s;
        return typeof v === 'number' ? numberTooLong(source, e.type) : s.slice(0, e.type.length);
      }
      // a style tells how to read a date string: only the ISO forms, read the same by every style, are served
      if (style !== null && isDate(e.type) && typeof v === 'string' && ![0, 20, 21, 23, 100, 120, 121, 126, 127].includes(style)) {
        throw sqlErrors.unsupported(`CONVERT style ${style} for reading ${e.type.kind}`);
      }
      if (['int', 'bigint', 'smallint', 'tinyint'].includes(e.type.kind) && typeof v === 'string' && /\./.test(v)) throw sqlErrors.conversion('varchar', v, e.type.kind);
      return coerce(v, e.type);
    }
    case 'case': {
      const operand = e.operand ? evaluate(e.operand, scope, ctx) : undefined;
      for (const [w, then] of e.whens) {
        const hit = operand === undefined ? truth(evaluate(w, scope, ctx)) === true : operand !== null && compareValues(operand, evaluate(w, scope, ctx)) === 0;
        if (hit) return evaluate(then, scope, ctx);
      }
      return e.else ? evaluate(e.else, scope, ctx) : null;
    }
    case 'call':
      return call(e, scope, ctx);
  }
}

/** WHERE / ON semantics: only TRUE passes (NULL = unknown does not). */
export function test(e: Expr, scope: Scope, ctx: RowContext): boolean {
  return truth(evaluate(e, scope, ctx)) === true;
}

function binary(op: string, le: Expr, re: Expr, scope: Scope, ctx: RowContext): SqlValue {
  if (op === 'and') {
    const l = truth(evaluate(le, scope, ctx));
    if (l === false) return false;
    const r = truth(evaluate(re, scope, ctx));
    if (r === false) return false;
    return l === null || r === null ? null : true;
  }
  if (op === 'or') {
    const l = truth(evaluate(le, scope, ctx));
    if (l === true) return true;
    const r = truth(evaluate(re, scope, ctx));
    if (r === true) return true;
    return l === null || r === null ? null : false;
  }
  const l = evaluate(le, scope, ctx);
  const r = evaluate(re, scope, ctx);
  if (l === null || r === null) return null;
  switch (op) {
    case '=':
      return compareValues(l, r) === 0;
    case '<>':
      return compareValues(l, r) !== 0;
    case '<':
      return compareValues(l, r) < 0;
    case '>':
      return compareValues(l, r) > 0;
    case '<=':
      return compareValues(l, r) <= 0;
    case '>=':
      return compareValues(l, r) >= 0;
  }
  if (op === '+' && typeof l === 'string' && typeof r === 'string') return l + r;
  if (l instanceof Date || r instanceof Date) {
    // only DATETIME takes days added or subtracted as numbers; other date arithmetic is an error in SQL Server
    const lt = typeOf(le, scope).type;
    if ((op === '+' || op === '-') && lt.kind === 'datetime' && typeof r === 'number') return new Date((l as Date).getTime() + (op === '+' ? r : -r) * 86_400_000);
    const bad = l instanceof Date ? lt : typeOf(re, scope).type;
    throw new SqlError(8117, `Operand data type ${typeName(bad)} is invalid for ${OPERATOR_NAMES[op] ?? op} operator.`, 16, 1);
  }
  const x = toNumber(l);
  const y = toNumber(r);
  const integral = typeOf({ k: 'bin', op, l: le, r: re }, scope).type;
  const isInt = ['int', 'bigint'].includes(integral.kind);
  if (op === '&' || op === '|' || op === '^' || (op === '%' && ['float', 'real'].includes(integral.kind))) {
    const lt = typeOf(le, scope).type;
    const rt = typeOf(re, scope).type;
    const integer = (t: SqlType) => ['bit', 'tinyint', 'smallint', 'int', 'bigint'].includes(t.kind) || (op === '%' && t.kind === 'decimal');
    if (!integer(lt) || !integer(rt)) {
      throw new SqlError(402, `The data types ${typeName(lt)} and ${typeName(rt)} are incompatible in the ${op === '%' ? 'modulo' : `'${op}'`} operator.`, 16, 1);
    }
  }
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw sqlErrors.divideByZero();
      return isInt ? Math.trunc(x / y) : x / y;
    case '%':
      if (y === 0) throw sqlErrors.divideByZero();
      return x % y;
    case '&':
    case '|':
    case '^':
      return bitwise(op, x, y);
  }
  throw sqlErrors.syntax(op);
}

const OPERATOR_NAMES: Record<string, string> = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'modulo' };

/** bitwise operators on up to 64-bit integers (JavaScript's own work on 32 bits) */
function bitwise(op: '&' | '|' | '^' | '~', x: number, y: number): number {
  const int32 = (n: number) => n === (n | 0);
  if (int32(x) && int32(y)) return op === '&' ? x & y : op === '|' ? x | y : op === '^' ? x ^ y : ~x;
  const a = BigInt.asIntN(64, BigInt(Math.trunc(x)));
  const b = BigInt.asIntN(64, BigInt(Math.trunc(y)));
  return Number(BigInt.asIntN(64, op === '&' ? a & b : op === '|' ? a | b : op === '^' ? a ^ b : ~a));
}

/** CONVERT's style argument */
function styleOf(v: SqlValue): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SqlError(8116, 'Argument data type is invalid for argument 3 of convert function.', 16, 1);
  return v;
}

function aggregate(e: Extract<Expr, { k: 'call' }>, scope: Scope, ctx: RowContext): SqlValue {
  const rows = ctx.group ?? (ctx.row ? [ctx.row] : []);
  if (e.star) return rows.length;
  let values: SqlValue[] = rows.map((row) => evaluate(e.args[0]!, scope, { row })).filter((v) => v !== null);
  if (e.distinct) {
    const seen: SqlValue[] = [];
    for (const v of values) if (!seen.some((s) => compareValues(s, v) === 0)) seen.push(v);
    values = seen;
  }
  switch (e.name) {
    case 'COUNT':
    case 'COUNT_BIG':
      return values.length;
    case 'MIN':
      return values.reduce<SqlValue>((a, b) => (a === null || compareValues(b, a) < 0 ? b : a), null);
    case 'MAX':
      return values.reduce<SqlValue>((a, b) => (a === null || compareValues(b, a) > 0 ? b : a), null);
    case 'SUM':
      return values.length ? values.reduce<number>((a, b) => a + toNumber(b), 0) : null;
    case 'AVG': {
      if (!values.length) return null;
      const avg = values.reduce<number>((a, b) => a + toNumber(b), 0) / values.length;
      const t = typeOf(e, scope).type;
      return t.kind === 'int' || t.kind === 'bigint' ? Math.trunc(avg) : avg;
    }
  }
  return null;
}

function call(e: Extract<Expr, { k: 'call' }>, scope: Scope, ctx: RowContext): SqlValue {
  if (isAggregate(e.name)) {
    checkArity(e);
    if (!ctx.group) throw sqlErrors.aggregateInWhere();
    return aggregate(e, scope, ctx);
  }
  const args = () => e.args.map((a) => evaluate(a, scope, ctx));
  const a = (i: number) => evaluate(e.args[i]!, scope, ctx);
  /** argument i as character data, converted as its type converts */
  const text = (i: number) => toText(a(i), typeOf(e.args[i]!, scope).type);
  typeOf(e, scope); // validates the function name and argument count
  switch (e.name) {
    case 'GETDATE':
    case 'GETUTCDATE':
    case 'SYSDATETIME':
    case 'SYSUTCDATETIME':
      // the simulated server's clock is UTC, as a plant server's often is
      return new Date();
    case 'SCOPE_IDENTITY':
      return scope.scopeIdentity();
    case 'IDENT_CURRENT':
      return scope.identCurrent(String(a(0)));
    case 'DB_NAME':
      return scope.databaseName;
    case 'USER_NAME':
      return 'dbo';
    case 'SUSER_SNAME':
    case 'SUSER_NAME':
      return scope.userName;
    case 'APP_NAME':
    case 'HOST_NAME':
      return scope.sysvar('__' + e.name)?.value ?? '';
    case 'SERVERPROPERTY': {
      const p = String(a(0)).toLowerCase();
      const v = scope.sysvar('__PROP_' + p.toUpperCase());
      return v ? v.value : null;
    }
    case 'NEWID':
      return crypto.randomUUID().toUpperCase();
    case 'ISNULL': {
      const v = a(0);
      return v === null ? a(1) : v;
    }
    case 'COALESCE':
      for (const x of e.args) {
        const v = evaluate(x, scope, ctx);
        if (v !== null) return v;
      }
      return null;
    case 'NULLIF': {
      const [x, y] = args();
      return x !== null && y !== null && compareValues(x!, y!) === 0 ? null : x!;
    }
    case 'IIF':
      return test(e.args[0]!, scope, ctx) ? a(1) : a(2);
    case 'LEN': {
      const v = text(0);
      return v === null ? null : v.replace(/ +$/, '').length;
    }
    case 'DATALENGTH': {
      const v = a(0);
      return v === null ? null : dataLength(v, typeOf(e.args[0]!, scope).type);
    }
    case 'CHARINDEX': {
      const [x, y, start] = [text(0), text(1), e.args[2] ? a(2) : 1];
      if (x === null || y === null || start === null) return null;
      if (x === '') return 0;
      return y.toLowerCase().indexOf(x.toLowerCase(), Math.max(toNumber(start) - 1, 0)) + 1;
    }
    case 'UPPER':
    case 'LOWER':
    case 'LTRIM':
    case 'RTRIM':
    case 'TRIM': {
      const s = text(0);
      if (s === null) return null;
      // the trims take blanks only, not tabs or line breaks
      return e.name === 'UPPER' ? s.toUpperCase() : e.name === 'LOWER' ? s.toLowerCase() : e.name === 'LTRIM' ? s.replace(/^ +/, '') : e.name === 'RTRIM' ? s.replace(/ +$/, '') : s.replace(/^ +| +$/g, '');
    }
    case 'REPLACE': {
      const [s, f, r] = args();
      if (s === null || f === null || r === null) return null;
      return String(s).split(new RegExp(String(f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')).join(String(r));
    }
    case 'SUBSTRING': {
      const [s, start, len] = args();
      if (s === null || start === null || len === null) return null;
      if (toNumber(len!) < 0) throw new SqlError(537, 'Invalid length parameter passed to the LEFT or SUBSTRING function.', 16, 1);
      const from = toNumber(start!) - 1;
      return String(s).slice(Math.max(from, 0), Math.max(from + toNumber(len!), 0));
    }
    case 'LEFT':
    case 'RIGHT': {
      const [s, n] = [text(0), a(1)];
      if (s === null || n === null) return null;
      const str = s;
      const k = toNumber(n);
      if (k < 0) throw new SqlError(e.name === 'LEFT' ? 537 : 536, `Invalid length parameter passed to the ${e.name === 'LEFT' ? 'LEFT or SUBSTRING' : 'RIGHT'} function.`, 16, 1);
      return e.name === 'LEFT' ? str.slice(0, k) : str.slice(Math.max(0, str.length - k));
    }
    case 'CONCAT':
      return e.args.map((_, i) => text(i) ?? '').join('');
    case 'ABS':
    case 'FLOOR':
    case 'CEILING': {
      const v = a(0);
      if (v === null) return null;
      const n = toNumber(v);
      return e.name === 'ABS' ? Math.abs(n) : e.name === 'FLOOR' ? Math.floor(n) : Math.ceil(n);
    }
    case 'ROUND': {
      const [v, d, truncate] = args();
      if (v === null || d === null) return null;
      return round(toNumber(v!), Math.trunc(toNumber(d!)), truncate !== undefined && truncate !== null && toNumber(truncate) !== 0);
    }
    case 'DATEADD': {
      const [part, n, d] = args();
      if (n === null || d === null) return null;
      return dateAdd(String(part), toNumber(n!), coerce(d!, { kind: 'datetime2', scale: 7 }) as Date);
    }
    case 'DATEDIFF': {
      const [part, x, y] = args();
      if (x === null || y === null) return null;
      return dateDiff(String(part), coerce(x!, { kind: 'datetime2', scale: 7 }) as Date, coerce(y!, { kind: 'datetime2', scale: 7 }) as Date);
    }
    case 'DATEPART':
    case 'YEAR':
    case 'MONTH':
    case 'DAY': {
      const part = e.name === 'DATEPART' ? String(a(0)) : e.name.toLowerCase();
      const v = e.name === 'DATEPART' ? a(1) : a(0);
      if (v === null) return null;
      const d = coerce(v, { kind: 'datetime2', scale: 7 }) as Date;
      const parts: Record<string, number> = {
        year: d.getUTCFullYear(), yy: d.getUTCFullYear(), yyyy: d.getUTCFullYear(), month: d.getUTCMonth() + 1, mm: d.getUTCMonth() + 1, m: d.getUTCMonth() + 1,
        day: d.getUTCDate(), dd: d.getUTCDate(), d: d.getUTCDate(), hour: d.getUTCHours(), hh: d.getUTCHours(), minute: d.getUTCMinutes(), mi: d.getUTCMinutes(),
        second: d.getUTCSeconds(), ss: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds(), ms: d.getUTCMilliseconds(), weekday: d.getUTCDay() + 1, dw: d.getUTCDay() + 1,
      };
      const r = parts[part];
      if (r === undefined) throw new SqlError(155, `'${part}' is not a recognized datepart option.`, 15, 1);
      return r;
    }
  }
  throw sqlErrors.unknownFunction(e.name.toLowerCase());
}

/** ROUND: halves away from zero, on the decimal digits as written (1.005 to 2 places is 1.01); or truncated */
function round(n: number, digits: number, truncate: boolean): number {
  const shift = (x: number, by: number) => {
    const [mantissa, exp = '0'] = String(x).split('e');
    return Number(`${mantissa}e${Number(exp) + by}`);
  };
  const scaled = shift(Math.abs(n), digits);
  if (!Number.isFinite(scaled)) return n;
  return Math.sign(n) * shift(truncate ? Math.trunc(scaled) : Math.round(scaled), -digits);
}

const FIXED_BYTES: Partial<Record<SqlType['kind'], number>> = { tinyint: 1, smallint: 2, int: 4, bigint: 8, bit: 1, real: 4, float: 8, datetime: 8, date: 3, uniqueidentifier: 16 };

/** DATALENGTH: bytes as SQL Server stores the value (varchar one byte per character, nvarchar two) */
function dataLength(v: Exclude<SqlValue, null>, t: SqlType): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (t.kind === 'varchar') return String(v).length;
  if (t.kind === 'nvarchar') return String(v).length * 2;
  if (t.kind === 'decimal') return (t.precision ?? 18) <= 9 ? 5 : (t.precision ?? 18) <= 19 ? 9 : (t.precision ?? 18) <= 28 ? 13 : 17;
  if (t.kind === 'datetime2') return (t.scale ?? 7) <= 2 ? 6 : (t.scale ?? 7) <= 4 ? 7 : 8;
  return FIXED_BYTES[t.kind] ?? 8;
}
