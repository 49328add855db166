/** Recursive-descent parser for the T-SQL subset, with SQL Server's syntax error messages. */
import { SqlError, sqlErrors } from '../errors.js';
import { parseTypeName, type SqlType } from '../types.js';
import type { AssignOp, Expr, OrderItem, OutputItem, ParsedStatement, Select, SelectItem, Statement, TableRef } from './ast.js';
import { type Token, tokenize } from './lexer.js';

const RESERVED = new Set(
  ('ADD ALL ALTER AND ANY AS ASC BEGIN BETWEEN BY CASE CHECK COLUMN COMMIT CONSTRAINT CREATE CROSS CURRENT_TIMESTAMP DECLARE DEFAULT DELETE DESC DISTINCT DROP ELSE END ESCAPE EXEC EXECUTE EXISTS FETCH FROM FULL GROUP HAVING IDENTITY IF IN INNER INSERT INTO IS JOIN KEY LEFT LIKE MERGE NOT NULL OF OFFSET ON OR ORDER OUTER OUTPUT PERCENT PRIMARY PRINT PROCEDURE RETURN RIGHT ROLLBACK SELECT SET TABLE TOP TRAN TRANSACTION TRUNCATE UNION UNIQUE UPDATE USE VALUES WAITFOR WHEN WHERE WHILE WITH').split(' '),
);

/** keywords that begin a statement (a batch needs no semicolons between statements) */
const STATEMENT_START = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'SET', 'WAITFOR', 'USE', 'DECLARE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'EXEC', 'EXECUTE', 'CREATE', 'DROP', 'ALTER', 'IF', 'WHILE', 'PRINT', 'RETURN', 'MERGE', 'TRUNCATE', 'WITH', 'SAVE', 'GRANT', 'REVOKE', 'DENY', 'BULK', 'DBCC', 'KILL', 'RAISERROR', 'THROW', 'GOTO', 'OPEN', 'CLOSE', 'FETCH', 'DEALLOCATE']);

const AGGREGATES = new Set(['COUNT', 'COUNT_BIG', 'SUM', 'AVG', 'MIN', 'MAX']);
export function isAggregate(name: string): boolean {
  return AGGREGATES.has(name.toUpperCase());
}

export function parseBatch(sql: string): ParsedStatement[] {
  return new Parser(sql).batch();
}

class Parser {
  private toks: Token[];
  private i = 0;
  constructor(private readonly sql: string) {
    this.toks = tokenize(sql);
  }

  private get t(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isKw(word: string, t = this.t): boolean {
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }
  private isOp(op: string, t = this.t): boolean {
    return t.kind === 'op' && t.text === op;
  }
  private acceptKw(word: string): boolean {
    if (!this.isKw(word)) return false;
    this.i++;
    return true;
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  private fail(t = this.t): SqlError {
    if (t.kind === 'eof') return sqlErrors.syntaxEnd();
    if (t.kind === 'ident' && RESERVED.has(t.text.toUpperCase())) return new SqlError(156, `Incorrect syntax near the keyword '${t.text.toUpperCase()}'.`, 15, 1);
    const text = t.kind === 'string' || t.kind === 'nstring' ? t.text : t.kind === 'binary' ? '0x' + t.text : t.text;
    return sqlErrors.syntax(text);
  }
  private expectKw(word: string): void {
    if (!this.acceptKw(word)) throw this.fail();
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) throw this.fail();
  }
  private line(pos: number): number {
    let line = 1;
    for (let k = 0; k < pos && k < this.sql.length; k++) if (this.sql.charCodeAt(k) === 10) line++;
    return line;
  }

  /** an identifier: bare (not reserved) or [quoted] */
  private ident(): string {
    const t = this.t;
    if (t.kind === 'qident' || (t.kind === 'ident' && !RESERVED.has(t.text.toUpperCase()))) {
      this.i++;
      return t.text;
    }
    throw this.fail();
  }

  /** `=` or a compound assignment (`+=`, `-=`, ... written without a blank), consumed; undefined if neither */
  private assignOp(): AssignOp | undefined {
    if (this.acceptOp('=')) return '=';
    const t = this.t;
    const eq = this.peek();
    if (t.kind === 'op' && '+-*/%&|^'.includes(t.text) && t.text.length === 1 && this.isOp('=', eq) && eq.pos === t.pos + 1) {
      this.i += 2;
      return t.text as AssignOp;
    }
    return undefined;
  }

  /** an expression where a value is expected (a select item, a SET, VALUES...): a comparison there is a syntax error */
  private value(): Expr {
    const e = this.expr();
    checkValue(e);
    return e;
  }

  /** a search condition (WHERE, HAVING): a plain value there is error 4145 */
  private condition(): Expr {
    const e = this.expr();
    checkCondition(e, this.t.kind === 'eof' ? this.toks[this.i - 1]!.text : this.t.text);
    return e;
  }

  batch(): ParsedStatement[] {
    const out: ParsedStatement[] = [];
    for (;;) {
      while (this.acceptOp(';'));
      if (this.t.kind === 'eof') return out;
      const start = this.t;
      out.push({ stmt: this.statement(), line: this.line(start.pos) });
    }
  }

  private statement(): Statement {
    const t = this.t;
    if (t.kind !== 'ident') throw this.fail();
    const word = t.text.toUpperCase();
    switch (word) {
      case 'SELECT':
        return this.select();
      case 'INSERT':
        return this.insert();
      case 'UPDATE':
        return this.update();
      case 'DELETE':
        return this.delete();
      case 'SET':
        return this.set();
      case 'DECLARE':
        return this.declare();
      case 'WAITFOR': {
        this.next();
        this.expectKw('DELAY');
        return { k: 'waitfor', delay: this.value() };
      }
      case 'BEGIN':
      case 'COMMIT':
      case 'ROLLBACK': {
        this.next();
        const isTran = this.acceptKw('TRAN') || this.acceptKw('TRANSACTION');
        if (word === 'BEGIN' && !isTran) throw sqlErrors.unsupported('BEGIN ... END blocks');
        if (!isTran) this.acceptKw('WORK');
        // a transaction name changes nothing here
        if (isTran && (this.t.kind === 'qident' || (this.t.kind === 'ident' && !STATEMENT_START.has(this.t.text.toUpperCase()) && !RESERVED.has(this.t.text.toUpperCase())))) this.next();
        return { k: 'tran', op: word === 'BEGIN' ? 'begin' : word === 'COMMIT' ? 'commit' : 'rollback' };
      }
      case 'USE': {
        this.next();
        return { k: 'use', db: this.ident() };
      }
      default:
        if (STATEMENT_START.has(word)) throw sqlErrors.unsupported(`the ${word} statement`);
        throw this.fail();
    }
  }

  private tableRef(): TableRef {
    const parts = [this.ident()];
    while (this.acceptOp('.')) parts.push(this.isOp('.') ? '' : this.ident());
    if (parts.length > 3) throw this.fail();
    const name = parts[parts.length - 1]!;
    const ref: TableRef = { name };
    if (parts.length >= 2) ref.schema = parts[parts.length - 2] || 'dbo';
    if (parts.length === 3) ref.db = parts[0];
    if (this.acceptKw('AS')) ref.alias = this.ident();
    else if (this.t.kind === 'qident' || (this.t.kind === 'ident' && !RESERVED.has(this.t.text.toUpperCase()) && !STATEMENT_START.has(this.t.text.toUpperCase()))) ref.alias = this.ident();
    return ref;
  }

  private top(): Expr {
    if (this.acceptOp('(')) {
      const e = this.value();
      this.expectOp(')');
      return e;
    }
    const t = this.next();
    if (t.kind === 'number') return { k: 'lit', v: Number(t.text), t: { kind: 'bigint' } };
    if (t.kind === 'var') return { k: 'param', name: t.text };
    throw this.fail(t);
  }

  private select(): Select {
    this.expectKw('SELECT');
    const s: Select = { k: 'select', distinct: false, items: [] };
    if (this.acceptKw('DISTINCT')) s.distinct = true;
    else this.acceptKw('ALL');
    if (this.acceptKw('TOP')) {
      s.top = this.top();
      if (this.isKw('PERCENT')) throw sqlErrors.unsupported('TOP ... PERCENT');
    }
    do s.items.push(this.selectItem());
    while (this.acceptOp(','));
    if (this.isKw('INTO')) throw sqlErrors.unsupported('SELECT ... INTO');
    if (this.acceptKw('FROM')) {
      s.from = this.tableRef();
      if (this.isOp(',') || this.isKw('JOIN') || this.isKw('INNER') || this.isKw('LEFT') || this.isKw('CROSS') || this.isKw('RIGHT') || this.isKw('FULL')) throw sqlErrors.unsupported('joins');
      if (this.isKw('WITH') && this.isOp('(', this.peek())) {
        // table hints such as WITH (NOLOCK) change nothing in a single-writer store
        this.next();
        this.next();
        while (!this.isOp(')') && this.t.kind !== 'eof') this.next();
        this.expectOp(')');
      }
    }
    if (this.acceptKw('WHERE')) s.where = this.condition();
    if (this.acceptKw('GROUP')) {
      this.expectKw('BY');
      s.groupBy = [];
      do s.groupBy.push(this.value());
      while (this.acceptOp(','));
    }
    if (this.acceptKw('HAVING')) s.having = this.condition();
    if (this.isKw('UNION') || this.isKw('EXCEPT') || this.isKw('INTERSECT')) throw sqlErrors.unsupported(this.t.text.toUpperCase());
    if (this.acceptKw('ORDER')) {
      this.expectKw('BY');
      s.orderBy = [];
      do {
        const item: OrderItem = { e: this.value(), desc: false };
        if (this.acceptKw('DESC')) item.desc = true;
        else this.acceptKw('ASC');
        s.orderBy.push(item);
      } while (this.acceptOp(','));
      if (this.acceptKw('OFFSET')) {
        s.offset = this.value();
        if (!this.acceptKw('ROWS')) this.expectKw('ROW');
        if (this.acceptKw('FETCH')) {
          if (!this.acceptKw('NEXT')) this.expectKw('FIRST');
          s.fetch = this.value();
          if (!this.acceptKw('ROWS')) this.expectKw('ROW');
          this.expectKw('ONLY');
        }
      }
    }
    if (this.isKw('FOR') || this.isKw('OPTION')) throw sqlErrors.unsupported(`${this.t.text.toUpperCase()} clause`);
    return s;
  }

  private selectItem(): SelectItem {
    if (this.acceptOp('*')) return { k: 'star' };
    if ((this.t.kind === 'ident' || this.t.kind === 'qident') && this.isOp('.', this.peek()) && this.isOp('*', this.peek(2))) {
      const table = this.ident();
      this.next();
      this.next();
      return { k: 'star', table };
    }
    // @v = expr assigns (T-SQL: a SELECT item that starts so is never a comparison)
    if (this.t.kind === 'var') {
      const at = this.i;
      const name = this.next().text;
      const op = this.assignOp();
      if (op) return { k: 'assign', name, op, e: this.value() };
      this.i = at;
    }
    // alias = expr, the alias a name or (deprecated, still served) a string literal
    const first = this.t;
    const aliasLike = first.kind === 'qident' || first.kind === 'string' || first.kind === 'nstring' || (first.kind === 'ident' && !RESERVED.has(first.text.toUpperCase()));
    if (aliasLike && this.isOp('=', this.peek())) {
      this.i += 2;
      return { k: 'expr', e: this.value(), alias: first.text };
    }
    const e = this.value();
    return { k: 'expr', e, ...this.alias() };
  }

  private alias(): { alias?: string } {
    if (this.acceptKw('AS')) {
      const t = this.t;
      if (t.kind === 'string' || t.kind === 'nstring') {
        this.next();
        return { alias: t.text };
      }
      return { alias: this.ident() };
    }
    const t = this.t;
    if (t.kind === 'qident' || t.kind === 'string' || t.kind === 'nstring') {
      this.next();
      return { alias: t.text };
    }
    if (t.kind === 'ident' && !RESERVED.has(t.text.toUpperCase()) && !STATEMENT_START.has(t.text.toUpperCase())) {
      this.next();
      return { alias: t.text };
    }
    return {};
  }

  private output(): OutputItem[] | undefined {
    if (!this.acceptKw('OUTPUT')) return undefined;
    const items: OutputItem[] = [];
    do {
      const side = this.t.text.toLowerCase();
      if ((side === 'inserted' || side === 'deleted') && this.isOp('.', this.peek()) && this.isOp('*', this.peek(2))) {
        this.i += 3;
        items.push({ k: 'star', side });
      } else {
        const e = this.value();
        items.push({ k: 'expr', e, ...this.alias() });
      }
    } while (this.acceptOp(','));
    if (this.isKw('INTO')) throw sqlErrors.unsupported('OUTPUT ... INTO');
    return items;
  }

  private insert(): Statement {
    this.expectKw('INSERT');
    this.acceptKw('INTO');
    const table = this.tableRef();
    let columns: string[] | undefined;
    if (this.acceptOp('(')) {
      columns = [];
      do columns.push(this.ident());
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    const output = this.output();
    if (this.isKw('SELECT') || this.isKw('DEFAULT') || this.isKw('EXEC') || this.isKw('EXECUTE')) throw sqlErrors.unsupported(`INSERT ... ${this.t.text.toUpperCase()}`);
    this.expectKw('VALUES');
    const values: Expr[][] = [];
    do {
      this.expectOp('(');
      const row: Expr[] = [];
      do row.push(this.value());
      while (this.acceptOp(','));
      this.expectOp(')');
      values.push(row);
    } while (this.acceptOp(','));
    return { k: 'insert', table, ...(columns ? { columns } : {}), ...(output ? { output } : {}), values };
  }

  private update(): Statement {
    this.expectKw('UPDATE');
    const top = this.acceptKw('TOP') ? this.top() : undefined;
    const table = this.tableRef();
    this.expectKw('SET');
    const set: [string, Expr][] = [];
    do {
      let name = this.ident();
      if (this.acceptOp('.')) name = this.ident();
      if (['+=', '-='].some((o) => this.isOp(o[0]!) && this.isOp('=', this.peek()))) {
        const op = this.next().text;
        this.next();
        set.push([name, { k: 'bin', op, l: { k: 'col', name }, r: this.value() }]);
      } else {
        this.expectOp('=');
        set.push([name, this.value()]);
      }
    } while (this.acceptOp(','));
    const output = this.output();
    if (this.isKw('FROM')) throw sqlErrors.unsupported('UPDATE ... FROM');
    const where = this.acceptKw('WHERE') ? this.condition() : undefined;
    return { k: 'update', table, set, ...(output ? { output } : {}), ...(where ? { where } : {}), ...(top ? { top } : {}) };
  }

  private delete(): Statement {
    this.expectKw('DELETE');
    const top = this.acceptKw('TOP') ? this.top() : undefined;
    this.acceptKw('FROM');
    const table = this.tableRef();
    const output = this.output();
    const where = this.acceptKw('WHERE') ? this.condition() : undefined;
    return { k: 'delete', table, ...(output ? { output } : {}), ...(where ? { where } : {}), ...(top ? { top } : {}) };
  }

  private set(): Statement {
    this.expectKw('SET');
    if (this.t.kind === 'var') {
      const name = this.next().text;
      const op = this.assignOp();
      if (!op) throw this.fail();
      return { k: 'setvar', name, op, e: this.value() };
    }
    const words: string[] = [];
    while (this.t.kind !== 'eof' && !this.isOp(';') && !(this.t.kind === 'ident' && STATEMENT_START.has(this.t.text.toUpperCase()) && words.length > 0)) {
      const t = this.next();
      // a signed number (SET LOCK_TIMEOUT -1) is one word
      if (this.isOp('-', t) && this.t.kind === 'number') words.push('-' + this.next().text);
      else words.push(t.kind === 'string' || t.kind === 'nstring' || t.kind === 'qident' ? t.text : t.text.toUpperCase());
    }
    if (words[0] === 'TRANSACTION') return { k: 'set', options: ['TRANSACTION ISOLATION LEVEL'], value: words.slice(3).join(' ') };
    if (words.length < 2) throw this.fail();
    const options = words.slice(0, -1).join(' ').split(/\s*,\s*/);
    if (options.some((o) => o === '')) throw sqlErrors.syntax(',');
    return { k: 'set', options, value: words[words.length - 1]! };
  }

  private declare(): Statement {
    this.expectKw('DECLARE');
    const vars: { name: string; type: SqlType; init?: Expr }[] = [];
    do {
      const t = this.next();
      if (t.kind !== 'var') throw this.fail(t);
      this.acceptKw('AS');
      const type = this.typeSpec();
      const init = this.acceptOp('=') ? this.value() : undefined;
      vars.push({ name: t.text, type, ...(init ? { init } : {}) });
    } while (this.acceptOp(','));
    return { k: 'declare', vars };
  }

  /** a type name; `defaultLength` is the length of a (VAR)CHAR / VARBINARY written without one (30 in CAST and CONVERT) */
  private typeSpec(defaultLength?: number): SqlType {
    const name = this.next();
    if (name.kind !== 'ident' && name.kind !== 'qident') throw this.fail(name);
    const args: (number | 'max')[] = [];
    if (this.acceptOp('(')) {
      do {
        const a = this.next();
        if (a.kind === 'number') args.push(Number(a.text));
        else if (a.kind === 'ident' && a.text.toUpperCase() === 'MAX') args.push('max');
        else throw this.fail(a);
      } while (this.acceptOp(','));
      this.expectOp(')');
    }
    const type = parseTypeName(name.text, args);
    if (defaultLength && args.length === 0 && ['varchar', 'nvarchar', 'varbinary'].includes(type.kind) && name.text.toLowerCase() !== 'sysname') {
      return { ...type, length: defaultLength };
    }
    return type;
  }

  // ---- expressions, lowest precedence first ----

  expr(): Expr {
    let l = this.and();
    while (this.acceptKw('OR')) l = { k: 'bin', op: 'or', l, r: this.and() };
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.acceptKw('AND')) l = { k: 'bin', op: 'and', l, r: this.not() };
    return l;
  }
  private not(): Expr {
    if (this.acceptKw('NOT')) return { k: 'unary', op: 'not', e: this.not() };
    return this.predicate();
  }
  private predicate(): Expr {
    if (this.isKw('EXISTS')) throw sqlErrors.unsupported('EXISTS subqueries');
    const e = this.additive();
    const t = this.t;
    if (t.kind === 'op' && ['=', '<>', '<', '>', '<=', '>=', '!<', '!>'].includes(t.text)) {
      this.next();
      const op = t.text === '!<' ? '>=' : t.text === '!>' ? '<=' : t.text;
      if (this.isKw('ANY') || this.isKw('ALL') || this.isKw('SOME')) throw sqlErrors.unsupported('ANY/ALL subqueries');
      return { k: 'bin', op, l: e, r: this.additive() };
    }
    if (this.acceptKw('IS')) {
      const not = this.acceptKw('NOT');
      this.expectKw('NULL');
      return { k: 'isnull', e, not };
    }
    const not = this.acceptKw('NOT');
    if (this.acceptKw('IN')) {
      this.expectOp('(');
      if (this.isKw('SELECT')) throw sqlErrors.unsupported('IN (subquery)');
      const list: Expr[] = [];
      do list.push(this.expr());
      while (this.acceptOp(','));
      this.expectOp(')');
      return { k: 'in', e, list, not };
    }
    if (this.acceptKw('BETWEEN')) {
      const lo = this.additive();
      this.expectKw('AND');
      return { k: 'between', e, lo, hi: this.additive(), not };
    }
    if (this.acceptKw('LIKE')) {
      const pattern = this.additive();
      const escape = this.acceptKw('ESCAPE') ? this.primary() : undefined;
      return { k: 'like', e, pattern, not, ...(escape ? { escape } : {}) };
    }
    if (not) throw this.fail();
    return e;
  }
  private additive(): Expr {
    let l = this.multiplicative();
    for (;;) {
      const t = this.t;
      if (t.kind === 'op' && ['+', '-', '&', '|', '^'].includes(t.text)) {
        this.next();
        l = { k: 'bin', op: t.text, l, r: this.multiplicative() };
      } else return l;
    }
  }
  private multiplicative(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.t;
      if (t.kind === 'op' && ['*', '/', '%'].includes(t.text)) {
        this.next();
        l = { k: 'bin', op: t.text, l, r: this.unary() };
      } else return l;
    }
  }
  private unary(): Expr {
    const t = this.t;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.next();
      const e = this.unary();
      if (t.text === '-' && e.k === 'lit' && typeof e.v === 'number') return { ...e, v: -e.v };
      return { k: 'unary', op: t.text as '-' | '+' | '~', e };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return numberLiteral(t.text);
      case 'string':
        return { k: 'lit', v: t.text, t: { kind: 'varchar', length: Math.max(t.text.length, 1) } };
      case 'nstring':
        return { k: 'lit', v: t.text, t: { kind: 'nvarchar', length: Math.min(Math.max(t.text.length, 1), 4000) } };
      case 'binary':
        return { k: 'lit', v: Buffer.from(t.text.length % 2 ? '0' + t.text : t.text, 'hex'), t: { kind: 'varbinary', length: Math.max(1, Math.ceil(t.text.length / 2)) } };
      case 'var':
        return { k: 'param', name: t.text };
      case 'sysvar':
        return { k: 'sysvar', name: t.text.slice(2).toUpperCase() };
      case 'op':
        if (t.text === '(') {
          if (this.isKw('SELECT')) throw sqlErrors.unsupported('subqueries');
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        throw this.fail(t);
      case 'qident':
      case 'ident': {
        const upper = t.text.toUpperCase();
        if (t.kind === 'ident') {
          if (upper === 'NULL') return { k: 'lit', v: null, t: null };
          if (upper === 'CASE') return this.caseExpr();
          if (upper === 'CURRENT_TIMESTAMP') return { k: 'call', name: 'GETDATE', args: [] };
          if ((upper === 'CAST' || upper === 'TRY_CAST') && this.isOp('(')) {
            this.next();
            const e = this.expr();
            this.expectKw('AS');
            const type = this.typeSpec(30);
            this.expectOp(')');
            return { k: 'cast', e, type };
          }
          if ((upper === 'CONVERT' || upper === 'TRY_CONVERT') && this.isOp('(')) {
            this.next();
            const type = this.typeSpec(30);
            this.expectOp(',');
            const e = this.expr();
            const style = this.acceptOp(',') ? this.expr() : undefined;
            this.expectOp(')');
            return { k: 'cast', e, type, ...(style ? { style } : {}) };
          }
          if (RESERVED.has(upper) && !(this.isOp('(') && ['LEFT', 'RIGHT'].includes(upper))) throw this.fail(t);
        }
        if (this.isOp('(')) return this.call(t.text);
        // a.b, a.b.c (db.schema.table.column is not needed without joins)
        const parts = [t.text];
        while (this.acceptOp('.')) parts.push(this.ident());
        if (parts.length === 1) return { k: 'col', name: parts[0]! };
        return { k: 'col', table: parts[parts.length - 2]!, name: parts[parts.length - 1]! };
      }
      default:
        throw this.fail(t);
    }
  }

  private call(name: string): Expr {
    this.expectOp('(');
    const upper = name.toUpperCase();
    if (upper === 'DATEADD' || upper === 'DATEDIFF' || upper === 'DATEPART' || upper === 'DATENAME') {
      const part = this.ident().toLowerCase();
      const args: Expr[] = [{ k: 'lit', v: part, t: { kind: 'varchar', length: part.length } }];
      while (this.acceptOp(',')) args.push(this.expr());
      this.expectOp(')');
      return { k: 'call', name: upper, args };
    }
    if (this.acceptOp(')')) return { k: 'call', name: upper, args: [] };
    if (isAggregate(upper) && this.acceptOp('*')) {
      this.expectOp(')');
      return { k: 'call', name: upper, args: [], star: true };
    }
    const distinct = isAggregate(upper) && this.acceptKw('DISTINCT');
    if (!distinct && isAggregate(upper)) this.acceptKw('ALL');
    const args: Expr[] = [];
    do args.push(this.expr());
    while (this.acceptOp(','));
    this.expectOp(')');
    if (this.isKw('OVER')) throw sqlErrors.unsupported('window functions');
    return { k: 'call', name: upper, args, ...(distinct ? { distinct } : {}) };
  }

  private caseExpr(): Expr {
    const operand = this.isKw('WHEN') ? undefined : this.expr();
    const whens: [Expr, Expr][] = [];
    while (this.acceptKw('WHEN')) {
      const w = this.expr();
      this.expectKw('THEN');
      whens.push([w, this.expr()]);
    }
    if (whens.length === 0) throw this.fail();
    const otherwise = this.acceptKw('ELSE') ? this.expr() : undefined;
    this.expectKw('END');
    return { k: 'case', whens, ...(operand ? { operand } : {}), ...(otherwise ? { else: otherwise } : {}) };
  }
}

function numberLiteral(text: string): Expr {
  if (/e/i.test(text)) return { k: 'lit', v: Number(text), t: { kind: 'float' } };
  if (text.includes('.')) {
    const [int = '', frac = ''] = text.split('.');
    const scale = frac.length;
    const precision = Math.min(38, Math.max(int.replace(/^0+/, '').length + scale, 1));
    return { k: 'lit', v: Number(text), t: { kind: 'decimal', precision, scale: Math.min(scale, precision) } };
  }
  const v = Number(text);
  if (v <= 2147483647) return { k: 'lit', v, t: { kind: 'int' } };
  if (v <= Number.MAX_SAFE_INTEGER) return { k: 'lit', v, t: { kind: 'bigint' } };
  return { k: 'lit', v, t: { kind: 'decimal', precision: Math.min(38, text.length), scale: 0 } };
}

// ---- values and search conditions ----
// T-SQL has no boolean values: a comparison is a search condition, allowed only where one is expected
// (WHERE, HAVING, WHEN of a searched CASE, IIF's first argument, around AND / OR / NOT), and a value is
// no condition. Parsing both with one grammar and checking each context keeps the parser small.

const COMPARISONS = new Set(['=', '<>', '<', '>', '<=', '>=']);

/** the operator or keyword that makes `e` a search condition, if it is one */
function conditionWord(e: Expr): string | undefined {
  switch (e.k) {
    case 'bin':
      return e.op === 'and' || e.op === 'or' ? e.op.toUpperCase() : COMPARISONS.has(e.op) ? e.op : undefined;
    case 'unary':
      return e.op === 'not' ? 'NOT' : undefined;
    case 'in':
      return 'IN';
    case 'between':
      return 'BETWEEN';
    case 'like':
      return 'LIKE';
    case 'isnull':
      return 'IS';
    default:
      return undefined;
  }
}

function checkValue(e: Expr): void {
  const word = conditionWord(e);
  if (word) throw /^[A-Z]+$/.test(word) ? new SqlError(156, `Incorrect syntax near the keyword '${word}'.`, 15, 1) : sqlErrors.syntax(word);
  switch (e.k) {
    case 'unary':
      return checkValue(e.e);
    case 'cast':
      if (e.style) checkValue(e.style);
      return checkValue(e.e);
    case 'bin':
      checkValue(e.l);
      return checkValue(e.r);
    case 'call':
      return e.args.forEach((a, i) => (e.name === 'IIF' && i === 0 ? checkCondition(a, e.name) : checkValue(a)));
    case 'case':
      if (e.operand) checkValue(e.operand);
      for (const [when, then] of e.whens) {
        if (e.operand) checkValue(when);
        else checkCondition(when, 'THEN');
        checkValue(then);
      }
      if (e.else) checkValue(e.else);
      return;
    default:
      return;
  }
}

function checkCondition(e: Expr, near: string): void {
  switch (e.k) {
    case 'bin':
      if (e.op === 'and' || e.op === 'or') {
        checkCondition(e.l, e.op.toUpperCase());
        return checkCondition(e.r, near);
      }
      if (!COMPARISONS.has(e.op)) break;
      checkValue(e.l);
      return checkValue(e.r);
    case 'unary':
      if (e.op !== 'not') break;
      return checkCondition(e.e, near);
    case 'in':
      checkValue(e.e);
      return e.list.forEach(checkValue);
    case 'between':
      [e.e, e.lo, e.hi].forEach(checkValue);
      return;
    case 'like':
      checkValue(e.e);
      checkValue(e.pattern);
      if (e.escape) checkValue(e.escape);
      return;
    case 'isnull':
      return checkValue(e.e);
  }
  throw new SqlError(4145, `An expression of non-boolean type specified in a context where a condition is expected, near '${near}'.`, 15, 1);
}
