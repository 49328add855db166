import type { WorkCalendar } from './calendar.js';

/** Weights of the score's parts: weighted tardiness, changeover time and makespan. */
export interface CostWeights {
  tardiness: number;
  setup: number;
  makespan: number;
}

/**
 * The optimiser's numeric problem: what the plant problem compiles into, and what the public benchmark
 * formats parse into, so one optimiser runs on all of them. Jobs and machines are indices; times are in
 * one unit (minutes for the plant) from the plan's start (0).
 */
export interface Instance {
  n: number;
  m: number;
  /** work of job j on machine k at p[j * m + k]; NaN where k is not eligible */
  p: Float64Array;
  eligible: Int32Array[];
  /** setup class of each job (the part for the plant, the job itself for Vallada-Ruiz) */
  cls: Int32Array;
  nCls: number;
  /** per machine, setup from class a to class b at [a * nCls + b] */
  setup: Float64Array[];
  /** per machine, setup into the first job by its class (from the machine's current state) */
  setupFirst: Float64Array[];
  release: Float64Array;
  due: Float64Array;
  weight: Float64Array;
  /** per machine, its working time; null: always working */
  calendars: (WorkCalendar | null)[];
  /** per machine, jobs fixed at the head of its sequence in this order (running, then frozen) */
  head: number[][];
  /** per machine, jobs locked at a position of its sequence, by position */
  locks: { job: number; position: number }[][];
  cost: CostWeights;
  /** wall time before which no job outside the heads may start, not even its setup (the frozen window) */
  freeFrom: number;
}

export interface InstanceInput {
  m: number;
  /** p[j][k]: work of job j on machine k; null or NaN where not eligible */
  p: readonly (readonly (number | null)[])[];
  cls?: readonly number[];
  nCls?: number;
  setup?: Float64Array[];
  setupFirst?: Float64Array[];
  release?: readonly number[];
  due?: readonly number[];
  weight?: readonly number[];
  calendars?: (WorkCalendar | null)[];
  head?: number[][];
  locks?: { job: number; position: number }[][];
  cost: CostWeights;
  freeFrom?: number;
}

/** An instance with defaults: no setups, released at 0, due at 0, weight 1, always working, nothing fixed. */
export function makeInstance(input: InstanceInput): Instance {
  const n = input.p.length;
  const m = input.m;
  const p = new Float64Array(n * m).fill(NaN);
  const eligible: Int32Array[] = [];
  for (let j = 0; j < n; j++) {
    const row: number[] = [];
    for (let k = 0; k < m; k++) {
      const v = input.p[j]![k];
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        p[j * m + k] = v;
        row.push(k);
      }
    }
    eligible.push(Int32Array.from(row));
  }
  const nCls = input.nCls ?? 1;
  return {
    n,
    m,
    p,
    eligible,
    cls: Int32Array.from(input.cls ?? new Array<number>(n).fill(0)),
    nCls,
    setup: input.setup ?? Array.from({ length: m }, () => new Float64Array(nCls * nCls)),
    setupFirst: input.setupFirst ?? Array.from({ length: m }, () => new Float64Array(nCls)),
    release: Float64Array.from(input.release ?? new Array<number>(n).fill(0)),
    due: Float64Array.from(input.due ?? new Array<number>(n).fill(0)),
    weight: Float64Array.from(input.weight ?? new Array<number>(n).fill(1)),
    calendars: input.calendars ?? new Array<WorkCalendar | null>(m).fill(null),
    head: input.head ?? Array.from({ length: m }, () => []),
    locks: input.locks ?? Array.from({ length: m }, () => []),
    cost: input.cost,
    freeFrom: input.freeFrom ?? 0,
  };
}

/** The machine's full sequence: its head, then free jobs with locked jobs at their positions (or at the end). */
export function mergeSequence(head: readonly number[], free: readonly number[], locks: readonly { job: number; position: number }[]): number[] {
  if (locks.length === 0) return head.length ? [...head, ...free] : [...free];
  const out = [...head];
  let f = 0;
  let l = 0;
  while (f < free.length || l < locks.length) {
    if (l < locks.length && (locks[l]!.position <= out.length || f >= free.length)) out.push(locks[l++]!.job);
    else out.push(free[f++]!);
  }
  return out;
}
