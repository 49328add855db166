import type { StoredPlan } from '@plant-twin/contracts';

/**
 * The Gantt chart as data: rows (machines), bars (jobs with their setup and run pieces), non-working
 * time, and the geometry the canvas draws and the pointer and keyboard act on. Pure: no DOM, tested alone.
 */

/** on time, less than `atRiskMin` to spare, or late: colour, icon and word on screen (ISA-101) */
export type DueStatus = 'ontime' | 'atrisk' | 'late';
export const atRiskMin = 60;

export function dueStatus(end: number, due: number): DueStatus {
  if (end > due) return 'late';
  return due - end < atRiskMin * 60_000 ? 'atrisk' : 'ontime';
}

export interface GanttBar {
  jobId: string;
  machineId: string;
  row: number;
  position: number;
  partNumber: string;
  /** first setup instant, run start, end (ms) */
  from: number;
  start: number;
  end: number;
  segments: { kind: 'setup' | 'run'; from: number; to: number }[];
  due: number;
  status: DueStatus;
  tardinessMin: number;
  running: boolean;
  frozen: boolean;
  locked: boolean;
  /** placed differently in the plan it is compared with */
  moved: boolean;
}

export interface GanttRow {
  machineId: string;
  name: string;
  bars: GanttBar[];
  off: StoredPlan['offShift'][string];
}

export interface GanttModel {
  rows: GanttRow[];
  bars: Map<string, GanttBar>;
  start: number;
  end: number;
}

/** One row per machine of the plant (in its order), jobs in sequence order. */
export function ganttModel(stored: StoredPlan, machines: readonly { id: string; name: string }[], moved: ReadonlySet<string> = new Set()): GanttModel {
  const plan = stored.plan;
  const byMachine = new Map(plan.machines.map((m) => [m.machineId, m]));
  const ids = [...machines.map((m) => m.id), ...plan.machines.map((m) => m.machineId).filter((id) => !machines.some((m) => m.id === id))];
  const bars = new Map<string, GanttBar>();
  let end = plan.start + 8 * 3_600_000;
  const rows = ids.map((machineId, row) => {
    const mp = byMachine.get(machineId);
    const list = (mp?.jobs ?? []).map((j): GanttBar => {
      const bar: GanttBar = {
        jobId: j.jobId,
        machineId,
        row,
        position: j.position,
        partNumber: j.partNumber,
        from: j.setupStart,
        start: j.start,
        end: j.end,
        segments: j.segments,
        due: j.dueDate,
        status: dueStatus(j.end, j.dueDate),
        tardinessMin: j.tardinessMin,
        running: j.running,
        frozen: j.frozen,
        locked: j.locked,
        moved: moved.has(j.jobId),
      };
      bars.set(j.jobId, bar);
      end = Math.max(end, j.end);
      return bar;
    });
    return { machineId, name: machines.find((m) => m.id === machineId)?.name ?? machineId, bars: list, off: stored.offShift[machineId] ?? [] };
  });
  return { rows, bars, start: plan.start, end: end + 2 * 3_600_000 };
}

/** Time on the x axis: `pxPerHour` wide hours from the model's start. */
export class TimeScale {
  constructor(
    readonly start: number,
    readonly pxPerHour: number,
  ) {}

  x(ms: number): number {
    return ((ms - this.start) / 3_600_000) * this.pxPerHour;
  }

  ms(x: number): number {
    return this.start + (x / this.pxPerHour) * 3_600_000;
  }
}

/** Tick spacing for a zoom: at least ~90 px between labels, on whole hours (or 15 / 30 minutes when zoomed in). */
export function tickStepMs(pxPerHour: number): number {
  const steps = [15, 30, 60, 120, 240, 360, 720, 1440].map((m) => m * 60_000);
  return steps.find((s) => (s / 3_600_000) * pxPerHour >= 90) ?? steps[steps.length - 1]!;
}

/**
 * Ticks in plant time: `offsetMin(ms)` is the plant's UTC offset, so ticks fall on the plant's whole hours
 * (not the browser's).
 */
export function ticks(from: number, to: number, stepMs: number, offsetMin: (ms: number) => number): number[] {
  const out: number[] = [];
  const local = (ms: number) => ms + offsetMin(ms) * 60_000;
  let t = Math.ceil(local(from) / stepMs) * stepMs;
  for (let guard = 0; guard < 2000; guard++) {
    const utc = t - offsetMin(t - offsetMin(t) * 60_000) * 60_000;
    if (utc > to) break;
    if (utc >= from) out.push(utc);
    t += stepMs;
  }
  return out;
}

/** Bars of a row overlapping [from, to) (rows are in sequence order, so in time order: binary search). */
export function barsIn(row: GanttRow, from: number, to: number): GanttBar[] {
  const bars = row.bars;
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.end < from) lo = mid + 1;
    else hi = mid;
  }
  const out: GanttBar[] = [];
  for (let i = lo; i < bars.length && bars[i]!.from < to; i++) out.push(bars[i]!);
  return out;
}

/** The bar under a point of a row (ms on the time axis), if any. */
export function barAt(model: GanttModel, row: number, ms: number): GanttBar | null {
  const r = model.rows[row];
  if (!r) return null;
  return barsIn(r, ms, ms + 1).find((b) => ms >= b.from && ms <= b.end) ?? null;
}

/**
 * Where a job dropped at `ms` on a row goes: before the first of the row's other jobs whose middle lies
 * right of the drop point. A running job stays first.
 */
export function dropPosition(model: GanttModel, row: number, ms: number, jobId: string): number {
  const others = (model.rows[row]?.bars ?? []).filter((b) => b.jobId !== jobId);
  let pos = others.findIndex((b) => (b.from + b.end) / 2 > ms);
  if (pos < 0) pos = others.length;
  const running = others.findIndex((b) => b.running);
  return running >= 0 ? Math.max(pos, running + 1) : pos;
}

export type MoveKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown';

/**
 * A keyboard move of a picked-up job: left and right change its position on the target machine, up and
 * down go to the previous or next eligible machine (keeping the position, within that machine's jobs).
 */
export function keyboardTarget(model: GanttModel, target: { row: number; position: number }, key: MoveKey, jobId: string, eligible: ReadonlySet<string>): { row: number; position: number } {
  const count = (row: number) => (model.rows[row]?.bars ?? []).filter((b) => b.jobId !== jobId).length;
  const first = (row: number) => ((model.rows[row]?.bars ?? []).some((b) => b.running && b.jobId !== jobId) ? 1 : 0);
  if (key === 'ArrowLeft') return { ...target, position: Math.max(first(target.row), target.position - 1) };
  if (key === 'ArrowRight') return { ...target, position: Math.min(count(target.row), target.position + 1) };
  const step = key === 'ArrowUp' ? -1 : 1;
  for (let r = target.row + step; r >= 0 && r < model.rows.length; r += step) {
    if (eligible.has(model.rows[r]!.machineId)) return { row: r, position: Math.max(first(r), Math.min(count(r), target.position)) };
  }
  return target;
}

/** Keyboard focus between jobs: left/right along the machine, up/down to the nearest job in time on the next row with jobs. */
export function focusStep(model: GanttModel, bar: GanttBar, key: MoveKey): GanttBar {
  const row = model.rows[bar.row]!;
  const i = row.bars.indexOf(bar);
  if (key === 'ArrowLeft') return row.bars[Math.max(0, i - 1)]!;
  if (key === 'ArrowRight') return row.bars[Math.min(row.bars.length - 1, i + 1)]!;
  const step = key === 'ArrowUp' ? -1 : 1;
  const mid = (bar.from + bar.end) / 2;
  for (let r = bar.row + step; r >= 0 && r < model.rows.length; r += step) {
    const bars = model.rows[r]!.bars;
    if (!bars.length) continue;
    return bars.reduce((best, b) => (Math.abs((b.from + b.end) / 2 - mid) < Math.abs((best.from + best.end) / 2 - mid) ? b : best));
  }
  return bar;
}
