import type { CalendarKind, CalendarRangesAnswer } from '../lib/api/types.js';

/**
 * Ranges of the plant's shift calendar in the URL. The ranges themselves come from the cloud
 * (GET /calendar/ranges: the shift, production day or ISO week containing a time, and the one before,
 * in the plant's time zone): the twin never derives them from the browser's clock.
 */

export const calendarKinds = ['shift', 'day', 'week'] as const satisfies readonly CalendarKind[];

/** `?range=day&at=…` read leniently: an unknown kind is a shift, a bad time is now. */
export function periodFromQuery(p: URLSearchParams, defaultKind: CalendarKind = 'shift'): { kind: CalendarKind; at: number | null } {
  const k = p.get('range');
  const at = Number(p.get('at'));
  return {
    kind: (calendarKinds as readonly string[]).includes(k ?? '') ? (k as CalendarKind) : defaultKind,
    at: p.has('at') && Number.isSafeInteger(at) && at > 0 ? at : null,
  };
}

/** The URL query of a period (the defaults left out). */
export function periodToQuery(kind: CalendarKind, at: number | null, defaultKind: CalendarKind = 'shift'): Record<string, string | null> {
  return { range: kind === defaultKind ? null : kind, at: at === null ? null : String(at) };
}

/**
 * Where the period's arrows lead: the previous range, and the next one (the range containing the end
 * of the current one) unless the current range holds `now`, since the future has no data.
 */
export function periodSteps(r: CalendarRangesAnswer, now: number): { previous: number; next: number | null } {
  return { previous: r.previous.from, next: r.current.to > now ? null : r.current.to };
}
