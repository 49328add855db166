/**
 * The cloud's downsampled buckets as uPlot columns: x in seconds, the bucket average as the line and
 * min/max as its envelope. Pods report by exception and refresh every value each 60 s, so buckets
 * may be sparse while the value simply held; a silence longer than `holdMs` (or 1.5 buckets, whichever
 * is longer) means no good reading, and a null goes there: a gap, not a line across time without data.
 */
export const defaultHoldMs = 150_000;

import type { SeriesBucket } from '../api/types.js';

export type Column = (number | null)[];
export interface ChartData {
  xs: number[];
  avg: Column;
  min: Column;
  max: Column;
}

export function bucketsToData(buckets: readonly SeriesBucket[], bucketMs: number, holdMs = defaultHoldMs): ChartData {
  const out: ChartData = { xs: [], avg: [], min: [], max: [] };
  const gap = Math.max(bucketMs * 1.5, holdMs);
  let prev: number | null = null;
  for (const b of buckets) {
    if (prev !== null && b.t - prev > gap) {
      out.xs.push((prev + bucketMs) / 1000);
      out.avg.push(null);
      out.min.push(null);
      out.max.push(null);
    }
    out.xs.push(b.t / 1000);
    out.avg.push(b.avg);
    out.min.push(b.min);
    out.max.push(b.max);
    prev = b.t;
  }
  return out;
}

/** The y range to show: the data and the tag's limits together (so the band is in view), padded. */
export function yRange(data: ChartData, limits?: { min?: number | undefined; max?: number | undefined }): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const col of [data.min, data.max]) {
    for (const v of col) {
      if (v === null) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (limits?.min !== undefined) lo = Math.min(lo, limits.min);
  if (limits?.max !== undefined) hi = Math.max(hi, limits.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}
