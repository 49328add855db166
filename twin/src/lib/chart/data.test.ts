import { describe, expect, it } from 'vitest';
import { bucketsToData, yRange } from './data.js';

const b = (t: number, v: number) => ({ t, min: v - 1, max: v + 1, avg: v, count: 1 });

describe('chart data', () => {
  it('draws a held value across sparse buckets, and a gap where the silence is longer than the hold', () => {
    const d = bucketsToData([b(0, 5), b(60_000, 6), b(120_000, 7), b(600_000, 8)], 10_000, 150_000);
    expect(d.xs).toEqual([0, 60, 120, 130, 600]);
    expect(d.avg).toEqual([5, 6, 7, null, 8]);
    expect(d.min).toEqual([4, 5, 6, null, 7]);
  });

  it('uses 1.5 buckets as the gap for coarse buckets', () => {
    const hour = 3_600_000;
    expect(bucketsToData([b(0, 1), b(hour, 2), b(3 * hour, 3)], hour, 150_000).avg).toEqual([1, 2, null, 3]);
  });

  it('keeps the limits in view with the data, padded', () => {
    const d = bucketsToData([b(0, 50)], 1000);
    expect(yRange(d, { min: 0, max: 100 })).toEqual([-5, 105]);
    expect(yRange(d)).toEqual([48.9, 51.1]);
    expect(yRange(bucketsToData([], 1000), {})).toEqual([0, 1]);
  });
});
