/**
 * The in-memory store behind a simulated SQL Server database: tables with typed columns,
 * IDENTITY, NOT NULL, UNIQUE and DEFAULT, usable from JS (the simulator) and from SQL (clients).
 */
import { sqlErrors } from './errors.js';
import { executeSql, type QueryResult, type QueryParams } from './sql/session.js';
import { checkLength, coerce, parseColumnDeclaration, type ColumnDef, type SqlValue } from './types.js';

export type Row = Record<string, SqlValue>;

export interface WriteEvent {
  database: string;
  table: string;
  op: 'insert' | 'update' | 'delete';
  /** rows after the write (before it, for delete) */
  rows: Row[];
  /** rows before an update, in the same order as `rows` */
  before?: Row[];
  /** 'client' = a SQL statement over the network or execute(); 'api' = insert()/update()/delete() */
  source: 'client' | 'api';
}

export class Table {
  readonly columns: ColumnDef[];
  private readonly index = new Map<string, number>();
  rows: SqlValue[][] = [];
  private nextIdentity: number;
  private readonly identityStep: number;
  /** unique column index -> key -> row */
  private readonly uniques = new Map<number, Map<string, SqlValue[]>>();
  readonly defaults: ((() => SqlValue) | undefined)[];
  /** last identity value handed out (IDENT_CURRENT) */
  lastIdentity: number | null = null;

  constructor(
    readonly database: string,
    readonly name: string,
    columns: readonly (readonly [string, string])[],
  ) {
    const parsed = columns.map(([n, decl]) => parseDeclarationWithDefault(n, decl));
    this.columns = parsed.map((p) => p.column);
    this.defaults = parsed.map((p) => p.fallback);
    this.columns.forEach((c, i) => {
      if (this.index.has(c.name.toLowerCase())) throw new Error(`table ${name}: column ${c.name} is declared twice`);
      this.index.set(c.name.toLowerCase(), i);
      if (c.unique) this.uniques.set(i, new Map());
    });
    if (this.columns.filter((c) => c.identity).length > 1) throw new Error(`table ${name}: only one IDENTITY column is allowed`);
    const seed = /IDENTITY\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)/i.exec(columns.find(([, d]) => /IDENTITY/i.test(d))?.[1] ?? '');
    this.nextIdentity = seed ? Number(seed[1]) : 1;
    this.identityStep = seed ? Number(seed[2]) : 1;
  }

  get qualifiedName(): string {
    return `${this.database}.dbo.${this.name}`;
  }

  columnIndex(name: string): number | undefined {
    return this.index.get(name.toLowerCase());
  }

  get identityIndex(): number {
    return this.columns.findIndex((c) => c.identity);
  }

  toRow(values: SqlValue[]): Row {
    const r: Row = {};
    this.columns.forEach((c, i) => (r[c.name] = values[i] ?? null));
    return r;
  }

  /** Values of a new row, given by column index; throws SqlError like SQL Server. */
  insertValues(given: Map<number, SqlValue>): SqlValue[] {
    const values: SqlValue[] = this.columns.map((c, i) => {
      if (c.identity) {
        if (given.has(i)) throw sqlErrors.identityInsert(this.name);
        return null;
      }
      const v = given.has(i) ? given.get(i)! : (this.defaults[i]?.() ?? null);
      return this.checked(i, v, 'INSERT');
    });
    this.checkUnique(values, null);
    const id = this.identityIndex;
    if (id >= 0) {
      values[id] = this.nextIdentity;
      this.lastIdentity = this.nextIdentity;
      this.nextIdentity += this.identityStep;
    }
    this.rows.push(values);
    this.indexRow(values);
    return values;
  }

  /** Replaces the values of `row` (an element of rows) by applying `changes`; returns the new row. */
  updateValues(row: SqlValue[], changes: Map<number, SqlValue>): SqlValue[] {
    const next = row.slice();
    for (const [i, v] of changes) {
      if (this.columns[i]!.identity) throw sqlErrors.identityUpdate(this.columns[i]!.name);
      next[i] = this.checked(i, v, 'UPDATE');
    }
    this.checkUnique(next, row);
    this.unindexRow(row);
    const at = this.rows.indexOf(row);
    this.rows[at] = next;
    this.indexRow(next);
    return next;
  }

  /**
   * Rows whose IDENTITY value is above `bound` (or equal, if inclusive), found by binary search:
   * rows are kept in insertion order, so their identity values ascend (the machine pod polls
   * "WHERE key > @after" on logs that grow all day).
   */
  rowsAfterIdentity(bound: number, inclusive: boolean): SqlValue[][] {
    const id = this.identityIndex;
    if (id < 0 || this.identityStep <= 0) return this.rows;
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.rows[mid]![id] as number;
      if (v > bound || (inclusive && v === bound)) hi = mid;
      else lo = mid + 1;
    }
    return lo === 0 ? this.rows : this.rows.slice(lo);
  }

  /** Puts back a row's previous values (undo of an update), without checks. */
  restoreRow(current: SqlValue[], previous: SqlValue[]): void {
    const at = this.rows.indexOf(current);
    if (at < 0) return;
    this.unindexRow(current);
    this.rows[at] = previous;
    this.indexRow(previous);
  }

  /** Puts deleted rows back in identity order (undo of a delete), without checks. */
  reinsertRows(rows: SqlValue[][]): void {
    this.rows.push(...rows);
    for (const r of rows) this.indexRow(r);
    const id = this.identityIndex;
    if (id >= 0) this.rows.sort((a, b) => (a[id] as number) - (b[id] as number));
  }

  deleteRows(doomed: Set<SqlValue[]>): void {
    if (doomed.size === 0) return;
    for (const r of doomed) this.unindexRow(r);
    this.rows = this.rows.filter((r) => !doomed.has(r));
  }

  private checked(i: number, v: SqlValue, op: string): SqlValue {
    const c = this.columns[i]!;
    const value = coerce(v, c.type);
    if (value === null && !c.nullable) throw sqlErrors.notNull(c.name, this.qualifiedName, op);
    checkLength(value, c.type, this.qualifiedName, c.name);
    return value;
  }

  private key(v: SqlValue): string {
    if (typeof v === 'string') return 's' + v.replace(/ +$/, '').toLowerCase();
    if (v instanceof Date) return 'd' + v.getTime();
    if (Buffer.isBuffer(v)) return 'b' + v.toString('hex');
    return 'v' + String(v);
  }

  private checkUnique(values: SqlValue[], self: SqlValue[] | null): void {
    for (const [i, map] of this.uniques) {
      if (this.columns[i]!.identity) continue;
      const other = map.get(this.key(values[i] ?? null));
      if (other && other !== self) throw sqlErrors.duplicate(`UQ__${this.name}__${this.columns[i]!.name}`, `dbo.${this.name}`, String(values[i]));
    }
  }

  private indexRow(values: SqlValue[]): void {
    for (const [i, map] of this.uniques) map.set(this.key(values[i] ?? null), values);
  }

  private unindexRow(values: SqlValue[]): void {
    for (const [i, map] of this.uniques) {
      const k = this.key(values[i] ?? null);
      if (map.get(k) === values) map.delete(k);
    }
  }
}

const DEFAULT_FUNCTIONS: Record<string, () => SqlValue> = {
  'SYSUTCDATETIME()': () => new Date(),
  'GETUTCDATE()': () => new Date(),
  'GETDATE()': () => new Date(),
  'SYSDATETIME()': () => new Date(),
  'NEWID()': () => crypto.randomUUID().toUpperCase(),
};

/** Splits "DATETIME2(3) NOT NULL DEFAULT SYSUTCDATETIME()" into the column and its default. */
function parseDeclarationWithDefault(name: string, declaration: string): { column: ColumnDef; fallback?: () => SqlValue } {
  const m = /\s+DEFAULT\s+(.+?)\s*$/is.exec(declaration);
  if (!m) return { column: parseColumnDeclaration(name, declaration) };
  const column = parseColumnDeclaration(name, declaration.slice(0, m.index));
  const text = m[1]!.replace(/^\((.*)\)$/s, '$1').trim();
  const fn = DEFAULT_FUNCTIONS[text.toUpperCase().replace(/\s+/g, '')];
  if (fn) return { column, fallback: fn };
  const str = /^N?'((?:[^']|'')*)'$/is.exec(text);
  const literal: SqlValue = str ? str[1]!.replace(/''/g, "'") : /^null$/i.test(text) ? null : Number(text);
  if (typeof literal === 'number' && Number.isNaN(literal)) throw new Error(`column ${name}: the simulator does not understand DEFAULT ${text}`);
  const value = coerce(literal, column.type);
  return { column, fallback: () => value };
}

export class SqlDatabase {
  private readonly tables = new Map<string, Table>();
  private readonly listeners = new Set<(e: WriteEvent) => void>();

  constructor(readonly name: string) {}

  /** columns as [name, declaration], e.g. ['CycleId', 'BIGINT IDENTITY PRIMARY KEY'] */
  createTable(name: string, columns: readonly (readonly [string, string])[]): void {
    if (this.tables.has(name.toLowerCase())) throw new Error(`table ${name} exists already in ${this.name}`);
    this.tables.set(name.toLowerCase(), new Table(this.name, name, columns));
  }

  table(name: string): Table | undefined {
    return this.tables.get(name.toLowerCase());
  }

  tableNames(): string[] {
    return [...this.tables.values()].map((t) => t.name);
  }

  private must(name: string): Table {
    const t = this.table(name);
    if (!t) throw sqlErrors.invalidObject(name);
    return t;
  }

  private values(t: Table, row: Row): Map<number, SqlValue> {
    const given = new Map<number, SqlValue>();
    for (const [k, v] of Object.entries(row)) {
      if (v === undefined) continue;
      const i = t.columnIndex(k);
      if (i === undefined) throw sqlErrors.invalidColumn(k);
      given.set(i, v);
    }
    return given;
  }

  /** Appends a row (as the machine does); returns the IDENTITY value given to it, if any. */
  insert(table: string, row: Row): number | null {
    const t = this.must(table);
    const values = t.insertValues(this.values(t, row));
    this.emit({ database: this.name, table: t.name, op: 'insert', rows: [t.toRow(values)], source: 'api' });
    const id = t.identityIndex;
    return id >= 0 ? (values[id] as number) : null;
  }

  /** Sets `changes` on every row `where` accepts (all rows without it); returns the number of rows changed. */
  update(table: string, changes: Row, where?: (row: Row) => boolean): number {
    const t = this.must(table);
    const set = this.values(t, changes);
    const before: Row[] = [];
    const after: Row[] = [];
    for (const r of t.rows.slice()) {
      const row = t.toRow(r);
      if (where && !where(row)) continue;
      before.push(row);
      after.push(t.toRow(t.updateValues(r, set)));
    }
    if (after.length) this.emit({ database: this.name, table: t.name, op: 'update', rows: after, before, source: 'api' });
    return after.length;
  }

  /** Deletes the rows `where` accepts (e.g. retention of old log rows); returns how many. */
  delete(table: string, where: (row: Row) => boolean): number {
    const t = this.must(table);
    const doomed = new Set(t.rows.filter((r) => where(t.toRow(r))));
    const rows = [...doomed].map((r) => t.toRow(r));
    t.deleteRows(doomed);
    if (rows.length) this.emit({ database: this.name, table: t.name, op: 'delete', rows, source: 'api' });
    return rows.length;
  }

  /** Rows of a table (copies), optionally filtered. */
  select(table: string, where?: (row: Row) => boolean): Row[] {
    const t = this.must(table);
    const out: Row[] = [];
    for (const r of t.rows) {
      const row = t.toRow(r);
      if (!where || where(row)) out.push(row);
    }
    return out;
  }

  rows(table: string): Row[] {
    return this.select(table);
  }

  count(table: string): number {
    return this.must(table).rows.length;
  }

  /** Called after every write, from SQL clients and from the API alike (see WriteEvent.source). */
  onWrite(listener: (e: WriteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal the SQL executor reports client writes here */
  emit(e: WriteEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a failing listener must not fail the client's statement
      }
    }
  }

  /** Runs T-SQL against this database without the network (tests, tools). */
  execute(sql: string, params: QueryParams = {}): Promise<QueryResult> {
    return executeSql(this, sql, params);
  }
}
