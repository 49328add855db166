import type { Instance } from './instance.js';
import { Schedule } from './schedule.js';

/** What relaxations of one instance share: the fixed heads' cost and end, and each free job's least setup. */
export interface Relaxation {
  free: number[];
  /** cost and working-time end of each machine's fixed head */
  headCost: number;
  headEnd: Float64Array;
  /** per machine, class of its head's last job (-1: none) */
  headLast: Int32Array;
  /** least setup into job j on machine k when it is not the first free job there, at [j * m + k] */
  minIn: Float64Array;
  /** setup into job j on machine k when it is the first free job there */
  firstIn: Float64Array;
}

export function relaxation(inst: Instance): Relaxation {
  const { n, m, nCls } = inst;
  const heads = new Schedule({ ...inst, locks: inst.locks.map(() => []) });
  const fixed = new Uint8Array(n);
  for (const h of inst.head) for (const j of h) fixed[j] = 1;
  const free: number[] = [];
  for (let j = 0; j < n; j++) if (!fixed[j]) free.push(j);
  const headLast = new Int32Array(m).fill(-1);
  const headEnd = new Float64Array(m);
  let headCost = 0;
  for (let k = 0; k < m; k++) {
    const h = inst.head[k]!;
    if (h.length) headLast[k] = inst.cls[h[h.length - 1]!]!;
    headEnd[k] = heads.work[k]!;
    headCost += heads.cost[k]!;
  }
  // classes present among each machine's candidate free jobs
  const count = new Int32Array(m * nCls);
  for (const j of free) for (const k of inst.eligible[j]!) count[k * nCls + inst.cls[j]!]!++;
  const minIn = new Float64Array(n * m).fill(Infinity);
  const firstIn = new Float64Array(n * m).fill(Infinity);
  const minInCls = new Float64Array(m * nCls).fill(Infinity);
  for (let k = 0; k < m; k++) {
    const S = inst.setup[k]!;
    for (let c = 0; c < nCls; c++) {
      let best = Infinity;
      for (let c2 = 0; c2 < nCls; c2++) {
        const present = count[k * nCls + c2]! - (c2 === c ? 1 : 0);
        if (present > 0 && S[c2 * nCls + c]! < best) best = S[c2 * nCls + c]!;
      }
      minInCls[k * nCls + c] = best;
    }
  }
  for (const j of free)
    for (const k of inst.eligible[j]!) {
      const c = inst.cls[j]!;
      const first = headLast[k]! >= 0 ? inst.setup[k]![headLast[k]! * nCls + c]! : inst.setupFirst[k]![c]!;
      firstIn[j * m + k] = first;
      minIn[j * m + k] = Math.min(minInCls[k * nCls + c]!, Number.isFinite(minInCls[k * nCls + c]!) ? Infinity : first);
    }
  return { free, headCost, headEnd, headLast, minIn, firstIn };
}

/**
 * A lower bound from relaxations that need no solver: each job alone on its best machine right after the
 * fixed heads (tardiness), each job entered by its least setup with up to one first job per machine
 * (changeovers), and the average load (makespan). Valid whatever the locks: they only add constraints.
 */
export function combinatorialBound(inst: Instance, r: Relaxation = relaxation(inst)): number {
  const { m } = inst;
  let tard = 0;
  let setupNotFirst = 0;
  const firstGain: number[] = [];
  let loadSum = 0;
  let single = 0;
  for (let k = 0; k < m; k++) loadSum += r.headEnd[k]!;
  for (const j of r.free) {
    let bestLate = Infinity;
    let bestSetup = Infinity;
    let bestGain = 0;
    let bestLoad = Infinity;
    let bestSingle = Infinity;
    for (const k of inst.eligible[j]!) {
      const p = inst.p[j * m + k]!;
      const s = Math.min(r.minIn[j * m + k]!, r.firstIn[j * m + k]!);
      const cal = inst.calendars[k];
      const rel = cal ? cal.work(Math.max(0, inst.release[j]!)) : inst.release[j]!;
      const endW = Math.max(r.headEnd[k]! + s, rel) + p;
      const endWall = cal ? cal.endAt(endW) : endW;
      bestLate = Math.min(bestLate, Math.max(0, endWall - inst.due[j]!));
      bestSingle = Math.min(bestSingle, endWall);
      const sNotFirst = r.minIn[j * m + k]!;
      if (sNotFirst < bestSetup) bestSetup = sNotFirst;
      bestGain = Math.max(bestGain, Number.isFinite(sNotFirst) ? sNotFirst - r.firstIn[j * m + k]! : 0);
      bestLoad = Math.min(bestLoad, p + s);
    }
    tard += inst.weight[j]! * bestLate;
    if (Number.isFinite(bestSetup)) {
      setupNotFirst += bestSetup;
      firstGain.push(Math.min(bestSetup, Math.max(0, bestGain)));
    }
    loadSum += bestLoad;
    single = Math.max(single, bestSingle);
  }
  tard = Math.max(tard, groupTardinessBound(inst, r));
  firstGain.sort((a, b) => b - a);
  const setup = Math.max(0, setupNotFirst - firstGain.slice(0, m).reduce((a, b) => a + b, 0));
  const calendars = inst.calendars.some((c) => c !== null);
  const avg = loadSum / m;
  const makespan = Math.max(single, calendars ? Math.min(...inst.calendars.map((c) => (c ? c.endAt(avg) : avg))) : avg);
  const c = inst.cost;
  return r.headCost + c.tardiness * tard + c.setup * setup + c.makespan * makespan;
}

/**
 * Weighted tardiness per group of machines that share jobs (the eligibility graph's components: the work
 * centres), summed over groups. In a group, for the jobs due by each due date (a set S): sum over S of
 * w (C - d) <= sum over S of w T, and sum over S of w C is at least the Eastman-Even-Isaacs bound for
 * parallel machines (Smith's rule on one machine, shared out) with each job at its least work anywhere in the
 * group, started no earlier than the earliest machine there comes free. Jobs outside S add their
 * alone-on-a-machine lateness.
 */
function groupTardinessBound(inst: Instance, r: Relaxation): number {
  const { m } = inst;
  const parent = Array.from({ length: m }, (_, k) => k);
  const find = (k: number): number => (parent[k] === k ? k : (parent[k] = find(parent[k]!)));
  for (const j of r.free) {
    const e = inst.eligible[j]!;
    for (let i = 1; i < e.length; i++) parent[find(e[i]!)] = find(e[0]!);
  }
  const groups = new Map<number, number[]>();
  for (const j of r.free) {
    const g = find(inst.eligible[j]![0]!);
    const list = groups.get(g) ?? [];
    list.push(j);
    groups.set(g, list);
  }
  let total = 0;
  for (const [g, jobs] of groups) {
    const machines = Array.from({ length: m }, (_, k) => k).filter((k) => find(k) === g);
    const mg = machines.length;
    const start = Math.min(...machines.map((k) => r.headEnd[k]!));
    const info = jobs.map((j) => {
      let p = Infinity;
      let single = Infinity;
      for (const k of inst.eligible[j]!) {
        const s = Math.min(r.minIn[j * m + k]!, r.firstIn[j * m + k]!);
        p = Math.min(p, inst.p[j * m + k]! + s);
        const cal = inst.calendars[k];
        const rel = cal ? cal.work(Math.max(0, inst.release[j]!)) : inst.release[j]!;
        const endW = Math.max(r.headEnd[k]! + s, rel) + inst.p[j * m + k]!;
        single = Math.min(single, Math.max(0, (cal ? cal.endAt(endW) : endW) - inst.due[j]!));
      }
      return { w: inst.weight[j]!, p, d: inst.due[j]!, single: inst.weight[j]! * single };
    });
    const byDue = [...info].sort((a, b) => a.d - b.d);
    const singleAll = info.reduce((a, x) => a + x.single, 0);
    let best = singleAll;
    // Smith's order of the prefix, kept sorted as jobs join
    const smith: typeof info = [];
    let wd = 0;
    let wp = 0;
    let singleIn = 0;
    for (const x of byDue) {
      let lo = 0;
      let hi = smith.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (smith[mid]!.p * x.w <= x.p * smith[mid]!.w) lo = mid + 1;
        else hi = mid;
      }
      smith.splice(lo, 0, x);
      wd += x.w * x.d;
      wp += x.w * x.p;
      singleIn += x.single;
      let t = 0;
      let f1 = 0;
      let w = 0;
      for (const y of smith) {
        t += y.p;
        f1 += y.w * t;
        w += y.w;
      }
      const wc = f1 / mg + ((mg - 1) / (2 * mg)) * wp + w * start;
      best = Math.max(best, Math.max(wc - wd, singleIn) + singleAll - singleIn);
    }
    total += best;
  }
  return total;
}
