/**
 * Windows-1252, the code page of the server collation (SQL_Latin1_General_CP1_CI_AS) in which
 * VARCHAR values travel. It differs from Latin-1 only in 0x80-0x9F (€, ‚, smart quotes, ...).
 */
const HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const REVERSE = new Map([...HIGH].map((c, i) => [c, 0x80 + i]));

export function decodeCp1252(b: Buffer): string {
  let s = '';
  for (const byte of b) s += byte >= 0x80 && byte < 0xa0 ? HIGH[byte - 0x80] : String.fromCharCode(byte);
  return s;
}

/** characters without a code in CP1252 become '?', as SQL Server converts them */
export function encodeCp1252(s: string): Buffer {
  const out = Buffer.alloc(s.length);
  let n = 0;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    out[n++] = code < 0x80 || (code >= 0xa0 && code <= 0xff) ? code : (REVERSE.get(ch) ?? 0x3f);
  }
  return out.subarray(0, n);
}
