/** Typing and evaluation of expressions over a row (or a group of rows, for aggregates). */
import { SqlError, sqlErrors } from '../errors.js';
import type { Table } from '../database.js';
import { coerce, type SqlType, type SqlValue, typeName } from '../types.js';
import type { Expr } from './ast.js';
import { isAggregate } from './parser.js';

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

function callType(e: Extract<Expr, { k: 'call' }>, scope: Scope): Typed {
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

function dateAdd(part: string, n: number, d: Date): Date {
  const ms = MS[part];
  if (ms) return new Date(d.getTime() + Math.trunc(n) * ms);
  const r = new Date(d.getTime());
  if (part === 'month' || part === 'mm' || part === 'm') r.setUTCMonth(r.getUTCMonth() + Math.trunc(n));
  else if (part === 'year' || part === 'yy' || part === 'yyyy') r.setUTCFullYear(r.getUTCFullYear() + Math.trunc(n));
  else throw new SqlError(155, `'${part}' is not a recognized dateadd option.`, 15, 1);
  return r;
}

function dateDiff(part: string, a: Date, b: Date): number {
  const ms = MS[part];
  if (ms) return Math.floor(b.getTime() / ms) - Math.floor(a.getTime() / ms);
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
    case 'sysvar':
      return scope.sysvar(e.name)?.value ?? null;
    case 'unary': {
      const v = evaluate(e.e, scope, ctx);
      if (e.op === 'not') {
        const t = truth(v);
        return t === null ? null : !t;
      }
      if (v === null) return null;
      if (e.op === '-') return -toNumber(v);
      if (e.op === '~') return ~toNumber(v);
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
      const hit = likeRegex(String(p), esc === null ? null : String(esc)).test(String(coerce(v, { kind: 'nvarchar', length: -1 })));
      return e.not ? !hit : hit;
    }
    case 'cast': {
      const v = evaluate(e.e, scope, ctx);
      if (e.type.kind === 'nvarchar' || e.type.kind === 'varchar') {
        const s = coerce(v, e.type) as string | null;
        return s === null || e.type.length === -1 || e.type.length === undefined ? s : s.slice(0, e.type.length);
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
  if ((op === '+' || op === '-') && l instanceof Date && typeof r === 'number') return new Date(l.getTime() + (op === '+' ? r : -r) * 86_400_000);
  const x = toNumber(l);
  const y = toNumber(r);
  const integral = typeOf({ k: 'bin', op, l: le, r: re }, scope).type;
  const isInt = ['int', 'bigint'].includes(integral.kind);
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
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
  }
  throw sqlErrors.syntax(op);
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
    if (!ctx.group) throw sqlErrors.aggregateInWhere();
    return aggregate(e, scope, ctx);
  }
  const args = () => e.args.map((a) => evaluate(a, scope, ctx));
  const a = (i: number) => evaluate(e.args[i]!, scope, ctx);
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
      const v = a(0);
      return v === null ? null : String(coerce(v, { kind: 'nvarchar', length: -1 })).replace(/ +$/, '').length;
    }
    case 'DATALENGTH': {
      const v = a(0);
      if (v === null) return null;
      return Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length * 2 : 8;
    }
    case 'CHARINDEX': {
      const [x, y] = args();
      return x === null || y === null ? null : String(y).toLowerCase().indexOf(String(x).toLowerCase()) + 1;
    }
    case 'UPPER':
    case 'LOWER':
    case 'LTRIM':
    case 'RTRIM':
    case 'TRIM': {
      const v = a(0);
      if (v === null) return null;
      const s = String(coerce(v, { kind: 'nvarchar', length: -1 }));
      return e.name === 'UPPER' ? s.toUpperCase() : e.name === 'LOWER' ? s.toLowerCase() : e.name === 'LTRIM' ? s.replace(/^ +/, '') : e.name === 'RTRIM' ? s.replace(/ +$/, '') : s.trim();
    }
    case 'REPLACE': {
      const [s, f, r] = args();
      if (s === null || f === null || r === null) return null;
      return String(s).split(new RegExp(String(f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')).join(String(r));
    }
    case 'SUBSTRING': {
      const [s, start, len] = args();
      if (s === null || start === null || len === null) return null;
      const from = toNumber(start!) - 1;
      return String(s).slice(Math.max(from, 0), Math.max(from + toNumber(len!), 0));
    }
    case 'LEFT':
    case 'RIGHT': {
      const [s, n] = args();
      if (s === null || n === null) return null;
      const str = String(s);
      const k = Math.max(0, toNumber(n!));
      return e.name === 'LEFT' ? str.slice(0, k) : str.slice(Math.max(0, str.length - k));
    }
    case 'CONCAT':
      return args().map((v) => (v === null ? '' : String(coerce(v, { kind: 'nvarchar', length: -1 })))).join('');
    case 'ABS':
    case 'FLOOR':
    case 'CEILING': {
      const v = a(0);
      if (v === null) return null;
      const n = toNumber(v);
      return e.name === 'ABS' ? Math.abs(n) : e.name === 'FLOOR' ? Math.floor(n) : Math.ceil(n);
    }
    case 'ROUND': {
      const [v, d] = args();
      if (v === null || d === null) return null;
      const f = 10 ** toNumber(d!);
      return Math.round(toNumber(v!) * f) / f;
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
