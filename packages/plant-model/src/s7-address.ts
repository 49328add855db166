/**
 * S7 absolute addresses in the notation used throughout the plant model:
 *   DB<n>,X<byte>.<bit>  DB<n>,BYTE<o>  DB<n>,CHAR<o>  DB<n>,INT<o>  DB<n>,WORD<o>
 *   DB<n>,DINT<o>  DB<n>,DWORD<o>  DB<n>,REAL<o>  DB<n>,LREAL<o>  DB<n>,S<o>.<maxLen>
 * This is the nodes7 item syntax, so the same strings go straight to the driver.
 */
export type S7Type = 'bool' | 'byte' | 'char' | 'int' | 'word' | 'dint' | 'dword' | 'real' | 'lreal' | 'string';

export interface S7Address {
  db: number;
  type: S7Type;
  /** byte offset in the DB */
  offset: number;
  /** bit number for bool */
  bit: number;
  /** max characters for string (S7 STRING[n] occupies n + 2 bytes) */
  length: number;
  /** bytes the item occupies in the DB */
  size: number;
}

const codes: Record<string, S7Type> = {
  X: 'bool', BYTE: 'byte', CHAR: 'char', INT: 'int', WORD: 'word',
  DINT: 'dint', DWORD: 'dword', REAL: 'real', LREAL: 'lreal', S: 'string',
};

const sizes: Record<Exclude<S7Type, 'string'>, number> = {
  bool: 1, byte: 1, char: 1, int: 2, word: 2, dint: 4, dword: 4, real: 4, lreal: 8,
};

const pattern = /^DB(\d{1,5}),(X|BYTE|CHAR|INT|WORD|DINT|DWORD|REAL|LREAL|S)(\d{1,5})(?:\.(\d{1,3}))?$/;

/** Parses an address; returns a message naming what is wrong instead of throwing. */
export function parseS7Address(text: string): S7Address | string {
  const m = pattern.exec(text.trim());
  if (!m) return `"${text}" is not an S7 address like DB10,REAL4 or DB10,X0.3 or DB10,S20.32`;
  const db = Number(m[1]);
  const type = codes[m[2]!]!;
  const offset = Number(m[3]);
  const suffix = m[4] === undefined ? undefined : Number(m[4]);
  if (db < 1) return `"${text}": DB number must be 1 or more`;
  if (type === 'bool') {
    if (suffix === undefined || suffix > 7) return `"${text}": a bit address needs a bit number 0-7, e.g. DB${db},X${offset}.0`;
    return { db, type, offset, bit: suffix, length: 0, size: 1 };
  }
  if (type === 'string') {
    if (suffix === undefined || suffix < 1 || suffix > 254) return `"${text}": a string needs its length 1-254, e.g. DB${db},S${offset}.32`;
    if (offset % 2 !== 0) return `"${text}": a STRING starts on an even byte offset`;
    return { db, type, offset, bit: 0, length: suffix, size: suffix + 2 };
  }
  if (suffix !== undefined) return `"${text}": only X (bit) and S (string) addresses take a ".n" suffix`;
  const size = sizes[type];
  if (size >= 2 && offset % 2 !== 0) return `"${text}": ${type.toUpperCase()} must start on an even byte offset (S7 word alignment)`;
  return { db, type, offset, bit: 0, length: 0, size };
}

export function formatS7Address(a: Pick<S7Address, 'db' | 'type' | 'offset' | 'bit' | 'length'>): string {
  const code = Object.entries(codes).find(([, t]) => t === a.type)![0];
  if (a.type === 'bool') return `DB${a.db},X${a.offset}.${a.bit}`;
  if (a.type === 'string') return `DB${a.db},S${a.offset}.${a.length}`;
  return `DB${a.db},${code}${a.offset}`;
}
