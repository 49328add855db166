import type { Shift } from '@plant-twin/plant-model';

const dayMs = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** local wall time minus UTC at the instant utcMs, in ms */
function offsetAt(timeZone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** UTC instant of a local wall time (given as ms "as if UTC"); twice refined so DST changes land right */
function localToUtc(timeZone: string, localMs: number): number {
  let utc = localMs - offsetAt(timeZone, localMs);
  utc = localMs - offsetAt(timeZone, utc);
  return utc;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** working intervals [from, to) in UTC ms: each shift on its days, minus its breaks, merged where they touch */
export function shiftIntervals(shifts: readonly Shift[], timeZone: string, fromMs: number, toMs: number): [number, number][] {
  const raw: [number, number][] = [];
  const localFrom = fromMs + offsetAt(timeZone, fromMs);
  // a night shift that started the day before still covers the first hours
  const firstDay = Math.floor(localFrom / dayMs) * dayMs - dayMs;
  for (let day = firstDay; ; day += dayMs) {
    if (localToUtc(timeZone, day) > toMs) break;
    const weekday = new Date(day).getUTCDay() || 7;
    for (const s of shifts) {
      if (!s.days.includes(weekday)) continue;
      const start = minutesOf(s.start);
      let end = minutesOf(s.end);
      if (end <= start) end += 24 * 60;
      let cursor = start;
      const breaks = s.breaks
        .map((b) => {
          let at = minutesOf(b.start);
          if (at < start) at += 24 * 60;
          return [at, Math.min(end, at + b.minutes)] as const;
        })
        .filter(([a]) => a < end)
        .sort((x, y) => x[0] - y[0]);
      for (const [a, b] of breaks) {
        if (a > cursor) raw.push([localToUtc(timeZone, day + cursor * 60_000), localToUtc(timeZone, day + a * 60_000)]);
        cursor = Math.max(cursor, b);
      }
      if (end > cursor) raw.push([localToUtc(timeZone, day + cursor * 60_000), localToUtc(timeZone, day + end * 60_000)]);
    }
  }
  return merge(raw.map(([a, b]) => [Math.max(a, fromMs), Math.min(b, toMs)] as [number, number]).filter(([a, b]) => b > a));
}

export function merge(intervals: [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** intervals minus the (possibly overlapping) windows */
export function subtract(intervals: readonly [number, number][], windows: readonly [number, number][]): [number, number][] {
  const cuts = merge(windows.map(([a, b]) => [a, b]));
  const out: [number, number][] = [];
  for (const [a0, b] of intervals) {
    let a = a0;
    for (const [ca, cb] of cuts) {
      if (cb <= a || ca >= b) continue;
      if (ca > a) out.push([a, ca]);
      a = Math.max(a, cb);
      if (a >= b) break;
    }
    if (a < b) out.push([a, b]);
  }
  return out;
}
