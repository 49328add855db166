import { makeInstance, type Instance } from '../instance.js';

/**
 * Vallada & Ruiz (2011) unrelated parallel machines with machine- and sequence-dependent setups:
 * line 1 `n m ...`, line 2 `m`, one line of `machine p` pairs per job, `SSD`, then per machine `M<k>` and an
 * n x n setup matrix (row: previous job, column: next job). The first job on a machine has no setup.
 */
export function parseValladaRuiz(text: string, name = 'instance'): Instance {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const nums = (l: string | undefined, what: string) => {
    if (l === undefined) throw new Error(`${name}: missing ${what}`);
    const v = l.split(/\s+/).map(Number);
    if (v.some((x) => !Number.isFinite(x))) throw new Error(`${name}: ${what} is not numbers: "${l}"`);
    return v;
  };
  const [n, m] = nums(lines[0], 'line 1 (n m)');
  if (!n || !m || n < 1 || m < 1) throw new Error(`${name}: line 1 must start with n and m`);
  let at = 2;
  const p: number[][] = [];
  for (let j = 0; j < n; j++, at++) {
    const row = nums(lines[at], `job ${j}`);
    if (row.length !== 2 * m) throw new Error(`${name}: job ${j} has ${row.length / 2} machine entries, expected ${m}`);
    const pj = new Array<number>(m).fill(NaN);
    for (let i = 0; i < row.length; i += 2) {
      const k = row[i]!;
      if (k < 0 || k >= m) throw new Error(`${name}: job ${j} names machine ${k}`);
      pj[k] = row[i + 1]!;
    }
    p.push(pj);
  }
  if (lines[at] !== 'SSD') throw new Error(`${name}: expected "SSD" after the jobs, found "${lines[at] ?? 'end of file'}"`);
  at++;
  const setup: Float64Array[] = [];
  for (let k = 0; k < m; k++) {
    if (lines[at] !== `M${k}`) throw new Error(`${name}: expected "M${k}", found "${lines[at] ?? 'end of file'}"`);
    at++;
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++, at++) {
      const row = nums(lines[at], `M${k} row ${i}`);
      if (row.length !== n) throw new Error(`${name}: M${k} row ${i} has ${row.length} values, expected ${n}`);
      S.set(row, i * n);
    }
    setup.push(S);
  }
  return makeInstance({
    m,
    p,
    cls: Array.from({ length: n }, (_, j) => j),
    nCls: n,
    setup,
    cost: { tardiness: 0, setup: 0, makespan: 1 },
  });
}

export interface ReferenceRow {
  instance: string;
  bestKnown: number;
  lowerBound: number | null;
}

/** reference.csv: `instance,best_known_makespan,lower_bound,...` */
export function parseReference(text: string): Map<string, ReferenceRow> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines[0]?.split(',').map((h) => h.trim()) ?? [];
  const iName = header.indexOf('instance');
  const iBest = header.indexOf('best_known_makespan');
  const iLb = header.indexOf('lower_bound');
  if (iName < 0 || iBest < 0) throw new Error('reference file needs the columns instance and best_known_makespan');
  const out = new Map<string, ReferenceRow>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const bestKnown = Number(cells[iBest]);
    if (!cells[iName] || !Number.isFinite(bestKnown)) throw new Error(`reference file: bad row "${line}"`);
    const lb = iLb >= 0 && cells[iLb] !== '' ? Number(cells[iLb]) : NaN;
    out.set(cells[iName]!.trim(), { instance: cells[iName]!.trim(), bestKnown, lowerBound: Number.isFinite(lb) ? lb : null });
  }
  return out;
}
