import { describe, expect, it } from 'vitest';
import { WorkCalendar } from './calendar.js';
import { merge, shiftIntervals, subtract } from './shift-calendar.js';

const h = 3_600_000;

describe('WorkCalendar', () => {
  const cal = new WorkCalendar([
    [0, 100],
    [130, 200],
    [300, 310],
  ]);
  it('maps wall time to working time and back, pausing over gaps', () => {
    expect(cal.capacity).toBe(180);
    expect(cal.work(50)).toBe(50);
    expect(cal.work(120)).toBe(100);
    expect(cal.work(150)).toBe(120);
    expect(cal.endAt(100)).toBe(100); // work ending at a gap's start ends there
    expect(cal.startAt(100)).toBe(130); // work starting there waits for the next interval
    expect(cal.endAt(175)).toBe(305);
    expect(cal.endAt(181)).toBe(Infinity);
    expect(cal.segments(90, 175)).toEqual([
      [90, 100],
      [130, 200],
      [300, 305],
    ]);
  });
  it('refuses overlapping intervals', () => {
    expect(() => new WorkCalendar([[0, 10], [5, 20]])).toThrow(/overlap/);
  });
});

describe('shift calendar', () => {
  const shifts = [
    { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '09:00', minutes: 15 }], days: [1, 2, 3, 4, 5] },
    { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '01:00', minutes: 30 }], days: [5] },
  ];
  it('lays shifts in the plant time zone, minus breaks, night shifts into the next day, only on their days', () => {
    // Friday 6 March 2026 00:00 UTC to Sunday: Berlin is UTC+1
    const from = Date.UTC(2026, 2, 6);
    const got = shiftIntervals(shifts, 'Europe/Berlin', from, from + 3 * 24 * h);
    expect(got.map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()])).toEqual([
      ['2026-03-06T05:00:00.000Z', '2026-03-06T08:00:00.000Z'],
      ['2026-03-06T08:15:00.000Z', '2026-03-06T13:00:00.000Z'],
      ['2026-03-06T21:00:00.000Z', '2026-03-07T00:00:00.000Z'],
      ['2026-03-07T00:30:00.000Z', '2026-03-07T05:00:00.000Z'],
    ]);
  });
  it('follows the change to summer time', () => {
    // Monday 30 March 2026: Berlin is UTC+2 after the last Sunday of March
    const from = Date.UTC(2026, 2, 30);
    const got = shiftIntervals(shifts.slice(0, 1), 'Europe/Berlin', from, from + 24 * h);
    expect(new Date(got[0]![0]).toISOString()).toBe('2026-03-30T04:00:00.000Z');
  });
  it('merges and subtracts windows', () => {
    expect(merge([[5, 8], [0, 3], [3, 4]])).toEqual([[0, 4], [5, 8]]);
    expect(subtract([[0, 10], [20, 30]], [[5, 22], [25, 26]])).toEqual([[0, 5], [22, 25], [26, 30]]);
  });
});
