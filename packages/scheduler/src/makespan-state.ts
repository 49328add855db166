import type { Instance } from './instance.js';

/** Largest m x (n + 1)^2 arc table the makespan search builds (8 bytes each: 64 MB). */
const maxArcs = 8 * 1024 * 1024;

/**
 * True when the instance is pure makespan on machines without calendars, releases, fixed or locked jobs
 * (the Vallada-Ruiz class): a machine's completion is then the sum of its arcs and every move's effect is
 * a few table look-ups.
 */
export function isPlainMakespan(inst: Instance): boolean {
  return (
    inst.cost.makespan > 0 &&
    inst.cost.tardiness === 0 &&
    inst.cost.setup === 0 &&
    inst.freeFrom <= 0 &&
    inst.release.every((r) => r <= 0) &&
    inst.calendars.every((c) => c === null) &&
    inst.head.every((h) => h.length === 0) &&
    inst.locks.every((l) => l.length === 0) &&
    inst.m * (inst.n + 1) ** 2 <= maxArcs
  );
}

/** A saved solution: the sequences and completions (restore rebuilds the job index). */
export interface MakespanSnapshot {
  seq: Int32Array;
  len: Int32Array;
  comp: Float64Array;
}

/**
 * Machine sequences as node lists for O(1) move evaluation. Node 0 is the machine's empty state (before
 * the first job and after the last), node j + 1 is job j; the arc u -> v on machine k costs the changeover
 * from u to v plus v's processing there, so a machine's completion is the sum of the arcs of its cycle
 * 0 -> jobs -> 0, and putting job x between u and v changes it by arc(u, x) + arc(x, v) - arc(u, v).
 */
export class MakespanState {
  readonly n: number;
  readonly m: number;
  /** nodes per side of an arc table: n + 1 */
  readonly N: number;
  /** per machine, arc[u * N + v]; Infinity into a job the machine cannot do */
  readonly arc: Float64Array[];
  /** per machine, its sequence at [k * stride]: 0, the job nodes, 0 */
  readonly stride: number;
  readonly seq: Int32Array;
  readonly len: Int32Array;
  readonly comp: Float64Array;
  /** machine and position of each node (-1 while out of the solution) */
  readonly machOf: Int32Array;
  readonly posOf: Int32Array;

  constructor(readonly inst: Instance) {
    const { n, m, nCls, cls } = inst;
    this.n = n;
    this.m = m;
    const N = n + 1;
    this.N = N;
    this.arc = [];
    for (let k = 0; k < m; k++) {
      const a = new Float64Array(N * N);
      const S = inst.setup[k]!;
      const first = inst.setupFirst[k]!;
      for (let v = 1; v < N; v++) {
        const p = inst.p[(v - 1) * m + k]!;
        const pv = Number.isNaN(p) ? Infinity : p;
        const cv = cls[v - 1]!;
        a[v] = first[cv]! + pv;
        for (let u = 1; u < N; u++) a[u * N + v] = S[cls[u - 1]! * nCls + cv]! + pv;
      }
      this.arc.push(a);
    }
    this.stride = n + 2;
    this.seq = new Int32Array(m * this.stride);
    this.len = new Int32Array(m);
    this.comp = new Float64Array(m);
    this.machOf = new Int32Array(N).fill(-1);
    this.posOf = new Int32Array(N).fill(-1);
  }

  eligible(k: number, x: number): boolean {
    return this.arc[k]![x] !== Infinity;
  }

  /** loads free job lists (one per machine) */
  load(free: readonly (readonly number[])[]): void {
    this.machOf.fill(-1);
    for (let k = 0; k < this.m; k++) {
      const o = k * this.stride;
      const list = free[k]!;
      this.seq[o] = 0;
      for (let i = 0; i < list.length; i++) this.seq[o + i + 1] = list[i]! + 1;
      this.seq[o + list.length + 1] = 0;
      this.len[k] = list.length;
      this.settle(k);
    }
  }

  lists(): number[][] {
    return Array.from({ length: this.m }, (_, k) => {
      const o = k * this.stride;
      return Array.from(this.seq.subarray(o + 1, o + 1 + this.len[k]!), (v) => v - 1);
    });
  }

  makespan(): number {
    let c = 0;
    for (let k = 0; k < this.m; k++) if (this.comp[k]! > c) c = this.comp[k]!;
    return c;
  }

  /** the tie-breaker: total completion over the machines */
  sumComp(): number {
    let s = 0;
    for (let k = 0; k < this.m; k++) s += this.comp[k]!;
    return s;
  }

  /** the machine with the largest completion (the lowest index on a tie) */
  critical(): number {
    let c = 0;
    for (let k = 1; k < this.m; k++) if (this.comp[k]! > this.comp[c]!) c = k;
    return c;
  }

  /** change of machine k's completion when the job at position i (1-based) leaves it */
  removeDelta(k: number, i: number): number {
    const o = k * this.stride + i;
    const a = this.arc[k]!;
    const N = this.N;
    const u = this.seq[o - 1]!;
    const x = this.seq[o]!;
    const v = this.seq[o + 1]!;
    return a[u * N + v]! - a[u * N + x]! - a[x * N + v]!;
  }

  /** best place for node x on machine k, skipping the job at position `skip` (0: none): left in insPos / insDelta */
  bestInsertion(k: number, x: number, skip: number): void {
    const a = this.arc[k]!;
    const N = this.N;
    const seq = this.seq;
    const o = k * this.stride;
    const end = o + this.len[k]! + 1;
    const xN = x * N;
    let best = Infinity;
    let bestI = 1;
    let u = 0;
    for (let p = o + 1; p <= end; p++) {
      if (p === o + skip) continue;
      const v = seq[p]!;
      const d = a[u * N + x]! + a[xN + v]! - a[u * N + v]!;
      if (d < best) {
        best = d;
        bestI = p - o;
      }
      u = v;
    }
    this.insPos = bestI;
    this.insDelta = best;
  }

  insPos = 1;
  insDelta = 0;

  /** takes the job at position i off machine k; returns its node */
  remove(k: number, i: number): number {
    const o = k * this.stride;
    const x = this.seq[o + i]!;
    const L = this.len[k]!;
    this.seq.copyWithin(o + i, o + i + 1, o + L + 2);
    this.len[k] = L - 1;
    this.machOf[x] = -1;
    this.posOf[x] = -1;
    this.settle(k);
    return x;
  }

  /** puts node x at position i of machine k (before the job there now) */
  insert(k: number, i: number, x: number): void {
    const o = k * this.stride;
    const L = this.len[k]!;
    this.seq.copyWithin(o + i + 1, o + i, o + L + 2);
    this.seq[o + i] = x;
    this.len[k] = L + 1;
    this.settle(k);
  }

  /** replaces the job at position i of machine k by node x */
  put(k: number, i: number, x: number): void {
    this.seq[k * this.stride + i] = x;
    this.settle(k);
  }

  /** moves the L jobs from position i of machine k to before position t (t outside [i, i + L]) */
  moveSegment(k: number, i: number, L: number, t: number): void {
    const o = k * this.stride;
    const seg = this.seq.slice(o + i, o + i + L);
    if (t < i) {
      this.seq.copyWithin(o + t + L, o + t, o + i);
      this.seq.set(seg, o + t);
    } else {
      this.seq.copyWithin(o + i, o + i + L, o + t);
      this.seq.set(seg, o + t - L);
    }
    this.settle(k);
  }

  /** swaps the jobs at positions i and t of machine k */
  swapWithin(k: number, i: number, t: number): void {
    const o = k * this.stride;
    const x = this.seq[o + i]!;
    this.seq[o + i] = this.seq[o + t]!;
    this.seq[o + t] = x;
    this.settle(k);
  }

  /** recomputes machine k's completion and index from its sequence (exact: no drift from summed deltas) */
  private settle(k: number): void {
    const o = k * this.stride;
    const a = this.arc[k]!;
    const N = this.N;
    const L = this.len[k]!;
    let c = 0;
    let u = 0;
    for (let i = 1; i <= L; i++) {
      const v = this.seq[o + i]!;
      c += a[u * N + v]!;
      this.machOf[v] = k;
      this.posOf[v] = i;
      u = v;
    }
    this.comp[k] = c;
  }

  save(into?: MakespanSnapshot): MakespanSnapshot {
    if (!into) return { seq: this.seq.slice(), len: this.len.slice(), comp: this.comp.slice() };
    into.seq.set(this.seq);
    into.len.set(this.len);
    into.comp.set(this.comp);
    return into;
  }

  restore(s: MakespanSnapshot): void {
    this.seq.set(s.seq);
    this.len.set(s.len);
    this.comp.set(s.comp);
    for (let k = 0; k < this.m; k++) {
      const o = k * this.stride;
      for (let i = 1; i <= this.len[k]!; i++) {
        const v = this.seq[o + i]!;
        this.machOf[v] = k;
        this.posOf[v] = i;
      }
    }
  }
}
