import type { Instance } from './instance.js';
import { relaxation, type Relaxation } from './bounds.js';

/** The part of the highs package this module uses (`import loadHighs from 'highs'`). */
export interface HighsLike {
  withModel<T>(source: { format: 'lp'; data: string }, operation: (model: HighsModelLike) => T): T;
}
export interface HighsModelLike {
  options: { set(values: Record<string, unknown>): unknown };
  run(): unknown;
  getObjectiveValue(): number;
  info: { get(name: string): number | bigint };
  getModelStatus?(): unknown;
}

export interface HighsBound {
  total: number;
  /** 'optimal' when HiGHS closed the relaxation's MIP, else its dual bound at the time limit */
  status: string;
  ms: number;
  rows: number;
  cols: number;
}

/**
 * A lower bound by a mixed-integer relaxation solved with HiGHS: each job assigned to one eligible machine;
 * per machine, each part (setup class) it takes costs at least its cheapest entry, one class per machine may
 * enter from the machine's state; the load sets the makespan (in working time, never after the wall time); tardiness is at
 * least each job's alone-on-its-machine lateness and, for each due-date checkpoint, each machine's work due by
 * then beyond its working time up to then (the last such job is late by at least that). Valid for any plan:
 * sequencing, locks and the order of setups are relaxed.
 */
export function lowerBoundHighs(highs: HighsLike, inst: Instance, timeLimitS = 10, buckets = 24): HighsBound {
  const t0 = performance.now();
  const { m, nCls } = inst;
  const r = relaxation(inst);
  const c = inst.cost;
  const obj: string[] = [];
  const rows: string[] = [];
  const bins: string[] = [];
  const bounds: string[] = [];
  const x = (j: number, k: number) => `x${j}_${k}`;
  // assignment
  for (const j of r.free) {
    rows.push(`a${j}: ${Array.from(inst.eligible[j]!, (k) => x(j, k)).join(' + ')} = 1`);
    for (const k of inst.eligible[j]!) bins.push(x(j, k));
  }
  // classes per machine
  const members = new Map<number, number[]>();
  for (const j of r.free)
    for (const k of inst.eligible[j]!) {
      const key = k * nCls + inst.cls[j]!;
      const list = members.get(key) ?? [];
      list.push(j);
      members.set(key, list);
    }
  const load: string[][] = Array.from({ length: m }, () => []);
  const firstTerms: string[][] = Array.from({ length: m }, () => []);
  for (const [key, jobs] of members) {
    const k = Math.floor(key / nCls);
    const cl = key % nCls;
    const S = inst.setup[k]!;
    let enter = Infinity;
    for (const [key2] of members) {
      const k2 = Math.floor(key2 / nCls);
      const c2 = key2 % nCls;
      if (k2 === k && c2 !== cl && S[c2 * nCls + cl]! < enter) enter = S[c2 * nCls + cl]!;
    }
    const first = r.headLast[k]! >= 0 ? S[r.headLast[k]! * nCls + cl]! : inst.setupFirst[k]![cl]!;
    if (!Number.isFinite(enter)) enter = first;
    const y = `y${cl}_${k}`;
    bins.push(y);
    for (const j of jobs) rows.push(`u${j}_${k}: ${y} - ${x(j, k)} >= 0`);
    if (enter > 0) load[k]!.push(`${fmt(enter)} ${y}`);
    if (enter > first) {
      const g = `g${cl}_${k}`;
      bounds.push(`0 <= ${g} <= 1`);
      rows.push(`v${cl}_${k}: ${y} - ${g} >= 0`);
      load[k]!.push(`- ${fmt(enter - first)} ${g}`);
      firstTerms[k]!.push(g);
    }
  }
  for (let k = 0; k < m; k++) if (firstTerms[k]!.length) rows.push(`f${k}: ${firstTerms[k]!.join(' + ')} <= 1`);
  // setup part: the class entries; processing adds to the load
  const setupTerms: string[] = [];
  for (let k = 0; k < m; k++) {
    if (load[k]!.length) setupTerms.push(...load[k]!.map((t) => (t.startsWith('-') ? t : `+ ${t}`)));
    for (const j of r.free) if (!Number.isNaN(inst.p[j * m + k]!)) load[k]!.push(`${fmt(inst.p[j * m + k]!)} ${x(j, k)}`);
  }
  if (c.setup > 0 && setupTerms.length) {
    obj.push(`${fmt(c.setup)} s`);
    rows.push(`sdef: s ${setupTerms.map((t) => (t.startsWith('-') ? `+ ${t.slice(2)}` : `- ${t.slice(2)}`)).join(' ')} >= 0`);
    bounds.push('s >= 0');
  }
  // a machine's last job ends no earlier in wall time than its load in working time
  if (c.makespan > 0) {
    obj.push(`${fmt(c.makespan)} C`);
    for (let k = 0; k < m; k++) if (load[k]!.length) rows.push(`c${k}: C ${load[k]!.map((t) => negate(t)).join(' ')} >= ${fmt(r.headEnd[k]!)}`);
  }
  if (c.tardiness > 0) {
    obj.push(`${fmt(c.tardiness)} t`);
    const single: string[] = [];
    for (const j of r.free)
      for (const k of inst.eligible[j]!) {
        const cal = inst.calendars[k];
        const s = Math.min(r.minIn[j * m + k]!, r.firstIn[j * m + k]!);
        const rel = cal ? cal.work(Math.max(0, inst.release[j]!)) : inst.release[j]!;
        const endW = Math.max(r.headEnd[k]! + s, rel) + inst.p[j * m + k]!;
        const late = Math.max(0, (cal ? cal.endAt(endW) : endW) - inst.due[j]!);
        if (late > 0) single.push(`${fmt(inst.weight[j]! * late)} ${x(j, k)}`);
      }
    if (single.length) rows.push(`tsingle: t ${single.map(negate).join(' ')} >= 0`);
    timeIndexed(inst, r, buckets, rows, bounds, x);
    const dues = [...new Set(r.free.map((j) => inst.due[j]!))].sort((a, b) => a - b);
    const checkpoints = dues.length <= 16 ? dues : Array.from({ length: 16 }, (_, i) => dues[Math.floor(((i + 1) * (dues.length - 1)) / 16)]!);
    checkpoints.forEach((tau, ti) => {
      const due = r.free.filter((j) => inst.due[j]! <= tau);
      const wmin = Math.min(...due.map((j) => inst.weight[j]!));
      const terms: string[] = [];
      for (let k = 0; k < m; k++) {
        const cal = inst.calendars[k];
        const cap = (cal ? cal.work(tau) : tau) - r.headEnd[k]!;
        const work = due.filter((j) => !Number.isNaN(inst.p[j * m + k]!)).map((j) => `${fmt(inst.p[j * m + k]!)} ${x(j, k)}`);
        if (!work.length) continue;
        const o = `o${k}_${ti}`;
        bounds.push(`${o} >= 0`);
        rows.push(`ov${k}_${ti}: ${o} ${work.map(negate).join(' ')} >= ${fmt(-cap)}`);
        terms.push(`${fmt(wmin)} ${o}`);
      }
      if (terms.length) rows.push(`tk${ti}: t ${terms.map(negate).join(' ')} >= 0`);
    });
    bounds.push('t >= 0');
  }
  if (!obj.length) return { total: r.headCost, status: 'trivial', ms: performance.now() - t0, rows: 0, cols: 0 };
  const lp = ['Minimize', ` obj: ${obj.join(' + ')}`, 'Subject To', ...rows.map((x) => ` ${x}`), 'Bounds', ...bounds.map((b) => ` ${b}`), 'Binary', ...bins.map((b) => ` ${b}`), 'End'].join('\n');
  const result = highs.withModel({ format: 'lp', data: lp }, (model) => {
    model.options.set({ output_flag: false, time_limit: timeLimitS, mip_rel_gap: 1e-6 });
    model.run();
    const dual = Number(model.info.get('mip_dual_bound'));
    const gap = Number(model.info.get('mip_gap'));
    return { dual, optimal: Number.isFinite(gap) && gap <= 1e-6 ? model.getObjectiveValue() : null };
  });
  const value = result.optimal ?? result.dual;
  return {
    total: r.headCost + (Number.isFinite(value) ? value : 0),
    status: result.optimal !== null ? 'optimal' : 'time limit (dual bound)',
    ms: performance.now() - t0,
    rows: rows.length,
    cols: bins.length + bounds.length,
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(12);
}

/**
 * Time-indexed mean-busy-time relaxation (Dyer & Wolsey; Goemans et al.) on each machine's working-time
 * axis: y = work of job j on machine k in bucket b, buckets from the machine's fixed head to about twice
 * its group's mean load plus one open-ended bucket, capacity per bucket. A job's completion is at least its
 * mean busy time plus half its work, and the mean busy time at least the work-weighted bucket starts; its
 * wall tardiness is at least that completion minus its due date on the same axis.
 */
function timeIndexed(inst: Instance, r: Relaxation, buckets: number, rows: string[], bounds: string[], x: (j: number, k: number) => string): void {
  const { m } = inst;
  const work = (j: number, k: number) => inst.p[j * m + k]! + Math.min(r.minIn[j * m + k]!, r.firstIn[j * m + k]!);
  const load = new Float64Array(m);
  const share = new Float64Array(m);
  for (const j of r.free) {
    const e = inst.eligible[j]!;
    for (const k of e) {
      load[k] = load[k]! + work(j, k) / e.length;
      share[k] = share[k]! + 1;
    }
  }
  const tardTerms: string[] = [];
  const jobRows = new Map<number, string[]>();
  for (let k = 0; k < m; k++) {
    if (!share[k]) continue;
    const cal = inst.calendars[k];
    const span = Math.max(1, 2 * load[k]!) / buckets;
    const starts = Array.from({ length: buckets + 1 }, (_, b) => r.headEnd[k]! + b * span);
    const cap: string[][] = Array.from({ length: buckets }, () => []);
    for (const j of r.free) {
      if (Number.isNaN(inst.p[j * m + k]!)) continue;
      const pj = work(j, k);
      const rel = cal ? cal.work(Math.max(0, inst.release[j]!)) : inst.release[j]!;
      const dueW = cal ? cal.work(inst.due[j]!) : inst.due[j]!;
      const link: string[] = [];
      const terms = jobRows.get(j) ?? [];
      starts.forEach((t, b) => {
        const end = b < buckets ? starts[b + 1]! : Infinity;
        if (end <= rel) return;
        const y = `z${j}_${k}_${b}`;
        bounds.push(`${y} >= 0`);
        link.push(`+ ${y}`);
        if (b < buckets) cap[b]!.push(y);
        const coef = (Math.max(t, rel) + pj / 2 - dueW) / pj;
        if (coef !== 0) terms.push(`${coef > 0 ? '-' : '+'} ${fmt(Math.abs(coef))} ${y}`);
      });
      rows.push(`lk${j}_${k}: ${link.join(' ')} - ${fmt(pj)} ${x(j, k)} = 0`);
      jobRows.set(j, terms);
    }
    cap.forEach((ys, b) => {
      if (ys.length) rows.push(`cp${k}_${b}: ${ys.join(' + ')} <= ${fmt(span)}`);
    });
  }
  for (const [j, terms] of jobRows) {
    bounds.push(`T${j} >= 0`);
    rows.push(`ti${j}: T${j} ${terms.join(' ')} >= 0`);
    tardTerms.push(`- ${fmt(inst.weight[j]!)} T${j}`);
  }
  if (tardTerms.length) rows.push(`tti: t ${tardTerms.join(' ')} >= 0`);
}

/** "a x" -> "- a x", "- a x" -> "+ a x" */
function negate(term: string): string {
  return term.startsWith('- ') ? `+ ${term.slice(2)}` : `- ${term}`;
}
