import { describe, expect, it } from 'vitest';
import { loadPlant } from '@plant-twin/plant-model';
import { calendarPeriods, calendarRanges } from './calendar-ranges.js';

const plant = loadPlant();
const model = { shifts: plant.shifts, timezone: plant.plant.timezone };
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const show = (r: { label: string; from: number; to: number }) => `${r.label} ${iso(r.from)}..${iso(r.to)}`;

describe('plant calendar ranges (Europe/Berlin, the plant model shifts)', () => {
  it('finds the shift, production day and ISO week around a Sunday morning, and the ones before', () => {
    // Sunday 6 Dec 2026, 10:00 in Berlin (CET): the early shift runs, weekends included
    const at = Date.UTC(2026, 11, 6, 9);
    expect(Object.values(calendarRanges(model, 'shift', at)!).map(show)).toEqual(['early 2026-12-06 2026-12-06T05:00..2026-12-06T13:00', 'night 2026-12-05 2026-12-05T21:00..2026-12-06T05:00']);
    expect(Object.values(calendarRanges(model, 'day', at)!).map(show)).toEqual(['2026-12-06 2026-12-06T05:00..2026-12-07T05:00', '2026-12-05 2026-12-05T05:00..2026-12-06T05:00']);
    expect(Object.values(calendarRanges(model, 'week', at)!).map(show)).toEqual(['2026-W49 2026-11-30T05:00..2026-12-07T05:00', '2026-W48 2026-11-23T05:00..2026-11-30T05:00']);
  });

  it('puts the night shift in the production day it starts on, and the DST night in a 23-hour day', () => {
    // 03:00 on Sunday 6 Dec in Berlin belongs to Saturday's production day
    expect(calendarRanges(model, 'day', Date.UTC(2026, 11, 6, 2))!.current.label).toBe('2026-12-05');
    // clocks go forward on 29 March 2026: Saturday's production day has 23 hours
    const d = calendarRanges(model, 'day', Date.UTC(2026, 2, 29, 1))!.current;
    expect(d.label).toBe('2026-03-28');
    expect((d.to - d.from) / 3_600_000).toBe(23);
    const w = calendarRanges(model, 'week', Date.UTC(2027, 0, 1, 12))!.current;
    expect(w.label).toBe('2026-W53');
  });

  it('outside every shift of a weekday calendar, the current shift is the last one that ran', () => {
    const weekdays = { ...model, shifts: plant.shifts.map((s) => ({ ...s, days: [1, 2, 3, 4, 5] })) };
    const r = calendarRanges(weekdays, 'shift', Date.UTC(2026, 11, 6, 9))!;
    expect([r.current, r.previous].map(show)).toEqual(['night 2026-12-04 2026-12-04T21:00..2026-12-05T05:00', 'late 2026-12-04 2026-12-04T13:00..2026-12-04T21:00']);
  });

  it('lists the shifts or days overlapping a range, refusing more than asked for', () => {
    const from = Date.UTC(2026, 11, 6, 9), to = Date.UTC(2026, 11, 7, 9);
    expect(calendarPeriods(model, 'shift', from, to, 10)!.map((p) => p.label)).toEqual(['early 2026-12-06', 'late 2026-12-06', 'night 2026-12-06', 'early 2026-12-07']);
    expect(calendarPeriods(model, 'day', from, to, 10)!.map((p) => p.label)).toEqual(['2026-12-06', '2026-12-07']);
    expect(calendarPeriods(model, 'shift', from, to, 3)).toBeNull();
  });
});
