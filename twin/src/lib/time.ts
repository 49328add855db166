/**
 * Plant time: every time the twin shows is in the plant's time zone (GET /plant `timezone`), never the
 * browser's, with ISO-like 24 h formats so a supervisor in another country reads the shop floor's clock.
 * Formatters are built once per zone (Intl.DateTimeFormat construction is the expensive part).
 */
import { t } from './i18n/index.js';

type Parts = Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string>;

const cache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = cache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    cache.set(timeZone, f);
  }
  return f;
}

function parts(ms: number, timeZone: string): Parts {
  const out = {} as Parts;
  for (const p of formatter(timeZone).formatToParts(ms)) if (p.type in { year: 1, month: 1, day: 1, hour: 1, minute: 1, second: 1 }) out[p.type as keyof Parts] = p.value;
  return out;
}

export interface PlantClockFormat {
  /** hh:mm:ss */
  time(ms: number): string;
  /** hh:mm */
  timeShort(ms: number): string;
  /** yyyy-mm-dd */
  date(ms: number): string;
  /** yyyy-mm-dd hh:mm:ss */
  dateTime(ms: number): string;
  /** hh:mm:ss today, else yyyy-mm-dd hh:mm (relative to `now`, in plant days) */
  smart(ms: number, now: number): string;
  /** offset from UTC in minutes at `ms` (e.g. 60 for CET, 120 for CEST) */
  offsetMin(ms: number): number;
  readonly timeZone: string;
}

/** Formatters for one plant time zone; a zone the browser does not know falls back to UTC. */
export function plantFormat(timeZone: string): PlantClockFormat {
  let zone = timeZone;
  try {
    formatter(zone);
  } catch {
    zone = 'UTC';
  }
  const date = (ms: number) => {
    const p = parts(ms, zone);
    return `${p.year}-${p.month}-${p.day}`;
  };
  return {
    timeZone: zone,
    time: (ms) => {
      const p = parts(ms, zone);
      return `${p.hour}:${p.minute}:${p.second}`;
    },
    timeShort: (ms) => {
      const p = parts(ms, zone);
      return `${p.hour}:${p.minute}`;
    },
    date,
    dateTime: (ms) => {
      const p = parts(ms, zone);
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
    },
    smart(ms, now) {
      const p = parts(ms, zone);
      return date(now) === `${p.year}-${p.month}-${p.day}` ? `${p.hour}:${p.minute}:${p.second}` : `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    },
    offsetMin(ms) {
      const p = parts(ms, zone);
      const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
      return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
    },
  };
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago" (negative ages, from clock skew, read as now). */
export function formatAge(ageMs: number): string {
  const s = Math.floor(ageMs / 1000);
  if (s < 2) return t('age.now');
  if (s < 120) return t('age.seconds', { n: s });
  const m = Math.floor(s / 60);
  if (m < 120) return t('age.minutes', { n: m });
  const h = Math.floor(m / 60);
  if (h < 48) return t('age.hours', { n: h });
  return t('age.days', { n: Math.floor(h / 24) });
}

/** A span of time for people: "1 h 05 min", "12 min", "40 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('duration.s', { s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('duration.m', { m });
  return t('duration.hm', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}
