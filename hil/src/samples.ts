import type { ReportChart } from '@plant-twin/contracts';

/**
 * Timed samples of one machine (a poll's duration at the time it ended): quantiles, a histogram,
 * a per-minute series and the gaps between samples. Raw samples are kept up to `cap` (a day's soak
 * of an S7 machine polled every 100 ms is 864,000); beyond it the oldest half is thinned.
 */
export class Samples {
  private at: number[] = [];
  private ms: number[] = [];
  constructor(private readonly cap = 1_000_000) {}

  add(at: number, ms: number): void {
    if (this.at.length >= this.cap) {
      this.at = this.at.filter((_, i) => i % 2 === 0);
      this.ms = this.ms.filter((_, i) => i % 2 === 0);
    }
    this.at.push(at);
    this.ms.push(ms);
  }

  get count(): number {
    return this.ms.length;
  }

  /** q in [0, 1], nearest rank; NaN without samples */
  quantile(q: number): number {
    if (!this.ms.length) return Number.NaN;
    const sorted = Float64Array.from(this.ms).sort();
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  }

  max(): number {
    return this.ms.length ? Math.max(...this.ms) : Number.NaN;
  }

  /** p50, p95, p99 and max, rounded to 0.01 ms */
  summary(): { count: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } {
    const r = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : v);
    return { count: this.count, p50_ms: r(this.quantile(0.5)), p95_ms: r(this.quantile(0.95)), p99_ms: r(this.quantile(0.99)), max_ms: r(this.max()) };
  }

  /** Time spans without a sample longer than `thresholdMs`, within [from, to]. */
  gaps(thresholdMs: number, from: number, to: number): { count: number; longestMs: number; totalMs: number } {
    let prev = from, count = 0, longest = 0, total = 0;
    for (const t of [...this.at, to]) {
      const d = t - prev;
      if (d > thresholdMs) {
        count++;
        total += d;
        longest = Math.max(longest, d);
      }
      prev = Math.max(prev, t);
    }
    return { count, longestMs: Math.round(longest), totalMs: Math.round(total) };
  }

  /** Histogram of the samples on a log-like scale that keeps the fast polls readable. */
  histogram(title: string, limit?: number): ReportChart {
    const max = Math.max(1, this.max());
    const edges = [0];
    for (let e = 0.25; edges.at(-1)! < max; e *= 1.5) edges.push(Math.round(e * 100) / 100);
    const bins = edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1]!, count: 0 }));
    for (const v of this.ms) {
      const i = bins.findIndex((b) => v < b.to);
      bins[i < 0 ? bins.length - 1 : i]!.count++;
    }
    const s = this.summary();
    return { kind: 'histogram', title, unit: 'ms', bins, marks: { p50: s.p50_ms, p95: s.p95_ms, p99: s.p99_ms, max: s.max_ms }, ...(limit !== undefined ? { limit } : {}) };
  }

  /** p99 per `stepMs` window, as a series. */
  series(title: string, stepMs: number, limit?: number): ReportChart {
    const windows = new Map<number, number[]>();
    this.at.forEach((t, i) => {
      const w = Math.floor(t / stepMs) * stepMs;
      let list = windows.get(w);
      if (!list) windows.set(w, (list = []));
      list.push(this.ms[i]!);
    });
    const points: [number, number][] = [...windows].sort((a, b) => a[0] - b[0]).map(([w, v]) => {
      v.sort((a, b) => a - b);
      return [w, v[Math.min(v.length - 1, Math.ceil(0.99 * v.length) - 1)]!];
    });
    return { kind: 'series', title, unit: 'ms', points: points.slice(-5000), ...(limit !== undefined ? { limit } : {}) };
  }
}
