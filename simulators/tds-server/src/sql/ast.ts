/** Syntax tree of the T-SQL subset. */
import type { SqlType, SqlValue } from '../types.js';

export type Expr =
  | { k: 'lit'; v: SqlValue; t: SqlType | null }
  | { k: 'col'; table?: string; name: string }
  | { k: 'param'; name: string }
  | { k: 'sysvar'; name: string }
  | { k: 'unary'; op: '-' | '+' | '~' | 'not'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { k: 'between'; e: Expr; lo: Expr; hi: Expr; not: boolean }
  | { k: 'like'; e: Expr; pattern: Expr; escape?: Expr; not: boolean }
  | { k: 'isnull'; e: Expr; not: boolean }
  | { k: 'call'; name: string; args: Expr[]; star?: boolean; distinct?: boolean }
  /** CAST / CONVERT; `style` is CONVERT's third argument */
  | { k: 'cast'; e: Expr; type: SqlType; style?: Expr }
  | { k: 'case'; operand?: Expr; whens: [Expr, Expr][]; else?: Expr };

/** `@v = expr` (or `@v += expr`...) assigns instead of returning a column: a SELECT either assigns or returns. */
export type SelectItem = { k: 'star'; table?: string } | { k: 'expr'; e: Expr; alias?: string } | { k: 'assign'; name: string; op: AssignOp; e: Expr };

/** `=` or a compound assignment's arithmetic operator (`+=` is '+') */
export type AssignOp = '=' | '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^';

export interface TableRef {
  /** database name if given (db.schema.table) */
  db?: string;
  schema?: string;
  name: string;
  alias?: string;
}

export interface OrderItem {
  e: Expr;
  desc: boolean;
}

export interface Select {
  k: 'select';
  distinct: boolean;
  top?: Expr;
  items: SelectItem[];
  from?: TableRef;
  where?: Expr;
  groupBy?: Expr[];
  having?: Expr;
  orderBy?: OrderItem[];
  offset?: Expr;
  fetch?: Expr;
}

/** OUTPUT INSERTED.x / DELETED.x items */
export type OutputItem = { k: 'star'; side: 'inserted' | 'deleted' } | { k: 'expr'; e: Expr; alias?: string };

export type Statement =
  | Select
  | { k: 'insert'; table: TableRef; columns?: string[]; output?: OutputItem[]; values: Expr[][] }
  | { k: 'update'; table: TableRef; set: [string, Expr][]; output?: OutputItem[]; where?: Expr; top?: Expr }
  | { k: 'delete'; table: TableRef; output?: OutputItem[]; where?: Expr; top?: Expr }
  /** SET <option>[, <option>...] <value>; SET TRANSACTION ISOLATION LEVEL is option 'TRANSACTION ISOLATION LEVEL' */
  | { k: 'set'; options: string[]; value: string }
  | { k: 'declare'; vars: { name: string; type: SqlType; init?: Expr }[] }
  | { k: 'setvar'; name: string; op: AssignOp; e: Expr }
  | { k: 'waitfor'; delay: Expr }
  | { k: 'use'; db: string }
  | { k: 'tran'; op: 'begin' | 'commit' | 'rollback' };

export interface ParsedStatement {
  stmt: Statement;
  /** 1-based line of the statement in the batch, for ERROR tokens */
  line: number;
}
