import type { MakespanState } from './makespan-state.js';

const eps = 1e-9;
/** longest run of jobs the within-machine or-opt moves: changeovers make neighbouring jobs travel together */
const orOptMax = 8;

/**
 * Local search for the makespan on a MakespanState. A move touches one or two machines and is taken when
 * it lowers the larger of their completions, or keeps it and lowers their sum: the machines' completions
 * sorted from the top then fall lexicographically, so the makespan never rises and the descent ends, and
 * machines other than the critical one shed work too (room the next move needs; a makespan-only descent
 * sees a flat landscape). Only machine pairs with a machine changed since they were last scanned are
 * scanned again.
 */
export class MakespanDescent {
  /** machines changed since their pairs were last scanned */
  readonly dirty: Uint8Array;

  constructor(
    private readonly st: MakespanState,
    private readonly tick: () => void,
  ) {
    this.dirty = new Uint8Array(st.m).fill(1);
  }

  run(): void {
    const m = this.st.m;
    for (let any = true; any; ) {
      any = false;
      for (let a = 0; a < m; a++) {
        if (!this.dirty[a]) continue;
        this.tick();
        this.dirty[a] = 0;
        this.within(a);
        for (let b = 0; b < m; b++) {
          if (b !== a && this.across(a, b)) {
            this.dirty[a] = 1;
            this.dirty[b] = 1;
            any = true;
          }
        }
      }
    }
  }

  /** or-opt (a run of 1 to orOptMax jobs elsewhere on the machine) and swaps within machine k, first improvement */
  private within(k: number): void {
    const st = this.st;
    const a = st.arc[k]!;
    const N = st.N;
    const seq = st.seq;
    const o = k * st.stride;
    for (let improved = true; improved; ) {
      improved = false;
      const L = st.len[k]!;
      scan: for (let s = 1; s <= orOptMax; s++) {
        for (let i = 1; i + s - 1 <= L; i++) {
          const u = seq[o + i - 1]!;
          const f = seq[o + i]!;
          const l = seq[o + i + s - 1]!;
          const v = seq[o + i + s]!;
          const out = a[u * N + v]! - a[u * N + f]! - a[l * N + v]!;
          for (let t = 1; t <= L + 1; t++) {
            if (t >= i && t <= i + s) continue;
            const x = seq[o + t - 1]!;
            const y = seq[o + t]!;
            if (out + a[x * N + f]! + a[l * N + y]! - a[x * N + y]! < -eps) {
              st.moveSegment(k, i, s, t);
              improved = true;
              break scan;
            }
          }
        }
      }
      if (improved) continue;
      // swaps of two jobs with at least one between them (adjacent ones are a one-job or-opt move)
      swaps: for (let i = 1; i <= L; i++) {
        const pi = seq[o + i - 1]!;
        const x = seq[o + i]!;
        const ni = seq[o + i + 1]!;
        const outI = a[pi * N + x]! + a[x * N + ni]!;
        for (let t = i + 2; t <= L; t++) {
          const pt = seq[o + t - 1]!;
          const y = seq[o + t]!;
          const nt = seq[o + t + 1]!;
          const d = a[pi * N + y]! + a[y * N + ni]! + a[pt * N + x]! + a[x * N + nt]! - outI - a[pt * N + y]! - a[y * N + nt]!;
          if (d < -eps) {
            st.swapWithin(k, i, t);
            improved = true;
            break swaps;
          }
        }
      }
    }
  }

  /** the best move of one job from a to b, from b to a, or a swap of a job of each; true if one was taken */
  private across(a: number, b: number): boolean {
    const st = this.st;
    const N = st.N;
    const seq = st.seq;
    const A = st.arc[a]!;
    const B = st.arc[b]!;
    const oa = a * st.stride;
    const ob = b * st.stride;
    const La = st.len[a]!;
    const Lb = st.len[b]!;
    const ca = st.comp[a]!;
    const cb = st.comp[b]!;
    let bestMax = Math.max(ca, cb);
    let bestSum = ca + cb;
    // 1: a job a -> b, 2: b -> a, 3: swap; positions i on a, q on b
    let kind = 0;
    let bi = 0;
    let bq = 0;
    const consider = (na: number, nb: number, k: number, i: number, q: number) => {
      const mx = na > nb ? na : nb;
      const sm = na + nb;
      if (mx < bestMax - eps || (mx <= bestMax + eps && sm < bestSum - eps)) {
        bestMax = mx;
        bestSum = sm;
        kind = k;
        bi = i;
        bq = q;
      }
    };
    for (let i = 1; i <= La; i++) {
      const x = seq[oa + i]!;
      const ux = seq[oa + i - 1]!;
      const vx = seq[oa + i + 1]!;
      const outX = A[ux * N + x]! + A[x * N + vx]!;
      const na = ca + A[ux * N + vx]! - outX;
      if (B[x] !== Infinity) {
        st.bestInsertion(b, x, 0);
        consider(na, cb + st.insDelta, 1, i, st.insPos);
      }
      for (let q = 1; q <= Lb; q++) {
        const y = seq[ob + q]!;
        if (A[y] === Infinity || B[x] === Infinity) continue;
        const uy = seq[ob + q - 1]!;
        const vy = seq[ob + q + 1]!;
        const na2 = ca - outX + A[ux * N + y]! + A[y * N + vx]!;
        const nb2 = cb - B[uy * N + y]! - B[y * N + vy]! + B[uy * N + x]! + B[x * N + vy]!;
        consider(na2, nb2, 3, i, q);
      }
    }
    for (let q = 1; q <= Lb; q++) {
      const y = seq[ob + q]!;
      if (A[y] === Infinity) continue;
      const nb = cb + st.removeDelta(b, q);
      st.bestInsertion(a, y, 0);
      consider(ca + st.insDelta, nb, 2, st.insPos, q);
    }
    if (kind === 0) return false;
    if (kind === 1) st.insert(b, bq, st.remove(a, bi));
    else if (kind === 2) st.insert(a, bi, st.remove(b, bq));
    else {
      const x = seq[oa + bi]!;
      st.put(a, bi, seq[ob + bq]!);
      st.put(b, bq, x);
    }
    return true;
  }
}
