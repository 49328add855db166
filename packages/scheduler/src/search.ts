import { atcs, atcsGrid, dispatchInOrder, eddOrder, movableJobs } from './construct.js';
import type { Instance } from './instance.js';
import { MakespanIg } from './makespan-ig.js';
import { isPlainMakespan } from './makespan-state.js';
import { Rng } from './rng.js';
import { Schedule } from './schedule.js';

export interface SearchOptions {
  seed?: number;
  /** wall-clock budget of the improvement phase, ms (the construction always completes) */
  timeLimitMs?: number;
  /**
   * Budget in ticks (one tick: one job's neighbourhood scan or one iterated-greedy restart). A run that
   * stops on ticks is a pure function of (instance, seed, maxTicks); one that stops on time returns the
   * state after the ticks it reports, so rerunning with that maxTicks replays it exactly.
   */
  maxTicks?: number;
  /** the clock the time limit is measured on, ms (default: wall clock) */
  now?: () => number;
  /** called with each new best score (the anytime hook) */
  onImprovement?: (score: number, ticks: number) => void;
  /** iterated greedy: most jobs removed per restart (default n / 8 within 2-12; plain makespan: 9) */
  destroyMax?: number;
  /** iterated greedy: share of the removed jobs taken from the makespan (or costliest) machine, default 0.5 */
  criticalShare?: number;
  /** iterated greedy: share of restarts that put one removed job at a random place, default 0.2 */
  kickShare?: number;
  /** start from these free lists (a re-plan's repaired plan) instead of the constructive rules */
  initial?: number[][];
}

export interface SearchResult {
  free: number[][];
  score: number;
  /** the constructive start's score and which rule it was */
  initialScore: number;
  initialRule: string;
  ticks: number;
  iterations: number;
  stoppedBy: 'ticks' | 'time' | 'optimal';
  msFirstFeasible: number;
  ms: number;
}

const eps = 1e-9;

/** lexicographic: score, then the working-time tie-breaker */
function better(a: number, a2: number, b: number, b2: number): boolean {
  return a < b - eps * Math.max(1, Math.abs(b)) || (a <= b + eps * Math.max(1, Math.abs(b)) && a2 < b2 - eps);
}

class Stop extends Error {}

/**
 * Iterated greedy (Ruiz & Stützle 2007; for unrelated machines, Fanjul-Peyro & Ruiz 2010) on top of a
 * variable-neighbourhood descent: best insertion of each job anywhere (within and across machines), then
 * swaps within and across machines. Each restart removes a few random jobs, reinserts each at its best
 * place, descends, and accepts by a constant-temperature rule.
 */
export class Search {
  readonly sched: Schedule;
  private readonly rng: Rng;
  private readonly movable: number[];
  private ticks = 0;
  /** iterated-greedy restarts so far */
  private iterations = 0;
  private deadline = Infinity;
  private maxTicks = Infinity;
  private readonly temperature: number;
  private readonly now: () => number;
  /** jobs whose insertion / swap neighbourhood may hold an improvement (don't-look bits) */
  private readonly dirtyIns: Uint8Array;
  private readonly dirtySwap: Uint8Array;
  private readonly lowerBound: number;
  /** how much the tie-breaker counts when a worse solution is accepted (else a plateau is a random walk) */
  private readonly secWeight: number;

  constructor(
    readonly inst: Instance,
    private readonly opts: SearchOptions = {},
    lowerBound = -Infinity,
  ) {
    this.sched = new Schedule(inst);
    this.dirtyIns = new Uint8Array(inst.n).fill(1);
    this.dirtySwap = new Uint8Array(inst.n).fill(1);
    this.now = opts.now ?? (() => performance.now());
    this.rng = new Rng(opts.seed ?? 1);
    this.movable = movableJobs(inst);
    this.temperature = temperatureOf(inst, this.movable);
    this.lowerBound = lowerBound;
    this.secWeight = inst.cost.makespan > 0 ? inst.cost.makespan / inst.m : 0;
  }

  /** the best of the constructive rules, or the given start */
  construct(): { free: number[][]; score: number; rule: string } {
    const s = this.sched;
    const inst = this.inst;
    const candidates: { rule: string; build: () => number[][] }[] = [];
    if (this.opts.initial) {
      const init = this.opts.initial;
      candidates.push({ rule: 'repair', build: () => this.repair(init) });
    } else {
      candidates.push({ rule: 'edd', build: () => dispatchInOrder(s, eddOrder(inst, this.movable)) });
      if (inst.cost.tardiness > 0) {
        // one pair on large instances: each run is quadratic in the jobs
        const grid = this.movable.length > 1000 ? [atcsGrid[2]!] : atcsGrid;
        for (const [k1, k2] of grid) candidates.push({ rule: `atcs(${k1},${k2})`, build: () => atcs(s, this.movable, k1, k2) });
      }
      if (inst.cost.makespan > 0 || inst.cost.tardiness === 0) candidates.push({ rule: 'greedy-insertion', build: () => this.greedyInsertion() });
    }
    let best: { free: number[][]; score: number; sec: number; rule: string } | null = null;
    for (const c of candidates) {
      const free = c.build();
      s.restore(free);
      const score = s.total();
      const sec = s.secondary();
      if (!best || better(score, sec, best.score, best.sec)) best = { free: s.snapshot(), score, sec, rule: c.rule };
    }
    s.restore(best!.free);
    return best!;
  }

  /** the given lists without jobs that may not be there, then every job they lack inserted at its best place */
  private repair(init: readonly number[][]): number[][] {
    const inst = this.inst;
    const movable = new Set(this.movable);
    const placed = new Set<number>();
    const lists = init.map((list, k) =>
      list.filter((j) => {
        const ok = movable.has(j) && !placed.has(j) && !Number.isNaN(inst.p[j * inst.m + k]!);
        if (ok) placed.add(j);
        return ok;
      }),
    );
    this.sched.restore(lists);
    for (const j of eddOrder(inst, this.movable)) if (!placed.has(j)) this.insertBest(j);
    return this.sched.snapshot();
  }

  /** jobs by decreasing shortest work, each inserted at its best place */
  private greedyInsertion(): number[][] {
    const inst = this.inst;
    const minP = (j: number) => Math.min(...Array.from(inst.eligible[j]!, (k) => inst.p[j * inst.m + k]!));
    const order = [...this.movable].sort((a, b) => minP(b) - minP(a) || a - b);
    this.sched.restore(Array.from({ length: inst.m }, () => []));
    for (const j of order) this.insertBest(j);
    return this.sched.snapshot();
  }

  run(): SearchResult {
    const t0 = this.now();
    this.deadline = this.opts.timeLimitMs === undefined ? Infinity : t0 + this.opts.timeLimitMs;
    this.maxTicks = this.opts.maxTicks ?? Infinity;
    const s = this.sched;
    const start = this.construct();
    const msFirstFeasible = this.now() - t0;
    let best = { free: start.free, score: start.score, sec: s.secondary() };
    let stoppedBy: SearchResult['stoppedBy'] = 'ticks';
    const improved = (score: number, sec: number) => {
      if (!better(score, sec, best.score, best.sec)) return;
      best = { free: s.snapshot(), score, sec };
      this.opts.onImprovement?.(score, this.ticks);
    };
    try {
      if (this.movable.length > 0 && best.score > this.lowerBound + eps && isPlainMakespan(this.inst)) {
        this.plainMakespan(improved);
        stoppedBy = 'optimal';
      } else if (this.movable.length > 0 && best.score > this.lowerBound + eps) {
        this.descend();
        improved(s.total(), s.secondary());
        let cur = { free: s.snapshot(), score: s.total(), sec: s.secondary() };
        while (best.score > this.lowerBound + eps) {
          this.tick();
          this.destroyAndRebuild();
          this.descend();
          this.iterations++;
          const score = s.total();
          const sec = s.secondary();
          if (better(score, sec, cur.score, cur.sec)) {
            cur = { free: s.snapshot(), score, sec };
            improved(score, sec);
          } else if (this.rng.next() < Math.exp(-(score - cur.score + this.secWeight * (sec - cur.sec)) / this.temperature)) {
            cur = { free: s.snapshot(), score, sec };
          } else s.restore(cur.free);
        }
        stoppedBy = 'optimal';
      } else stoppedBy = 'optimal';
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      stoppedBy = this.ticks >= this.maxTicks ? 'ticks' : 'time';
    }
    s.restore(best.free);
    return {
      free: best.free,
      score: best.score,
      initialScore: start.score,
      initialRule: start.rule,
      ticks: this.ticks,
      iterations: this.iterations,
      stoppedBy,
      msFirstFeasible,
      ms: this.now() - t0,
    };
  }

  /** the plain-makespan class (Vallada-Ruiz): its own iterated greedy, with O(1) moves on node arrays */
  private plainMakespan(improved: (score: number, sec: number) => void): void {
    const s = this.sched;
    const cM = this.inst.cost.makespan;
    const ig = new MakespanIg(this.inst, this.rng, () => this.tick(), {
      ...(this.opts.destroyMax !== undefined ? { destroyMax: this.opts.destroyMax } : {}),
      ...(this.opts.criticalShare !== undefined ? { criticalShare: this.opts.criticalShare } : {}),
    });
    try {
      ig.run(s.snapshot(), this.lowerBound / cM, (free) => {
        s.restore(free);
        improved(s.total(), s.secondary());
      });
    } finally {
      this.iterations += ig.restarts;
    }
  }

  /** sets machine k's free list; its jobs and those of the machine that sets the score are looked at again */
  private set(k: number, list: number[]): void {
    const s = this.sched;
    s.setFree(k, list);
    this.markDirty(k);
    let crit = 0;
    const key = this.inst.cost.makespan > 0 ? s.comp : s.cost;
    for (let q = 1; q < this.inst.m; q++) if (key[q]! > key[crit]!) crit = q;
    if (crit !== k) this.markDirty(crit);
  }

  private markDirty(k: number): void {
    for (const j of this.sched.free[k]!) {
      this.dirtyIns[j] = 1;
      this.dirtySwap[j] = 1;
    }
  }

  private tick(): void {
    if (this.ticks >= this.maxTicks || this.now() >= this.deadline) throw new Stop();
    this.ticks++;
  }

  private destroyAndRebuild(): void {
    const s = this.sched;
    const n = this.movable.length;
    const dMax = this.opts.destroyMax ?? Math.max(4, Math.min(12, Math.round(n / 8)));
    const d = Math.min(n, 2 + this.rng.int(dMax - 1));
    const removed: number[] = [];
    const taken = new Set<number>();
    // half of them from the machine that sets the makespan (or the costliest one), where gains are
    let crit = 0;
    for (let k = 1; k < this.inst.m; k++) {
      const key = this.inst.cost.makespan > 0 ? s.comp : s.cost;
      if (key[k]! > key[crit]!) crit = k;
    }
    const critJobs = s.free[crit]!;
    const fromCritical = Math.min(critJobs.length, Math.floor(d * (this.opts.criticalShare ?? 0.5)));
    while (removed.length < d) {
      const j = removed.length < fromCritical ? critJobs[this.rng.int(critJobs.length)]! : this.movable[this.rng.int(n)]!;
      if (taken.has(j)) continue;
      taken.add(j);
      removed.push(j);
    }
    const byMachine = new Map<number, number[]>();
    for (const j of removed) {
      const k = s.machineOf[j]!;
      byMachine.set(k, (byMachine.get(k) ?? s.free[k]!).filter((x) => x !== j));
    }
    for (const [k, list] of byMachine) this.set(k, list);
    // now and then one job goes to a random place: greedy reinsertion alone often rebuilds the same plan
    const kick = this.rng.next() < (this.opts.kickShare ?? 0.2) ? 1 : 0;
    for (let i = 0; i < removed.length; i++) {
      const j = removed[i]!;
      if (i < kick) this.insertRandom(j);
      else this.insertBest(j);
    }
  }

  private insertRandom(j: number): void {
    const s = this.sched;
    const elig = this.inst.eligible[j]!;
    const k = elig[this.rng.int(elig.length)]!;
    const list = [...s.free[k]!];
    list.splice(this.rng.int(list.length + 1), 0, j);
    this.set(k, list);
  }

  /** inserts unassigned job j where the score (then the tie-breaker) is lowest */
  private insertBest(j: number): void {
    const s = this.sched;
    const inst = this.inst;
    const patch = [j];
    const sumCost = sumOf(s.cost);
    const sec = s.secondary();
    let bestK = -1;
    let bestQ = 0;
    let bestScore = Infinity;
    let bestSec = Infinity;
    for (const k of inst.eligible[j]!) {
      const others = inst.cost.makespan > 0 ? s.maxCompExcept(k, -1) : 0;
      const len = s.free[k]!.length;
      for (let q = 0; q <= len; q++) {
        const e = s.evalPatch(k, q, patch, 1, 0);
        const score = sumCost - s.cost[k]! + e.cost + inst.cost.makespan * Math.max(others, e.comp);
        const sec2 = sec - s.work[k]! + e.work;
        if (better(score, sec2, bestScore, bestSec)) {
          bestScore = score;
          bestSec = sec2;
          bestK = k;
          bestQ = q;
        }
      }
    }
    const list = [...s.free[bestK]!];
    list.splice(bestQ, 0, j);
    this.set(bestK, list);
  }

  /** variable-neighbourhood descent: insertions until none improves, then swaps; repeat while swaps help */
  private descend(): void {
    for (;;) {
      while (this.insertionPass());
      if (!this.swapPass()) return;
    }
  }

  /** one pass of best insertion over the movable jobs in random order; true if anything improved */
  private insertionPass(): boolean {
    const s = this.sched;
    const inst = this.inst;
    const cM = inst.cost.makespan;
    let any = false;
    const order = this.rng.shuffle([...this.movable]);
    const patch: number[] = [];
    for (const j of order) {
      if (!this.dirtyIns[j]) continue;
      this.tick();
      this.dirtyIns[j] = 0;
      const a = s.machineOf[j]!;
      const listA = s.free[a]!;
      const i = listA.indexOf(j);
      const score0 = s.total();
      const sec0 = s.secondary();
      const sumCost = sumOf(s.cost);
      let bestScore = score0;
      let bestSec = sec0;
      let bestK = -1;
      let bestQ = -1;
      if (s.fast(a) && this.fastInsertion(j, a, i, score0, sec0, sumCost)) {
        any = true;
        continue;
      }
      const rem = s.evalPatch(a, i, patch, 0, 1);
      const remCost = rem.cost;
      const remComp = rem.comp;
      const remWork = rem.work;
      for (const b of inst.eligible[j]!) {
        if (b === a) {
          const len = listA.length;
          const others = cM > 0 ? s.maxCompExcept(a, -1) : 0;
          for (let t = 0; t < len; t++) {
            if (t === i) continue;
            // j moves from position i to position t of the list
            patch.length = 0;
            let from: number;
            if (t < i) {
              from = t;
              patch.push(j);
              for (let x = t; x < i; x++) patch.push(listA[x]!);
            } else {
              from = i;
              for (let x = i + 1; x <= t; x++) patch.push(listA[x]!);
              patch.push(j);
            }
            const e = s.evalPatch(a, from, patch, patch.length, patch.length);
            const score = sumCost - s.cost[a]! + e.cost + cM * Math.max(others, e.comp);
            const sec = sec0 - s.work[a]! + e.work;
            if (better(score, sec, bestScore, bestSec)) {
              bestScore = score;
              bestSec = sec;
              bestK = a;
              bestQ = t;
            }
          }
        } else {
          const others = cM > 0 ? Math.max(s.maxCompExcept(a, b), remComp) : 0;
          const base = sumCost - s.cost[a]! - s.cost[b]! + remCost;
          const secBase = sec0 - s.work[a]! - s.work[b]! + remWork;
          const len = s.free[b]!.length;
          patch.length = 0;
          patch.push(j);
          for (let q = 0; q <= len; q++) {
            const e = s.evalPatch(b, q, patch, 1, 0);
            const score = base + e.cost + cM * Math.max(others, e.comp);
            const sec = secBase + e.work;
            if (better(score, sec, bestScore, bestSec)) {
              bestScore = score;
              bestSec = sec;
              bestK = b;
              bestQ = q;
            }
          }
        }
      }
      patch.length = 0;
      if (bestK < 0) continue;
      any = true;
      const without = listA.filter((x) => x !== j);
      if (bestK === a) {
        without.splice(bestQ, 0, j);
        this.set(a, without);
      } else {
        this.set(a, without);
        const listB = [...s.free[bestK]!];
        listB.splice(bestQ, 0, j);
        this.set(bestK, listB);
      }
    }
    return any;
  }

  /** best insertion of job j (at free position i of machine a) on additive machines, applied if it improves */
  private fastInsertion(j: number, a: number, i: number, score0: number, sec0: number, sumCost: number): boolean {
    const s = this.sched;
    const inst = this.inst;
    const { m } = inst;
    const cM = inst.cost.makespan;
    const cS = inst.cost.setup;
    const remS = s.removeSetupDelta(a, i);
    const pa = inst.p[j * m + a]!;
    const remW = remS - pa;
    let bestScore = score0;
    let bestSec = sec0;
    let bestK = -1;
    let bestQ = -1;
    for (const b of inst.eligible[j]!) {
      if (!s.fast(b)) return false;
      let score: number;
      let sec: number;
      if (b === a) {
        s.bestInsertion(a, j, i);
        const dW = remS + s.insDelta;
        score = sumCost + cS * dW + cM * Math.max(s.maxCompExcept(a, -1), s.comp[a]! + dW);
        sec = sec0 + dW;
      } else {
        s.bestInsertion(b, j, -1);
        const insW = inst.p[j * m + b]! + s.insDelta;
        score = sumCost + cS * (remS + s.insDelta) + cM * Math.max(s.maxCompExcept(a, b), s.comp[a]! + remW, s.comp[b]! + insW);
        sec = sec0 + remW + insW;
      }
      if (better(score, sec, bestScore, bestSec)) {
        bestScore = score;
        bestSec = sec;
        bestK = b;
        bestQ = s.insQ;
      }
    }
    if (bestK < 0) return false;
    const without = s.free[a]!.filter((x) => x !== j);
    if (bestK === a) {
      without.splice(bestQ, 0, j);
      this.set(a, without);
    } else {
      this.set(a, without);
      const listB = [...s.free[bestK]!];
      listB.splice(bestQ, 0, j);
      this.set(bestK, listB);
    }
    return true;
  }

  /** one pass of swaps (within a machine and across machines); true if anything improved */
  private swapPass(): boolean {
    const s = this.sched;
    const inst = this.inst;
    const cM = inst.cost.makespan;
    let any = false;
    const order = this.rng.shuffle([...this.movable]);
    const pa: number[] = [];
    const pb: number[] = [];
    for (const j of order) {
      if (!this.dirtySwap[j]) continue;
      this.tick();
      this.dirtySwap[j] = 0;
      const a = s.machineOf[j]!;
      let i = s.free[a]!.indexOf(j);
      const score0 = s.total();
      const sec0 = s.secondary();
      const sumCost = sumOf(s.cost);
      let best = { score: score0, sec: sec0, b: -1, q: -1 };
      for (let b = 0; b < inst.m; b++) {
        if (Number.isNaN(inst.p[j * inst.m + b]!)) continue;
        const listB = s.free[b]!;
        if (b === a) {
          const others = cM > 0 ? s.maxCompExcept(a, -1) : 0;
          for (let t = i + 1; t < listB.length; t++) {
            pa.length = 0;
            pa.push(listB[t]!);
            for (let x = i + 1; x < t; x++) pa.push(listB[x]!);
            pa.push(j);
            const e = s.evalPatch(a, i, pa, pa.length, pa.length);
            const score = sumCost - s.cost[a]! + e.cost + cM * Math.max(others, e.comp);
            const sec = sec0 - s.work[a]! + e.work;
            if (better(score, sec, best.score, best.sec)) best = { score, sec, b: a, q: t };
          }
          continue;
        }
        const others = cM > 0 ? s.maxCompExcept(a, b) : 0;
        for (let q = 0; q < listB.length; q++) {
          const j2 = listB[q]!;
          if (Number.isNaN(inst.p[j2 * inst.m + a]!)) continue;
          let score: number;
          let sec: number;
          if (s.fast(a) && s.fast(b)) {
            const dA = s.replaceSetupDelta(a, i, j2);
            const dB = s.replaceSetupDelta(b, q, j);
            const wA = dA + inst.p[j2 * inst.m + a]! - inst.p[j * inst.m + a]!;
            const wB = dB + inst.p[j * inst.m + b]! - inst.p[j2 * inst.m + b]!;
            score = sumCost + inst.cost.setup * (dA + dB) + cM * Math.max(others, s.comp[a]! + wA, s.comp[b]! + wB);
            sec = sec0 + wA + wB;
          } else {
            pa.length = 0;
            pa.push(j2);
            const ea = s.evalPatch(a, i, pa, 1, 1);
            const costA = ea.cost;
            const compA = ea.comp;
            const workA = ea.work;
            pb.length = 0;
            pb.push(j);
            const eb = s.evalPatch(b, q, pb, 1, 1);
            score = sumCost - s.cost[a]! - s.cost[b]! + costA + eb.cost + cM * Math.max(others, compA, eb.comp);
            sec = sec0 - s.work[a]! - s.work[b]! + workA + eb.work;
          }
          if (better(score, sec, best.score, best.sec)) best = { score, sec, b, q };
        }
      }
      if (best.b < 0) continue;
      any = true;
      const listA = [...s.free[a]!];
      if (best.b === a) {
        const t = best.q;
        const other = listA[t]!;
        listA[t] = j;
        listA[i] = other;
        this.set(a, listA);
      } else {
        const listB = [...s.free[best.b]!];
        const j2 = listB[best.q]!;
        listB[best.q] = j;
        listA[i] = j2;
        this.set(a, listA);
        this.set(best.b, listB);
      }
      i = -1;
    }
    return any;
  }
}

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** the acceptance temperature: a fraction of a typical job's contribution to the score */
function temperatureOf(inst: Instance, jobs: readonly number[]): number {
  let sumP = 0;
  let cnt = 0;
  let sumW = 0;
  for (const j of jobs) {
    sumW += inst.weight[j]!;
    for (const k of inst.eligible[j]!) {
      sumP += inst.p[j * inst.m + k]!;
      cnt++;
    }
  }
  const meanP = cnt ? sumP / cnt : 1;
  const meanW = jobs.length ? sumW / jobs.length : 1;
  const scale = inst.cost.makespan + inst.cost.setup + inst.cost.tardiness * meanW;
  return Math.max(1e-6, (0.4 * meanP * scale) / 10);
}
