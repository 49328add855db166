/**
 * Working time of one machine: disjoint, sorted intervals of wall time (minutes from the plan's start).
 * Jobs are preempt-resume across non-working time (a break or a shift end pauses a setup or a run, which
 * goes on when the machine works again), so each machine is a plain machine on its own working-time axis:
 * the optimiser adds work on that axis and maps it back to wall time only where it needs a wall time.
 */
export class WorkCalendar {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  /** cum[i]: working time before interval i; cum[length] is the capacity */
  private readonly cum: Float64Array;

  constructor(intervals: readonly (readonly [number, number])[]) {
    const kept = intervals.filter(([a, b]) => b > a);
    this.starts = new Float64Array(kept.map((i) => i[0]));
    this.ends = new Float64Array(kept.map((i) => i[1]));
    this.cum = new Float64Array(kept.length + 1);
    for (let i = 0; i < kept.length; i++) {
      if (i > 0 && this.starts[i]! < this.ends[i - 1]!) throw new Error('calendar intervals overlap or are unsorted');
      this.cum[i + 1] = this.cum[i]! + this.ends[i]! - this.starts[i]!;
    }
  }

  get capacity(): number {
    return this.cum[this.starts.length]!;
  }

  /** working time in [first interval, t) */
  work(t: number): number {
    const i = this.lastStartAtOrBefore(t);
    if (i < 0) return 0;
    return t < this.ends[i]! ? this.cum[i]! + t - this.starts[i]! : this.cum[i + 1]!;
  }

  /** wall time at which work position x begins (the next working instant); Infinity beyond the calendar */
  startAt(x: number): number {
    const i = this.intervalOfWork(x, false);
    return i < 0 ? Infinity : this.starts[i]! + x - this.cum[i]!;
  }

  /** wall time at which work position x is reached (x > 0); Infinity beyond the calendar */
  endAt(x: number): number {
    if (x <= 0) return this.starts.length ? this.starts[0]! : Infinity;
    const i = this.intervalOfWork(x, true);
    return i < 0 ? Infinity : this.starts[i]! + x - this.cum[i]!;
  }

  /** the wall intervals in which work [x0, x1) is done */
  segments(x0: number, x1: number): [number, number][] {
    const out: [number, number][] = [];
    if (x1 <= x0) return out;
    let i = this.intervalOfWork(x0, false);
    if (i < 0) return [[Infinity, Infinity]];
    while (i < this.starts.length && this.cum[i]! < x1) {
      const a = this.starts[i]! + Math.max(0, x0 - this.cum[i]!);
      const b = this.starts[i]! + Math.min(this.ends[i]! - this.starts[i]!, x1 - this.cum[i]!);
      if (b > a) out.push([a, b]);
      i++;
    }
    if (this.cum[i]! < x1) out.push([Infinity, Infinity]);
    return out;
  }

  /** working time in [a, b) */
  workBetween(a: number, b: number): number {
    return b > a ? this.work(b) - this.work(a) : 0;
  }

  private lastStartAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** interval holding work position x: with `closing`, x may sit at an interval's end */
  private intervalOfWork(x: number, closing: boolean): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const ok = closing ? this.cum[mid + 1]! >= x : this.cum[mid + 1]! > x;
      if (ok) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }
}
