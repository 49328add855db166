/** Tokenizer for the T-SQL subset the simulator executes. */
import { SqlError, sqlErrors } from '../errors.js';

export type TokenKind = 'ident' | 'qident' | 'var' | 'sysvar' | 'number' | 'string' | 'nstring' | 'binary' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** identifier / operator text, string contents, number source */
  text: string;
  /** character offset, for line numbers in errors */
  pos: number;
}

const OPS = ['<>', '!=', '<=', '>=', '!<', '!>', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '.', ';', '~', '&', '|', '^'];

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      // T-SQL block comments nest
      let depth = 0;
      const start = i;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < n);
      if (depth > 0) throw new SqlError(113, "Missing end comment mark '*/'.", 15, 1);
      if (i <= start) i = start + 2;
      continue;
    }
    const start = i;
    if ((c === 'N' || c === 'n') && sql[i + 1] === "'") {
      i++;
      out.push({ kind: 'nstring', text: readQuoted(), pos: start });
      continue;
    }
    if (c === "'") {
      out.push({ kind: 'string', text: readQuoted(), pos: start });
      continue;
    }
    if (c === '[') {
      let s = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlError(105, `Unclosed quotation mark after the character string '${s}'.`, 15, 1);
        if (sql[i] === ']') {
          if (sql[i + 1] === ']') {
            s += ']';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += sql[i++];
      }
      out.push({ kind: 'qident', text: s, pos: start });
      continue;
    }
    if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) throw new SqlError(105, `Unclosed quotation mark after the character string '${sql.slice(i + 1)}'.`, 15, 1);
      out.push({ kind: 'qident', text: sql.slice(i + 1, end), pos: start });
      i = end + 1;
      continue;
    }
    if (c === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
      i += 2;
      while (i < n && /[0-9a-fA-F]/.test(sql[i]!)) i++;
      out.push({ kind: 'binary', text: sql.slice(start + 2, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9]/.test(sql[i]!)) i++;
      if (sql[i] === '.') {
        i++;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      }
      out.push({ kind: 'number', text: sql.slice(start, i), pos: start });
      continue;
    }
    if (c === '@') {
      const sys = sql[i + 1] === '@';
      i += sys ? 2 : 1;
      while (i < n && /[\w@#$]/.test(sql[i]!)) i++;
      const name = sql.slice(start, i);
      if (name === '@' || name === '@@') throw sqlErrors.syntax('@');
      out.push({ kind: sys ? 'sysvar' : 'var', text: name, pos: start });
      continue;
    }
    if (/[A-Za-z_#\u0080-\uffff]/.test(c)) {
      while (i < n && /[\w@#$\u0080-\uffff]/.test(sql[i]!)) i++;
      out.push({ kind: 'ident', text: sql.slice(start, i), pos: start });
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (!op) throw sqlErrors.syntax(c);
    out.push({ kind: 'op', text: op === '!=' ? '<>' : op, pos: start });
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', pos: n });
  return out;

  function readQuoted(): string {
    let s = '';
    i++;
    for (;;) {
      if (i >= n) throw new SqlError(105, `Unclosed quotation mark after the character string '${s}'.`, 15, 1);
      if (sql[i] === "'") {
        if (sql[i + 1] === "'") {
          s += "'";
          i += 2;
          continue;
        }
        i++;
        return s;
      }
      s += sql[i++];
    }
  }
}
