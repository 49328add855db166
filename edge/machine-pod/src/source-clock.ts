/**
 * The machine's time base as the pod knows it: the latest source timestamp it has seen (PLC clock,
 * SQL row time, result file time), advanced by the wall time since. Messages a pod makes up itself
 * (its status, a lost connection) are stamped with it, so all of a machine's messages share one
 * clock and sort correctly in the cloud, also when that clock is not the pod's (a PLC clock that is
 * off, a simulated plant running faster than real time). Before any source timestamp: the wall clock.
 */
export class SourceClock {
  private last: { ts: number; wall: number } | undefined;

  constructor(private readonly wall: () => number = Date.now) {}

  saw(ts: number): void {
    if (!Number.isFinite(ts) || (this.last && ts < this.last.ts)) return;
    this.last = { ts, wall: this.wall() };
  }

  now(): number {
    const w = this.wall();
    return this.last ? this.last.ts + Math.max(0, w - this.last.wall) : w;
  }
}
