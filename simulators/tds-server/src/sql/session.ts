/** Statement execution against a database, with the session state a connection carries. */
import type { SqlDatabase, Table, Row, WriteEvent } from '../database.js';
import { SqlError, sqlErrors, statementTerminating } from '../errors.js';
import { serverVersion } from '../prelogin.js';
import type { ResultColumn } from '../tokens.js';
import { coerce, parseTypeName, type SqlType, type SqlValue } from '../types.js';
import type { AssignOp, Expr, OutputItem, ParsedStatement, Select, Statement, TableRef } from './ast.js';
import { compareValues, containsAggregate, evaluate, type Scope, test, typeOf, type Variable } from './eval.js';
import { parseBatch } from './parser.js';

export const CurCmd = { Select: 0xc1, Insert: 0xc3, Delete: 0xc4, Update: 0xc5, Set: 0xb9, Declare: 0xbf, Other: 0 } as const;

export interface ResultSet {
  columns: ResultColumn[];
  rows: SqlValue[][];
}

/** What one statement produced, in the order the server reports it. */
export interface Outcome {
  curCmd: number;
  /** rows affected or returned; undefined for statements without a count (SET, DECLARE) */
  rowCount?: number;
  result?: ResultSet;
  /** the statement changed the current database (USE) */
  database?: { name: string; old: string };
  /** the statement failed, and the batch goes on (see statementTerminating) */
  error?: SqlError;
  /** the statement began, committed or rolled back a transaction */
  transaction?: 'begin' | 'commit' | 'rollback';
}

export interface SessionInfo {
  spid: number;
  userName: string;
  appName: string;
  hostName: string;
  serverName: string;
}

export const VERSION_TEXT = `Microsoft SQL Server 2022 (RTM) - ${serverVersion.major}.${serverVersion.minor}.${serverVersion.build}.${serverVersion.sub} (X64) \n\tplant-twin TDS simulator\n\tDeveloper Edition (64-bit) on Linux\n`;

/**
 * SET options whose other value would change results: the simulator behaves as the value given here (the
 * one drivers set) and refuses the other, rather than answering as if it had applied it.
 */
const fixedOptions: Record<string, 'ON' | 'OFF'> = {
  ANSI_NULLS: 'ON', ANSI_WARNINGS: 'ON', ANSI_PADDING: 'ON', QUOTED_IDENTIFIER: 'ON', CONCAT_NULL_YIELDS_NULL: 'ON',
  IMPLICIT_TRANSACTIONS: 'OFF', XACT_ABORT: 'OFF', NUMERIC_ROUNDABORT: 'OFF', FMTONLY: 'OFF', NOEXEC: 'OFF', PARSEONLY: 'OFF',
  SHOWPLAN_ALL: 'OFF', SHOWPLAN_TEXT: 'OFF', SHOWPLAN_XML: 'OFF', 'STATISTICS IO': 'OFF', 'STATISTICS TIME': 'OFF',
  'STATISTICS PROFILE': 'OFF', 'STATISTICS XML': 'OFF',
};
/** ON/OFF options that change no result of this store (ARITHABORT and ARITHIGNORE: ANSI_WARNINGS is ON); kept for @@OPTIONS */
const optionBits: Record<string, number> = {
  CURSOR_CLOSE_ON_COMMIT: 4, ARITHABORT: 64, ARITHIGNORE: 128, NOCOUNT: 512, ANSI_NULL_DFLT_ON: 1024, ANSI_NULL_DFLT_OFF: 2048,
  NO_BROWSETABLE: 0, FORCEPLAN: 0, REMOTE_PROC_TRANSACTIONS: 0,
};
/** @@OPTIONS bits of the fixed options at their served values */
const fixedBits = 8 /* ANSI_WARNINGS */ + 16 /* ANSI_PADDING */ + 32 /* ANSI_NULLS */ + 256 /* QUOTED_IDENTIFIER */ + 4096; /* CONCAT_NULL_YIELDS_NULL */
/** options that take a value rather than ON/OFF and change nothing here */
const valueOptions = new Set(['DEADLOCK_PRIORITY', 'QUERY_GOVERNOR_COST_LIMIT', 'CONTEXT_INFO', 'TRANSACTION ISOLATION LEVEL']);
const defaultTextSize = 2147483647;
const loginOptions = (): Set<string> => new Set(['ARITHABORT', 'ANSI_NULL_DFLT_ON']);

export class Session {
  scopeIdentity: number | null = null;
  lastIdentity: number | null = null;
  rowCount = 0;
  /** the error number of the last statement, 0 if it succeeded (@@ERROR) */
  lastError = 0;
  nocount = false;
  language = 'us_english';
  textSize = defaultTextSize;
  lockTimeout = -1;
  /** the ON/OFF options of optionBits that are ON */
  private options = loginOptions();

  private readonly loginDatabase: SqlDatabase;
  /** open transaction: nesting depth, undo steps, and the write events held back until COMMIT */
  tranCount = 0;
  private undo: (() => void)[] | null = null;
  private held: { db: SqlDatabase; event: WriteEvent }[] = [];

  constructor(
    public database: SqlDatabase,
    private readonly databases: Map<string, SqlDatabase>,
    readonly info: SessionInfo,
  ) {
    this.loginDatabase = database;
  }

  private emit(event: WriteEvent): void {
    if (this.undo) this.held.push({ db: this.database, event });
    else this.database.emit(event);
  }

  /**
   * Explicit transactions: changes are applied at once (other sessions read them uncommitted),
   * undone on ROLLBACK; the simulator hears of them (onWrite) only at COMMIT.
   */
  begin(): void {
    if (this.tranCount++ === 0) {
      this.undo = [];
      this.held = [];
    }
  }

  commit(): void {
    if (this.tranCount === 0) throw new SqlError(3902, 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.', 16, 1);
    if (--this.tranCount > 0) return;
    const held = this.held;
    this.undo = null;
    this.held = [];
    for (const h of held) h.db.emit(h.event);
  }

  rollback(): void {
    if (this.tranCount === 0) throw new SqlError(3903, 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.', 16, 1);
    const undo = this.undo ?? [];
    this.tranCount = 0;
    this.undo = null;
    this.held = [];
    for (const step of undo.reverse()) step();
  }

  /** a new pooled "session" (RESETCONNECTION): back to the login state; returns a database change */
  reset(): { name: string; old: string } | undefined {
    if (this.tranCount > 0) this.rollback();
    this.scopeIdentity = null;
    this.lastIdentity = null;
    this.rowCount = 0;
    this.lastError = 0;
    this.nocount = false;
    this.language = 'us_english';
    this.textSize = defaultTextSize;
    this.lockTimeout = -1;
    this.options = loginOptions();
    const old = this.database;
    this.database = this.loginDatabase;
    return old === this.database ? undefined : { name: this.database.name, old: old.name };
  }

  private sysvar(name: string): Variable | undefined {
    const nv = (value: string, length = 128): Variable => ({ type: { kind: 'nvarchar', length }, value });
    switch (name) {
      case 'VERSION':
        return nv(VERSION_TEXT, 300);
      case 'SPID':
        return { type: { kind: 'smallint' }, value: this.info.spid };
      case 'SERVERNAME':
        return nv(this.info.serverName);
      case 'SERVICENAME':
        return nv('MSSQLSERVER');
      case 'IDENTITY':
        return { type: { kind: 'decimal', precision: 38, scale: 0 }, value: this.lastIdentity };
      case 'ROWCOUNT':
        return { type: { kind: 'int' }, value: this.rowCount };
      case 'TRANCOUNT':
        return { type: { kind: 'int' }, value: this.tranCount };
      case 'ERROR':
        return { type: { kind: 'int' }, value: this.lastError };
      case 'LANGUAGE':
        return nv(this.language);
      case 'LANGID':
        return { type: { kind: 'smallint' }, value: 0 };
      case 'MAX_PRECISION':
        return { type: { kind: 'tinyint' }, value: 38 };
      case 'TEXTSIZE':
        return { type: { kind: 'int' }, value: this.textSize };
      case 'DATEFIRST':
        return { type: { kind: 'tinyint' }, value: 7 };
      case 'LOCK_TIMEOUT':
        return { type: { kind: 'int' }, value: this.lockTimeout };
      case 'OPTIONS': {
        let bits = fixedBits + (this.nocount ? optionBits.NOCOUNT! : 0);
        for (const o of this.options) bits += optionBits[o] ?? 0;
        return { type: { kind: 'int' }, value: bits };
      }
      case '__APP_NAME':
        return nv(this.info.appName);
      case '__HOST_NAME':
        return nv(this.info.hostName);
      case '__PROP_PRODUCTVERSION':
        return nv(`${serverVersion.major}.${serverVersion.minor}.${serverVersion.build}.${serverVersion.sub}`);
      case '__PROP_EDITION':
        return nv('Developer Edition (64-bit)');
      case '__PROP_ENGINEEDITION':
        return nv('3');
      case '__PROP_SERVERNAME':
      case '__PROP_MACHINENAME':
        return nv(this.info.serverName);
      case '__PROP_COLLATION':
        return nv('SQL_Latin1_General_CP1_CI_AS');
      case '__PROP_PRODUCTLEVEL':
        return nv('RTM');
      default:
        return undefined;
    }
  }

  private scope(vars: Map<string, Variable>, table?: Table, qualifiers: string[] = []): Scope {
    return {
      ...(table ? { table } : {}),
      qualifiers,
      vars,
      sysvar: (n) => this.sysvar(n),
      scopeIdentity: () => this.scopeIdentity,
      identCurrent: (name) => this.database.table(name.replace(/^\[?dbo\]?\./i, '').replace(/^\[|\]$/g, ''))?.lastIdentity ?? null,
      databaseName: this.database.name,
      userName: this.info.userName,
    };
  }

  private table(ref: TableRef): Table {
    const db = ref.db ? this.databases.get(ref.db.toLowerCase()) : this.database;
    if (!db) throw sqlErrors.databaseMissing(ref.db!);
    const schema = (ref.schema ?? 'dbo').toLowerCase();
    const t = schema === 'dbo' ? db.table(ref.name) : undefined;
    if (!t) throw sqlErrors.invalidObject([ref.db, ref.schema, ref.name].filter(Boolean).join('.'));
    return t;
  }

  /**
   * Runs a batch statement by statement. `params` are RPC parameters (sp_executesql), visible
   * to every statement; DECLAREd variables live for the batch. Throws SqlError on the first
   * failing statement, after the outcomes of the statements before it were yielded.
   */
  async *run(sql: string, params: Map<string, Variable>, signal?: AbortSignal): AsyncGenerator<Outcome & { line: number }> {
    const statements = parseBatch(sql);
    const vars = new Map(params);
    for (const { stmt, line } of statements) {
      if (signal?.aborted) return;
      let outcome: Outcome;
      try {
        outcome = await this.statement(stmt, vars, signal);
      } catch (e) {
        if (!(e instanceof SqlError)) throw e;
        Object.assign(e, { line });
        this.lastError = e.number;
        if (!statementTerminating.has(e.number)) throw e;
        this.rowCount = 0;
        yield { curCmd: curCmdOf(stmt), error: e, line };
        continue;
      }
      this.lastError = 0;
      this.rowCount = rowCountAfter(stmt, outcome, this.rowCount);
      yield { ...outcome, line };
    }
  }

  private async statement(s: Statement, vars: Map<string, Variable>, signal?: AbortSignal): Promise<Outcome> {
    switch (s.k) {
      case 'select':
        return this.select(s, vars);
      case 'insert':
        return this.insert(s, vars);
      case 'update':
        return this.update(s, vars);
      case 'delete':
        return this.delete(s, vars);
      case 'set':
        for (const option of s.options) this.set(option, s.value);
        return { curCmd: CurCmd.Set };
      case 'declare':
        for (const v of s.vars) {
          const value = v.init ? coerce(evaluate(v.init, this.scope(vars), { row: null }), v.type) : null;
          vars.set(v.name.toLowerCase(), { type: v.type, value });
        }
        return { curCmd: CurCmd.Declare };
      case 'setvar': {
        const { variable, e } = assignment(s.name, s.op, s.e, vars);
        variable.value = coerce(evaluate(e, this.scope(vars), { row: null }), variable.type);
        return { curCmd: CurCmd.Set };
      }
      case 'waitfor':
        await this.waitfor(evaluate(s.delay, this.scope(vars), { row: null }), signal);
        return { curCmd: CurCmd.Other };
      case 'tran':
        if (s.op === 'begin') this.begin();
        else if (s.op === 'commit') this.commit();
        else this.rollback();
        return { curCmd: CurCmd.Other, transaction: s.op };
      case 'use': {
        const db = this.databases.get(s.db.toLowerCase());
        if (!db) throw sqlErrors.databaseMissing(s.db);
        const old = this.database.name;
        this.database = db;
        return { curCmd: CurCmd.Other, database: { name: db.name, old } };
      }
    }
  }

  /** One SET option: applied, accepted as changing nothing here, or refused (never ignored if it would change results). */
  private set(option: string, value: string): void {
    const onOff = value === 'ON' || value === 'OFF';
    const integer = (): number => {
      if (!/^-?\d+$/.test(value)) throw sqlErrors.syntax(value);
      return Number(value);
    };
    const only = (served: string, what: string) => {
      if (value.toUpperCase() !== served.toUpperCase()) throw sqlErrors.unsupported(`SET ${option} ${value} (the simulator serves ${what} only)`);
    };
    switch (option) {
      case 'NOCOUNT':
        if (!onOff) throw sqlErrors.syntax(value);
        this.nocount = value === 'ON';
        return;
      case 'TEXTSIZE': {
        const n = integer();
        this.textSize = n === 0 ? 4096 : n < 0 ? defaultTextSize : n;
        return;
      }
      case 'LOCK_TIMEOUT':
        this.lockTimeout = integer();
        return;
      case 'LANGUAGE':
        // another language changes date formats, DATEFIRST and message texts
        if (value.toLowerCase() !== 'english') only('us_english', 'us_english');
        this.language = 'us_english';
        return;
      case 'DATEFORMAT':
        return only('MDY', 'mdy');
      case 'DATEFIRST':
        return only('7', 'DATEFIRST 7');
      case 'ROWCOUNT':
        return only('0', 'ROWCOUNT 0');
      case 'IDENTITY_INSERT':
        throw sqlErrors.unsupported('SET IDENTITY_INSERT');
    }
    const fixed = fixedOptions[option];
    if (fixed) {
      if (!onOff) throw sqlErrors.syntax(value);
      return only(fixed, `${option} ${fixed}`);
    }
    if (option in optionBits) {
      if (!onOff) throw sqlErrors.syntax(value);
      if (value === 'ON') this.options.add(option);
      else this.options.delete(option);
      return;
    }
    // the isolation level changes nothing: the store has no isolation at all (README)
    if (valueOptions.has(option)) return;
    throw sqlErrors.unsupported(`SET ${option}`);
  }

  private waitfor(v: SqlValue, signal?: AbortSignal): Promise<void> {
    const m = typeof v === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(v.trim()) : null;
    if (!m) throw new SqlError(148, 'Incorrect time syntax in time string used with WAITFOR.', 15, 1);
    const ms = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private limit(e: Expr | undefined, vars: Map<string, Variable>, what: string): number | undefined {
    if (!e) return undefined;
    const v = evaluate(e, this.scope(vars), { row: null });
    const n = v === null ? NaN : Number(coerce(v, { kind: 'bigint' }));
    if (!(n >= 0)) throw new SqlError(1060, `The number of rows provided for a ${what} clause must be a non-negative integer.`, 15, 1);
    return n;
  }

  private select(s: Select, vars: Map<string, Variable>): Outcome {
    const table = s.from ? this.table(s.from) : undefined;
    const scope = this.scope(vars, table, s.from ? [s.from.name, ...(s.from.alias ? [s.from.alias] : [])] : []);
    // result columns
    const items: { e: Expr; name: string }[] = [];
    for (const item of s.items) {
      if (item.k === 'star') {
        if (!table) throw new SqlError(263, 'Must specify table to select from.', 16, 1);
        if (item.table && !scope.qualifiers.some((q) => q.toLowerCase() === item.table!.toLowerCase())) throw new SqlError(4104, `The multi-part identifier "${item.table}" could not be bound.`, 16, 1);
        for (const c of table.columns) items.push({ e: { k: 'col', name: c.name }, name: c.name });
      } else if (item.k === 'assign') {
        items.push({ e: item.e, name: '' });
      } else {
        items.push({ e: item.e, name: item.alias ?? (item.e.k === 'col' ? item.e.name : '') });
      }
    }
    const assigns = s.items.flatMap((item) => (item.k === 'assign' ? [assignment(item.name, item.op, item.e, vars)] : []));
    if (assigns.length && assigns.length < s.items.length) {
      throw new SqlError(141, 'A SELECT statement that assigns a value to a variable must not be combined with data-retrieval operations.', 15, 1);
    }
    const columns: ResultColumn[] = items.map(({ e, name }) => {
      const t = typeOf(e, scope);
      const col = e.k === 'col' && table ? table.columns[table.columnIndex(e.name)!] : undefined;
      return { name, type: t.type, nullable: t.nullable, ...(col ? { identity: col.identity, writable: !col.identity } : {}) };
    });
    const top = this.limit(s.top, vars, 'TOP');
    if (s.where && containsAggregate(s.where)) throw sqlErrors.aggregateInWhere();
    let source: SqlValue[][] = table ? (s.where ? this.identityRange(table, s.where, scope) : table.rows) : [[]];
    if (s.where) {
      // TOP n in identity order (or no order) needs only the first n matches
      const idName = table && table.identityIndex >= 0 ? table.columns[table.identityIndex]!.name.toLowerCase() : null;
      const inOrder = !s.orderBy || (s.orderBy.length === 1 && !s.orderBy[0]!.desc && s.orderBy[0]!.e.k === 'col' && s.orderBy[0]!.e.name.toLowerCase() === idName);
      const stopAt = top !== undefined && inOrder && !s.distinct && !s.groupBy && !s.offset && !items.some((i) => containsAggregate(i.e)) ? top : Infinity;
      const matched: SqlValue[][] = [];
      for (const row of source) {
        if (matched.length >= stopAt) break;
        if (test(s.where, scope, { row })) matched.push(row);
      }
      source = matched;
    }
    const grouped = !!s.groupBy || items.some((i) => containsAggregate(i.e)) || (s.having !== undefined);
    // output rows are projected lazily: ORDER BY and TOP first decide which are needed
    type Out = { values?: SqlValue[]; row: SqlValue[] | null; group?: SqlValue[][] };
    const project = (o: Out): SqlValue[] =>
      (o.values ??= items.map((i, k) => coerce(evaluate(i.e, scope, o.group ? { row: o.row, group: o.group } : { row: o.row }), columns[k]!.type)));
    let out: Out[];
    if (grouped) {
      const groups = new Map<string, SqlValue[][]>();
      const keyOf = (row: SqlValue[]) => JSON.stringify((s.groupBy ?? []).map((g) => normalizeKey(evaluate(g, scope, { row }))));
      for (const row of source) {
        const k = keyOf(row);
        const g = groups.get(k);
        if (g) g.push(row);
        else groups.set(k, [row]);
      }
      if (!s.groupBy && groups.size === 0) groups.set('', []);
      for (const i of items) checkGrouped(i.e, s.groupBy ?? [], table);
      out = [];
      for (const group of groups.values()) {
        const ctx = { row: group[0] ?? null, group };
        if (s.having && !test(s.having, scope, ctx)) continue;
        out.push(ctx);
      }
    } else {
      out = source.map((row) => ({ row }));
    }
    if (s.distinct) {
      const seen = new Set<string>();
      out = out.filter((o) => {
        const k = JSON.stringify(project(o).map(normalizeKey));
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    if (s.orderBy) {
      const idName = table && table.identityIndex >= 0 ? table.columns[table.identityIndex]!.name.toLowerCase() : null;
      const only = s.orderBy.length === 1 ? s.orderBy[0]! : null;
      if (!grouped && !s.distinct && only && only.e.k === 'col' && only.e.name.toLowerCase() === idName && !items.some((i) => i.name.toLowerCase() === idName && !(i.e.k === 'col' && i.e.name.toLowerCase() === idName))) {
        // rows are stored in identity order already
        if (only.desc) out.reverse();
      } else {
        const keys = s.orderBy.map((o) => {
          if (o.e.k === 'lit' && typeof o.e.v === 'number') {
            const at = o.e.v - 1;
            if (at < 0 || at >= items.length) throw new SqlError(108, `The ORDER BY position number ${o.e.v} is out of range of the number of items in the select list.`, 16, 1);
            return (r: Out) => project(r)[at] ?? null;
          }
          if (o.e.k === 'col' && !o.e.table) {
            const name = o.e.name.toLowerCase();
            const at = items.findIndex((i) => i.name.toLowerCase() === name);
            if (at >= 0) return (r: Out) => project(r)[at] ?? null;
          }
          const e = o.e;
          typeOf(e, scope);
          return (r: Out) => evaluate(e, scope, r.group ? { row: r.row, group: r.group } : { row: r.row });
        });
        const decorated = out.map((r) => ({ r, k: keys.map((f) => f(r)) }));
        decorated.sort((a, b) => {
          for (let i = 0; i < keys.length; i++) {
            const c = compareValues(a.k[i]!, b.k[i]!);
            if (c !== 0) return s.orderBy![i]!.desc ? -c : c;
          }
          return 0;
        });
        out = decorated.map((d) => d.r);
      }
    }
    const offset = this.limit(s.offset, vars, 'OFFSET') ?? 0;
    const fetch = this.limit(s.fetch, vars, 'FETCH');
    if (offset || fetch !== undefined) out = out.slice(offset, fetch === undefined ? undefined : offset + fetch);
    if (top !== undefined) out = out.slice(0, top);
    if (assigns.length) {
      // T-SQL: row by row in the result's order, so each variable ends with the last row's value
      // (unchanged when there is none) and an expression sees the assignments before it
      for (const o of out) {
        for (const { variable, e } of assigns) variable.value = coerce(evaluate(e, scope, o.group ? { row: o.row, group: o.group } : { row: o.row }), variable.type);
      }
      return { curCmd: CurCmd.Select, rowCount: out.length };
    }
    const rows = out.map(project);
    if (this.textSize < defaultTextSize) truncateLarge(rows, columns, this.textSize);
    return { curCmd: CurCmd.Select, rowCount: rows.length, result: { columns, rows } };
  }

  /** The rows a WHERE with "identity > / >= value" (among its ANDed terms) can match at all. */
  private identityRange(table: Table, where: Expr, scope: Scope): SqlValue[][] {
    const id = table.identityIndex;
    if (id < 0) return table.rows;
    const idName = table.columns[id]!.name.toLowerCase();
    const isId = (e: Expr) => e.k === 'col' && e.name.toLowerCase() === idName && (!e.table || scope.qualifiers.some((q) => q.toLowerCase() === e.table!.toLowerCase()));
    const constant = (e: Expr) => e.k === 'lit' || e.k === 'param';
    let best: { bound: number; inclusive: boolean } | null = null;
    const visit = (e: Expr): void => {
      if (e.k !== 'bin') return;
      if (e.op === 'and') return void (visit(e.l), visit(e.r));
      let op = e.op;
      let other: Expr | null = null;
      if (isId(e.l) && constant(e.r)) other = e.r;
      else if (isId(e.r) && constant(e.l)) {
        other = e.l;
        op = op === '<' ? '>' : op === '<=' ? '>=' : op;
      }
      if (!other || (op !== '>' && op !== '>=')) return;
      const v = evaluate(other, scope, { row: null });
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n)) return;
      if (!best || n > best.bound) best = { bound: n, inclusive: op === '>=' };
    };
    visit(where);
    const range = best as { bound: number; inclusive: boolean } | null;
    return range ? table.rowsAfterIdentity(range.bound, range.inclusive) : table.rows;
  }

  private outputSet(items: OutputItem[], table: Table, vars: Map<string, Variable>, pairs: { inserted: SqlValue[] | null; deleted: SqlValue[] | null }[]): ResultSet {
    const cols: { side: 'inserted' | 'deleted'; e: Expr; name: string }[] = [];
    for (const item of items) {
      if (item.k === 'star') for (const c of table.columns) cols.push({ side: item.side, e: { k: 'col', name: c.name }, name: c.name });
      else {
        const side = item.e.k === 'col' && item.e.table?.toLowerCase() === 'deleted' ? 'deleted' : 'inserted';
        cols.push({ side, e: item.e, name: item.alias ?? (item.e.k === 'col' ? item.e.name : '') });
      }
    }
    const scopes = {
      inserted: this.scope(vars, table, ['inserted', table.name]),
      deleted: this.scope(vars, table, ['deleted', table.name]),
    };
    const columns: ResultColumn[] = cols.map((c) => {
      const t = typeOf(c.e, scopes[c.side]);
      return { name: c.name, type: t.type, nullable: t.nullable };
    });
    const rows = pairs.map((p) => cols.map((c, i) => coerce(evaluate(c.e, scopes[c.side], { row: p[c.side] }), columns[i]!.type)));
    return { columns, rows };
  }

  private insert(s: Extract<Statement, { k: 'insert' }>, vars: Map<string, Variable>): Outcome {
    const table = this.table(s.table);
    const targets = (s.columns ?? table.columns.filter((c) => !c.identity).map((c) => c.name)).map((name) => {
      const i = table.columnIndex(name);
      if (i === undefined) throw sqlErrors.invalidColumn(name);
      return i;
    });
    const scope = this.scope(vars);
    const prepared = s.values.map((exprs) => {
      if (exprs.length !== targets.length) {
        if (exprs.length > targets.length) throw sqlErrors.columnCount();
        throw new SqlError(109, 'There are more columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.', 15, 1);
      }
      return new Map(targets.map((col, k) => [col, evaluate(exprs[k]!, scope, { row: null })]));
    });
    // all rows or none, as one statement in SQL Server
    const inserted: SqlValue[][] = [];
    try {
      for (const given of prepared) inserted.push(table.insertValues(given));
    } catch (e) {
      table.deleteRows(new Set(inserted));
      throw e;
    }
    this.undo?.push(() => table.deleteRows(new Set(inserted)));
    const id = table.identityIndex;
    if (id >= 0 && inserted.length) {
      this.scopeIdentity = inserted[inserted.length - 1]![id] as number;
      this.lastIdentity = this.scopeIdentity;
    }
    this.emit({ database: this.database.name, table: table.name, op: 'insert', rows: inserted.map((r) => table.toRow(r)), source: 'client' });
    const result = s.output ? this.outputSet(s.output, table, vars, inserted.map((r) => ({ inserted: r, deleted: null }))) : undefined;
    return { curCmd: CurCmd.Insert, rowCount: inserted.length, ...(result ? { result } : {}) };
  }

  private matching(table: Table, alias: string | undefined, where: Expr | undefined, top: number | undefined, vars: Map<string, Variable>): { rows: SqlValue[][]; scope: Scope } {
    const scope = this.scope(vars, table, [table.name, ...(alias ? [alias] : [])]);
    if (where && containsAggregate(where)) throw sqlErrors.aggregateInWhere();
    let rows = where ? table.rows.filter((row) => test(where, scope, { row })) : table.rows.slice();
    if (top !== undefined) rows = rows.slice(0, top);
    return { rows, scope };
  }

  private update(s: Extract<Statement, { k: 'update' }>, vars: Map<string, Variable>): Outcome {
    const table = this.table(s.table);
    const { rows, scope } = this.matching(table, s.table.alias, s.where, this.limit(s.top, vars, 'TOP'), vars);
    const sets = s.set.map(([name, e]) => {
      const i = table.columnIndex(name);
      if (i === undefined) throw sqlErrors.invalidColumn(name);
      typeOf(e, scope);
      return [i, e] as const;
    });
    // evaluate every new value from the old rows before changing any (SQL's set semantics)
    const changes = rows.map((row) => new Map(sets.map(([i, e]) => [i, evaluate(e, scope, { row })])));
    const pairs: { inserted: SqlValue[]; deleted: SqlValue[] }[] = [];
    try {
      rows.forEach((row, k) => pairs.push({ deleted: row, inserted: table.updateValues(row, changes[k]!) }));
    } catch (e) {
      // undo the rows already changed: the statement fails as a whole
      for (const p of pairs.reverse()) table.updateValues(p.inserted, new Map(p.deleted.map((v, i) => [i, v] as [number, SqlValue]).filter(([i]) => !table.columns[i]!.identity)));
      throw e;
    }
    this.undo?.push(() => {
      for (const p of pairs.slice().reverse()) table.restoreRow(p.inserted, p.deleted);
    });
    if (pairs.length) {
      this.emit({ database: this.database.name, table: table.name, op: 'update', rows: pairs.map((p) => table.toRow(p.inserted)), before: pairs.map((p) => table.toRow(p.deleted)), source: 'client' });
    }
    const result = s.output ? this.outputSet(s.output, table, vars, pairs) : undefined;
    return { curCmd: CurCmd.Update, rowCount: pairs.length, ...(result ? { result } : {}) };
  }

  private delete(s: Extract<Statement, { k: 'delete' }>, vars: Map<string, Variable>): Outcome {
    const table = this.table(s.table);
    const { rows } = this.matching(table, s.table.alias, s.where, this.limit(s.top, vars, 'TOP'), vars);
    const result = s.output ? this.outputSet(s.output, table, vars, rows.map((r) => ({ inserted: null, deleted: r }))) : undefined;
    table.deleteRows(new Set(rows));
    this.undo?.push(() => table.reinsertRows(rows));
    if (rows.length) this.emit({ database: this.database.name, table: table.name, op: 'delete', rows: rows.map((r) => table.toRow(r)), source: 'client' });
    return { curCmd: CurCmd.Delete, rowCount: rows.length, ...(result ? { result } : {}) };
  }
}

/** The variable an assignment sets and the expression it takes (`@v += e` is `@v = @v + e`). */
function assignment(name: string, op: AssignOp, e: Expr, vars: Map<string, Variable>): { variable: Variable; e: Expr } {
  const variable = vars.get(name.toLowerCase());
  if (!variable) throw sqlErrors.mustDeclare(name);
  return { variable, e: op === '=' ? e : { k: 'bin', op, l: { k: 'param', name }, r: e } };
}

/** @@ROWCOUNT after a statement: rows read or changed, 1 for SET @v, 0 for SET options, USE and transactions. */
function rowCountAfter(s: Statement, o: Outcome, before: number): number {
  switch (s.k) {
    case 'setvar':
      return 1;
    case 'set':
    case 'use':
    case 'tran':
      return 0;
    default:
      return o.rowCount ?? before;
  }
}

/** SET TEXTSIZE: (MAX) strings and binaries in a SELECT's rows are cut to that many bytes. */
function truncateLarge(rows: SqlValue[][], columns: ResultColumn[], bytes: number): void {
  columns.forEach((c, i) => {
    if (c.type.length !== -1) return;
    const keep = c.type.kind === 'nvarchar' ? Math.floor(bytes / 2) : bytes;
    for (const row of rows) {
      const v = row[i];
      if (typeof v === 'string' && v.length > keep) row[i] = v.slice(0, keep);
      else if (Buffer.isBuffer(v) && v.length > keep) row[i] = v.subarray(0, keep);
    }
  });
}

function curCmdOf(s: Statement): number {
  return s.k === 'select' ? CurCmd.Select : s.k === 'insert' ? CurCmd.Insert : s.k === 'update' ? CurCmd.Update : s.k === 'delete' ? CurCmd.Delete : CurCmd.Other;
}

function normalizeKey(v: SqlValue): unknown {
  if (typeof v === 'string') return 's:' + v.replace(/ +$/, '').toLowerCase();
  if (v instanceof Date) return 'd:' + v.getTime();
  if (Buffer.isBuffer(v)) return 'b:' + v.toString('hex');
  return v;
}

/** SQL Server refuses select-list columns that are neither grouped nor aggregated (error 8120). */
function checkGrouped(e: Expr, groupBy: Expr[], table: Table | undefined): void {
  if (groupBy.some((g) => JSON.stringify(g).toLowerCase() === JSON.stringify(e).toLowerCase())) return;
  switch (e.k) {
    case 'col':
      throw sqlErrors.notInGroup(`${table?.name ?? ''}.${e.name}`);
    case 'call':
      if (/^(COUNT|COUNT_BIG|SUM|AVG|MIN|MAX)$/.test(e.name)) return;
      e.args.forEach((a) => checkGrouped(a, groupBy, table));
      return;
    case 'unary':
    case 'cast':
    case 'isnull':
      return checkGrouped(e.e, groupBy, table);
    case 'bin':
      checkGrouped(e.l, groupBy, table);
      return checkGrouped(e.r, groupBy, table);
    case 'case':
      if (e.operand) checkGrouped(e.operand, groupBy, table);
      e.whens.forEach(([a, b]) => (checkGrouped(a, groupBy, table), checkGrouped(b, groupBy, table)));
      if (e.else) checkGrouped(e.else, groupBy, table);
      return;
    default:
      return;
  }
}

// ---- use without the network ----

export type QueryParams = Record<string, SqlValue | { type: string; value: SqlValue }>;

export interface QueryResult {
  /** one entry per result set (SELECT, OUTPUT) */
  recordsets: Row[][];
  /** rows affected per statement that counts rows */
  rowsAffected: number[];
}

/** Executes a batch against one database, as a client of it would (writes are reported as 'client'). */
export async function executeSql(db: SqlDatabase, sql: string, params: QueryParams): Promise<QueryResult> {
  const session = new Session(db, new Map([[db.name.toLowerCase(), db]]), { spid: 0, userName: 'dbo', appName: 'api', hostName: 'localhost', serverName: 'simulator' });
  const vars = new Map<string, Variable>();
  for (const [name, p] of Object.entries(params)) {
    const key = (name.startsWith('@') ? name : '@' + name).toLowerCase();
    if (p !== null && typeof p === 'object' && !(p instanceof Date) && !Buffer.isBuffer(p)) {
      const m = /^(\w+)\s*(?:\(([^)]*)\))?$/.exec(p.type.trim());
      if (!m) throw new Error(`parameter ${name}: cannot read type ${p.type}`);
      const type: SqlType = parseTypeName(m[1]!, (m[2] ?? '').split(',').filter((s) => s.trim()).map((s) => (s.trim().toLowerCase() === 'max' ? 'max' : Number(s))));
      vars.set(key, { type, value: coerce(p.value, type) });
    } else vars.set(key, { type: inferType(p), value: p });
  }
  const out: QueryResult = { recordsets: [], rowsAffected: [] };
  let firstError: SqlError | undefined;
  for await (const o of session.run(sql, vars)) {
    if (o.error) firstError ??= o.error;
    if (o.result) out.recordsets.push(o.result.rows.map((r) => Object.fromEntries(o.result!.columns.map((c, i) => [c.name, r[i] ?? null]))));
    if (o.rowCount !== undefined) out.rowsAffected.push(o.rowCount);
  }
  // like a driver: the batch ran to its end, the caller learns of its (first) error
  if (firstError) throw firstError;
  return out;
}

function inferType(v: SqlValue): SqlType {
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) > 2147483647 ? { kind: 'bigint' } : { kind: 'int' }) : { kind: 'float' };
  if (typeof v === 'boolean') return { kind: 'bit' };
  if (v instanceof Date) return { kind: 'datetime2', scale: 7 };
  if (Buffer.isBuffer(v)) return { kind: 'varbinary', length: -1 };
  return { kind: 'nvarchar', length: typeof v === 'string' && v.length > 4000 ? -1 : 4000 };
}
