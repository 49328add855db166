import { describe, expect, it } from 'vitest';
import { periodFromQuery, periodSteps, periodToQuery } from './calendar.js';

describe('period in the URL', () => {
  it('round-trips kind and time, leaving the defaults out', () => {
    expect(periodFromQuery(new URLSearchParams('range=week&at=1796000000000'))).toEqual({ kind: 'week', at: 1_796_000_000_000 });
    expect(periodToQuery('week', 1_796_000_000_000)).toEqual({ range: 'week', at: '1796000000000' });
    expect(periodToQuery('shift', null)).toEqual({ range: null, at: null });
    expect(periodToQuery('day', null, 'day')).toEqual({ range: null, at: null });
  });
  it('reads a bad kind or time as the default and now', () => {
    expect(periodFromQuery(new URLSearchParams('range=year&at=-5'))).toEqual({ kind: 'shift', at: null });
    expect(periodFromQuery(new URLSearchParams('at=abc'), 'day')).toEqual({ kind: 'day', at: null });
  });
});

describe('periodSteps', () => {
  const r = { current: { kind: 'shift' as const, label: 'early', from: 1_000, to: 2_000 }, previous: { kind: 'shift' as const, label: 'night', from: 0, to: 1_000 } };
  it('goes back to the previous range and forward to the range after the current one', () => {
    expect(periodSteps(r, 5_000)).toEqual({ previous: 0, next: 2_000 });
  });
  it('has no next range while the current one holds now', () => {
    expect(periodSteps(r, 1_500)).toEqual({ previous: 0, next: null });
  });
});
