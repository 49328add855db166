/** Relative percentage deviation above a reference value; a reference of 0 counts 0 when met, else 100. */
export function rpd(value: number, reference: number): number {
  if (reference === 0) return value <= 0 ? 0 : 100;
  return ((value - reference) / reference) * 100;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** share of runs at or below their reference (the optimum): exact for the integer public instances */
export function shareAtReference(rows: readonly { value: number; reference: number }[]): number {
  return rows.length ? rows.filter((r) => r.value <= r.reference + 1e-9).length / rows.length : NaN;
}

/** the makespan of machine sequences, recomputed from the instance data alone (no optimiser code) */
export function makespanOf(p: (j: number, k: number) => number, setup: (k: number, a: number, b: number) => number, seqs: readonly (readonly number[])[]): number {
  let cmax = 0;
  seqs.forEach((seq, k) => {
    let c = 0;
    seq.forEach((j, i) => {
      c += p(j, k) + (i > 0 ? setup(k, seq[i - 1]!, j) : 0);
    });
    cmax = Math.max(cmax, c);
  });
  return cmax;
}

/** total weighted tardiness of one machine's sequence, recomputed from the data alone */
export function weightedTardinessOf(p: readonly number[], w: readonly number[], d: readonly number[], seq: readonly number[]): number {
  let t = 0;
  let sum = 0;
  for (const j of seq) {
    t += p[j]!;
    sum += w[j]! * Math.max(0, t - d[j]!);
  }
  return sum;
}

export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
