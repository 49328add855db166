import type { Instance } from './instance.js';
import { MakespanDescent } from './makespan-descent.js';
import { MakespanState } from './makespan-state.js';
import type { Rng } from './rng.js';

export interface MakespanIgOptions {
  /** jobs removed per restart: from 2 to this (default 9) */
  destroyMax?: number;
  /** share of the removed jobs taken from the critical machine (default 0.5) */
  criticalShare?: number;
}

const eps = 1e-9;
/** the acceptance temperature as a share of the mean processing time (0.02-0.15 tried: lower is better, to a point) */
const temperatureShare = 0.05;

/**
 * Iterated greedy for the makespan on plain machines (Fanjul-Peyro & Ruiz's scheme for unrelated machines,
 * here with sequence-dependent setups): remove a few jobs, half of them from the critical machine, put each
 * back where it raises the makespan least (then adds the least time), descend (MakespanDescent), and accept
 * a worse solution with a probability falling with its loss (simulated-annealing rule at a constant
 * temperature). Solutions compare by makespan, then total completion.
 */
export class MakespanIg {
  private readonly st: MakespanState;
  private readonly descent: MakespanDescent;
  private readonly temperature: number;
  private readonly removed: Int32Array;
  /** restarts done so far (also when run ends by the tick throwing) */
  restarts = 0;

  constructor(
    inst: Instance,
    private readonly rng: Rng,
    private readonly tick: () => void,
    private readonly opts: MakespanIgOptions = {},
  ) {
    this.st = new MakespanState(inst);
    this.descent = new MakespanDescent(this.st, tick);
    this.temperature = temperatureShare * meanProcessing(inst);
    this.removed = new Int32Array(inst.n);
  }

  /**
   * Improves the given free lists until `tick` throws or the makespan meets the lower bound; hands each
   * new best (by makespan, then total completion) to onBest as free lists.
   */
  run(start: readonly (readonly number[])[], lowerBound: number, onBest: (free: number[][]) => void): void {
    const st = this.st;
    st.load(start);
    this.descent.dirty.fill(1);
    this.descent.run();
    let best = { makespan: st.makespan(), sum: st.sumComp() };
    onBest(st.lists());
    const cur = st.save();
    let curMax = best.makespan;
    let curSum = best.sum;
    while (best.makespan > lowerBound + eps) {
      this.tick();
      this.restarts++;
      this.destroyAndRebuild();
      this.descent.run();
      const mx = st.makespan();
      const sm = st.sumComp();
      if (mx < best.makespan - eps || (mx <= best.makespan + eps && sm < best.sum - eps)) {
        best = { makespan: mx, sum: sm };
        onBest(st.lists());
      }
      // the loss counts the mean completion too: a plateau of equal makespans is then no random walk
      const loss = mx - curMax + (sm - curSum) / st.m;
      if (loss <= eps || this.rng.next() < Math.exp(-loss / this.temperature)) {
        st.save(cur);
        curMax = mx;
        curSum = sm;
      } else st.restore(cur);
    }
  }

  private destroyAndRebuild(): void {
    const st = this.st;
    const { n, m } = st;
    const dMax = Math.min(n, this.opts.destroyMax ?? 9);
    const d = Math.min(n, 2 + this.rng.int(Math.max(1, dMax - 1)));
    const crit = st.critical();
    const fromCrit = Math.min(st.len[crit]!, Math.floor(d * (this.opts.criticalShare ?? 0.5)));
    let count = 0;
    const dirty = this.descent.dirty;
    for (let r = 0; r < fromCrit; r++) {
      const x = st.remove(crit, 1 + this.rng.int(st.len[crit]!));
      this.removed[count++] = x;
      dirty[crit] = 1;
    }
    while (count < d) {
      const x = 1 + this.rng.int(n);
      const k = st.machOf[x]!;
      if (k < 0) continue;
      st.remove(k, st.posOf[x]!);
      this.removed[count++] = x;
      dirty[k] = 1;
    }
    for (let r = 0; r < count; r++) {
      const x = this.removed[r]!;
      const top = st.makespan();
      let bestK = -1;
      let bestPos = 1;
      let bestMax = Infinity;
      let bestDelta = Infinity;
      for (let k = 0; k < m; k++) {
        if (!st.eligible(k, x)) continue;
        st.bestInsertion(k, x, 0);
        const c = st.comp[k]! + st.insDelta;
        const mx = c > top ? c : top;
        if (mx < bestMax - eps || (mx <= bestMax + eps && st.insDelta < bestDelta - eps)) {
          bestMax = mx;
          bestDelta = st.insDelta;
          bestK = k;
          bestPos = st.insPos;
        }
      }
      st.insert(bestK, bestPos, x);
      dirty[bestK] = 1;
    }
  }
}

/** mean processing time over the eligible (job, machine) pairs: the scale of the acceptance temperature */
function meanProcessing(inst: Instance): number {
  let sum = 0;
  let cnt = 0;
  for (let j = 0; j < inst.n; j++)
    for (const k of inst.eligible[j]!) {
      sum += inst.p[j * inst.m + k]!;
      cnt++;
    }
  return cnt ? sum / cnt : 1;
}
