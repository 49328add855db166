import { makeInstance, type Instance } from '../instance.js';

/**
 * OR-Library single-machine weighted tardiness: for each instance in turn, n processing times, n weights
 * and n due dates, whitespace separated.
 */
export function parseOrlibWt(text: string, n: number): Instance[] {
  const v = text.split(/\s+/).filter((x) => x.length > 0).map(Number);
  if (v.some((x) => !Number.isInteger(x))) throw new Error('weighted tardiness file: every value must be an integer');
  if (v.length % (3 * n) !== 0) throw new Error(`weighted tardiness file: ${v.length} values is not a multiple of 3 x ${n}`);
  const out: Instance[] = [];
  for (let at = 0; at < v.length; at += 3 * n) {
    const p = v.slice(at, at + n);
    out.push(
      makeInstance({
        m: 1,
        p: p.map((x) => [x]),
        weight: v.slice(at + n, at + 2 * n),
        due: v.slice(at + 2 * n, at + 3 * n),
        cost: { tardiness: 1, setup: 0, makespan: 0 },
      }),
    );
  }
  return out;
}

/** one value per line (wtopt40.txt, wtbest100b.txt) */
export function parseOrlibValues(text: string): number[] {
  return text.split(/\s+/).filter((x) => x.length > 0).map(Number);
}
