import type { CalendarKind, CalendarRange } from '@plant-twin/contracts';
import type { Shift } from '@plant-twin/plant-model';
import { localParts, localToUtc } from '../oee/calendar.js';

/**
 * Plant-time ranges for the twin's range picker, from the shift calendar in the plant's time zone
 * (DST-correct through localToUtc), so no view derives a range from the browser's clock:
 * - shift: one run of a shift, start to end, breaks included, on a day the shift runs;
 * - day: the production day, from the start of the plant model's first shift to the same time
 *   the next day (with shifts at 06:00, 14:00 and 22:00 the night shift belongs to the day it starts);
 * - week: seven production days from Monday's (ISO week).
 */
export interface CalendarModel {
  shifts: readonly Shift[];
  timezone: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const dateLabel = (y: number, mo: number, d: number) => `${y}-${pad(mo)}-${pad(d)}`;
/** y, mo, d of a calendar date `days` after the given one */
const addDays = (y: number, mo: number, d: number, days: number) => {
  const t = new Date(Date.UTC(y, mo - 1, d + days));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()] as const;
};
const isoWeekday = (y: number, mo: number, d: number) => ((new Date(Date.UTC(y, mo - 1, d)).getUTCDay() + 6) % 7) + 1;

function isoWeek(y: number, mo: number, d: number): { year: number; week: number } {
  // the Thursday of this week decides the ISO year
  const wd = isoWeekday(y, mo, d);
  const [ty, tmo, td] = addDays(y, mo, d, 4 - wd);
  const thursday = Date.UTC(ty, tmo - 1, td);
  return { year: ty, week: Math.floor((thursday - Date.UTC(ty, 0, 1)) / (7 * 86_400_000)) + 1 };
}

/** The production day's start in minutes after local midnight: the first shift of the model. */
const dayStartMinute = (m: CalendarModel) => (m.shifts[0] ? minutesOf(m.shifts[0].start) : 0);

/** The production day (its local date) that `at` falls in. */
function productionDate(m: CalendarModel, at: number): readonly [number, number, number] {
  const p = localParts(at, m.timezone);
  const before = p.h * 60 + p.mi < dayStartMinute(m);
  return before ? addDays(p.y, p.mo, p.d, -1) : [p.y, p.mo, p.d];
}

function dayRange(m: CalendarModel, date: readonly [number, number, number]): CalendarRange {
  const [y, mo, d] = date;
  const start = dayStartMinute(m);
  return { kind: 'day', label: dateLabel(y, mo, d), from: localToUtc(y, mo, d, start, m.timezone), to: localToUtc(y, mo, d, start + 1440, m.timezone) };
}

function weekRange(m: CalendarModel, date: readonly [number, number, number]): CalendarRange {
  const monday = addDays(...date, 1 - isoWeekday(...date));
  const w = isoWeek(...monday);
  const start = dayStartMinute(m);
  const [ny, nmo, nd] = addDays(...monday, 7);
  return { kind: 'week', label: `${w.year}-W${pad(w.week)}`, from: localToUtc(monday[0], monday[1], monday[2], start, m.timezone), to: localToUtc(ny, nmo, nd, start, m.timezone) };
}

/** Every run of a shift that starts on a local date in [first, first + days), in time order. */
function shiftRuns(m: CalendarModel, first: readonly [number, number, number], days: number): CalendarRange[] {
  const out: CalendarRange[] = [];
  for (let i = 0; i < days; i++) {
    const [y, mo, d] = addDays(...first, i);
    const wd = isoWeekday(y, mo, d);
    for (const s of m.shifts) {
      if (!s.days.includes(wd)) continue;
      const sm = minutesOf(s.start), em = minutesOf(s.end);
      out.push({ kind: 'shift', label: `${s.name} ${dateLabel(y, mo, d)}`, from: localToUtc(y, mo, d, sm, m.timezone), to: localToUtc(y, mo, d, em <= sm ? em + 1440 : em, m.timezone) });
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * The range of `kind` containing `at`, and the one before it. Outside every shift (a calendar
 * without weekend shifts on a Sunday), the current shift is the latest one that started before `at`.
 * Null only for a shift calendar with no shift in the last 8 days.
 */
export function calendarRanges(m: CalendarModel, kind: CalendarKind, at: number): { current: CalendarRange; previous: CalendarRange } | null {
  const date = productionDate(m, at);
  if (kind === 'day') return { current: dayRange(m, date), previous: dayRange(m, addDays(...date, -1)) };
  if (kind === 'week') return { current: weekRange(m, date), previous: weekRange(m, addDays(...date, -7)) };
  const runs = shiftRuns(m, addDays(...date, -8), 10).filter((r) => r.from <= at);
  if (runs.length < 2) return null;
  return { current: runs.at(-1)!, previous: runs.at(-2)! };
}

/** The shifts or production days overlapping [from, to), oldest first (at most `max`; null beyond it). */
export function calendarPeriods(m: CalendarModel, kind: 'shift' | 'day', from: number, to: number, max: number): CalendarRange[] | null {
  const first = productionDate(m, from);
  const out: CalendarRange[] = [];
  for (let i = -1; ; i++) {
    const date = addDays(...first, i);
    const day = dayRange(m, date);
    if (day.from >= to) break;
    const periods = kind === 'day' ? [day] : shiftRuns(m, date, 1);
    for (const p of periods) {
      if (p.to <= from || p.from >= to) continue;
      if (out.length === max) return null;
      out.push(p);
    }
  }
  return out;
}
