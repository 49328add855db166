import type { Instance } from './instance.js';
import type { Schedule } from './schedule.js';

/** Jobs the optimiser may place: neither fixed at a machine's head nor locked. */
export function movableJobs(inst: Instance): number[] {
  const fixed = new Uint8Array(inst.n);
  for (const h of inst.head) for (const j of h) fixed[j] = 1;
  for (const l of inst.locks) for (const x of l) fixed[x.job] = 1;
  const out: number[] = [];
  for (let j = 0; j < inst.n; j++) if (!fixed[j]) out.push(j);
  return out;
}

/**
 * List scheduling in a fixed job order: each job is appended to the eligible machine on which it ends
 * earliest. With jobs by due date this is the EDD dispatch rule; by priority then due date, the job
 * manager's rule.
 */
export function dispatchInOrder(sched: Schedule, order: readonly number[]): number[][] {
  const inst = sched.inst;
  const lists: number[][] = Array.from({ length: inst.m }, () => []);
  sched.restore(lists);
  const one = [0];
  for (const j of order) {
    let best = -1;
    let bestComp = Infinity;
    for (const k of inst.eligible[j]!) {
      one[0] = j;
      const e = sched.evalPatch(k, sched.free[k]!.length, one, 1, 0);
      if (e.comp < bestComp) {
        bestComp = e.comp;
        best = k;
      }
    }
    lists[best]!.push(j);
    sched.setFree(best, lists[best]!);
    lists[best] = sched.free[best]!;
  }
  return sched.snapshot();
}

export function eddOrder(inst: Instance, jobs: readonly number[]): number[] {
  return [...jobs].sort((a, b) => inst.due[a]! - inst.due[b]! || inst.weight[b]! - inst.weight[a]! || a - b);
}

/** the job manager's rule: highest weight (lowest priority number) first, then due date */
export function priorityOrder(inst: Instance, jobs: readonly number[]): number[] {
  return [...jobs].sort((a, b) => inst.weight[b]! - inst.weight[a]! || inst.due[a]! - inst.due[b]! || a - b);
}

/** the (k1, k2) pairs the optimiser and the benchmark's ATCS baseline try */
export const atcsGrid: readonly (readonly [number, number])[] = [[0.5, 0.5], [1, 1], [2, 1], [4, 2], [1, 0.2], [3, 0.5]];

/**
 * Apparent tardiness cost with setups (ATCS, Lee, Bhaskaran & Pinedo 1997) on unrelated machines: the
 * machine that comes free first takes the job with the highest index
 * (w / p) * exp(-slack / (k1 * mean p)) * exp(-setup / (k2 * mean setup)).
 */
export function atcs(sched: Schedule, jobs: readonly number[], k1: number, k2: number): number[][] {
  const inst = sched.inst;
  const { m } = inst;
  const lists: number[][] = Array.from({ length: m }, () => []);
  sched.restore(lists);
  const x = Float64Array.from(sched.work);
  const last = new Int32Array(m).fill(-1);
  for (let k = 0; k < m; k++) {
    const seq = sched.full[k]!;
    if (seq.length) last[k] = inst.cls[seq[seq.length - 1]!]!;
  }
  let sumP = 0;
  let cntP = 0;
  for (const j of jobs)
    for (const k of inst.eligible[j]!) {
      sumP += inst.p[j * m + k]!;
      cntP++;
    }
  const meanP = cntP ? sumP / cntP : 1;
  const meanS = meanSetup(inst);
  const left = new Set(jobs);
  const open = new Uint8Array(m);
  for (const j of jobs) for (const k of inst.eligible[j]!) open[k] = 1;
  while (left.size > 0) {
    let k = -1;
    let kWall = Infinity;
    for (let q = 0; q < m; q++) {
      if (!open[q]) continue;
      const cal = inst.calendars[q];
      const wall = cal ? cal.startAt(x[q]!) : x[q]!;
      if (wall < kWall) {
        kWall = wall;
        k = q;
      }
    }
    let best = -1;
    let bestIdx = -Infinity;
    let bestEnd = 0;
    for (const j of left) {
      const p = inst.p[j * m + k]!;
      if (Number.isNaN(p)) continue;
      const c = inst.cls[j]!;
      const s = last[k]! < 0 ? inst.setupFirst[k]![c]! : inst.setup[k]![last[k]! * inst.nCls + c]!;
      const end = Math.max(x[k]! + s, sched.relW[j * m + k]!) + p;
      const slack = Math.max(0, sched.dueW[j * m + k]! - end);
      const idx =
        Math.log(inst.weight[j]! / p) - slack / (k1 * meanP) - (meanS > 0 ? s / (k2 * meanS) : 0);
      if (idx > bestIdx) {
        bestIdx = idx;
        best = j;
        bestEnd = end;
      }
    }
    if (best < 0) {
      open[k] = 0;
      continue;
    }
    left.delete(best);
    lists[k]!.push(best);
    x[k] = bestEnd;
    last[k] = inst.cls[best]!;
  }
  sched.restore(lists);
  return lists;
}

export function meanSetup(inst: Instance): number {
  let sum = 0;
  let cnt = 0;
  for (let k = 0; k < inst.m; k++) {
    const S = inst.setup[k]!;
    for (let i = 0; i < S.length; i++) {
      sum += S[i]!;
      cnt++;
    }
  }
  return cnt ? sum / cnt : 0;
}
