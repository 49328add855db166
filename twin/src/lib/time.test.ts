import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, plantFormat } from './time.js';

describe('plant time', () => {
  const berlin = plantFormat('Europe/Berlin');

  it('shows times in the plant zone, not the browser zone', () => {
    const ms = Date.UTC(2026, 11, 7, 5, 30, 15); // 06:30:15 CET
    expect(berlin.time(ms)).toBe('06:30:15');
    expect(berlin.dateTime(ms)).toBe('2026-12-07 06:30:15');
    expect(plantFormat('America/Chicago').time(ms)).toBe('23:30:15');
    expect(plantFormat('America/Chicago').date(ms)).toBe('2026-12-06');
  });

  it('crosses the spring DST change: 01:59:59 CET is followed by 03:00:00 CEST', () => {
    const before = Date.UTC(2026, 2, 29, 0, 59, 59);
    expect(berlin.dateTime(before)).toBe('2026-03-29 01:59:59');
    expect(berlin.dateTime(before + 1000)).toBe('2026-03-29 03:00:00');
    expect(berlin.offsetMin(before)).toBe(60);
    expect(berlin.offsetMin(before + 1000)).toBe(120);
  });

  it('crosses the autumn DST change: 02:30 happens twice, an hour apart in UTC', () => {
    const first = Date.UTC(2026, 9, 25, 0, 30); // 02:30 CEST
    const second = Date.UTC(2026, 9, 25, 1, 30); // 02:30 CET
    expect(berlin.time(first)).toBe('02:30:00');
    expect(berlin.time(second)).toBe('02:30:00');
    expect([berlin.offsetMin(first), berlin.offsetMin(second)]).toEqual([120, 60]);
  });

  it('shows today as a time and other plant days with their date', () => {
    const now = Date.UTC(2026, 11, 7, 22, 30); // 23:30 in Berlin
    expect(berlin.smart(Date.UTC(2026, 11, 7, 5, 0), now)).toBe('06:00:00');
    // 00:30 next day in Berlin is another plant day although it is the same UTC date
    expect(berlin.smart(Date.UTC(2026, 11, 7, 23, 30), now)).toBe('2026-12-08 00:30');
  });

  it('falls back to UTC for a zone the browser does not know', () => {
    const f = plantFormat('Mars/Olympus_Mons');
    expect(f.timeZone).toBe('UTC');
    expect(f.time(Date.UTC(2026, 0, 1, 12, 0, 0))).toBe('12:00:00');
  });

  it('words ages and durations', () => {
    expect(formatAge(500)).toBe('just now');
    expect(formatAge(-3000)).toBe('just now');
    expect(formatAge(12_000)).toBe('12 s ago');
    expect(formatAge(5 * 60_000)).toBe('5 min ago');
    expect(formatAge(3 * 3_600_000)).toBe('3 h ago');
    expect(formatAge(3 * 86_400_000)).toBe('3 d ago');
    expect(formatDuration(40_000)).toBe('40 s');
    expect(formatDuration(65 * 60_000)).toBe('1 h 05 min');
  });
});
