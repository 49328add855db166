import type { Shift } from '@plant-twin/plant-model';

/** A span of planned busy time: shift time minus planned breaks (ISO 22400 PBT), in UTC ms. */
export interface PlannedWindow {
  start: number;
  end: number;
  shift: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

export function localParts(utcMs: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(utcMs)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

const offsetCache = new Map<string, number>();
/**
 * Offset of local time from UTC at an instant, ms. Zones change their offset only at whole quarter
 * hours, so it is cached per quarter hour (Intl formatting is the slow part of the calendar).
 */
function offsetAt(utcMs: number, tz: string): number {
  const quarter = Math.floor(utcMs / 900_000) * 900_000;
  const key = `${tz}|${quarter}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const p = localParts(quarter, tz);
    off = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - quarter;
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

/** The UTC instant of a local wall-clock time (day may overflow, Date.UTC normalises it). */
export function localToUtc(y: number, mo: number, d: number, minuteOfDay: number, tz: string): number {
  const guess = Date.UTC(y, mo - 1, d, 0, minuteOfDay);
  const first = guess - offsetAt(guess, tz);
  const second = offsetAt(first, tz);
  return guess - second;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Planned busy windows overlapping [from, to), clipped to it, in time order. A shift belongs to the
 * local day it starts on (its weekday decides whether it runs); a shift whose end is not after its
 * start ends the next day, and a break earlier in the day than the shift start falls on that next day.
 */
export function plannedWindows(shifts: readonly Shift[], tz: string, from: number, to: number): PlannedWindow[] {
  if (to <= from) return [];
  const out: PlannedWindow[] = [];
  const start = from - 86_400_000;
  const first = new Date(start + offsetAt(start, tz));
  const [fy, fmo, fd] = [first.getUTCFullYear(), first.getUTCMonth() + 1, first.getUTCDate()];
  for (let day = 0; ; day++) {
    const date = new Date(Date.UTC(fy, fmo - 1, fd + day));
    const [y, mo, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const dayStart = localToUtc(y, mo, d, 0, tz);
    if (dayStart >= to) break;
    const isoWeekday = ((date.getUTCDay() + 6) % 7) + 1;
    for (const s of shifts) {
      if (!s.days.includes(isoWeekday)) continue;
      const sm = minutes(s.start), em = minutes(s.end);
      const start = localToUtc(y, mo, d, sm, tz);
      const end = localToUtc(y, mo, d, em <= sm ? em + 1440 : em, tz);
      if (end <= from || start >= to) continue;
      const breaks = s.breaks
        .map((b) => {
          const bm = minutes(b.start);
          const bs = localToUtc(y, mo, d, bm < sm ? bm + 1440 : bm, tz);
          return [bs, bs + b.minutes * 60_000] as const;
        })
        .sort((a, b) => a[0] - b[0]);
      let cursor = start;
      for (const [bs, be] of [...breaks, [end, end] as const]) {
        const ws = Math.max(cursor, from), we = Math.min(bs, end, to);
        if (we > ws) out.push({ start: ws, end: we, shift: s.name });
        cursor = Math.max(cursor, be);
      }
    }
  }
  out.sort((a, b) => a.start - b.start);
  // overlapping shift definitions must not count the same time twice: the earlier window keeps it
  const merged: PlannedWindow[] = [];
  let covered = -Infinity;
  for (const w of out) {
    const start = Math.max(w.start, covered);
    if (w.end > start) merged.push({ ...w, start });
    covered = Math.max(covered, w.end);
  }
  return merged;
}
