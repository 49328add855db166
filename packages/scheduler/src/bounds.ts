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
  firstGain.sort((a, b) => b - a);
  const setup = Math.max(0, setupNotFirst - firstGain.slice(0, m).reduce((a, b) => a + b, 0));
  const calendars = inst.calendars.some((c) => c !== null);
  const avg = loadSum / m;
  const makespan = Math.max(single, calendars ? Math.min(...inst.calendars.map((c) => (c ? c.endAt(avg) : avg))) : avg);
  const c = inst.cost;
  return r.headCost + c.tardiness * tard + c.setup * setup + c.makespan * makespan;
}
