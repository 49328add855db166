import { api, reasonOf } from '../lib/api/index.js';
import type { CalendarKind, CalendarRangesAnswer } from '../lib/api/types.js';

export type RangeBounds = { from: number; to: number };

/**
 * What was fetched for one plant-calendar range: the cloud's range (kind + a time inside it), then the
 * data for its bounds. Answers to an older request than the latest are dropped, so quick clicks
 * through ranges never show stale data under a new label.
 */
export class RangeData<Q, T> {
  ranges = $state<CalendarRangesAnswer | null>(null);
  data = $state<T | null>(null);
  error = $state<string | null>(null);
  private seq = 0;
  private last: { kind: CalendarKind; at: number | null; query: Q } | null = null;

  constructor(
    private readonly fetch: (range: RangeBounds, query: Q) => Promise<T>,
    private readonly calendar: (kind: CalendarKind, at?: number) => Promise<CalendarRangesAnswer> = api.calendarRanges,
  ) {}

  async load(kind: CalendarKind, at: number | null, query: Q): Promise<void> {
    this.last = { kind, at, query };
    const mine = ++this.seq;
    try {
      const ranges = await this.calendar(kind, at ?? undefined);
      const data = await this.fetch(ranges.current, query);
      if (mine !== this.seq) return;
      [this.ranges, this.data, this.error] = [ranges, data, null];
    } catch (e) {
      if (mine === this.seq) this.error = reasonOf(e);
    }
  }

  /** Loads the same range again (after a reconnect, or while it is still running). */
  reload(): Promise<void> {
    return this.last ? this.load(this.last.kind, this.last.at, this.last.query) : Promise.resolve();
  }

  /** True while the range shown has not ended: its data still change. */
  running(now: number): boolean {
    return !!this.ranges && this.ranges.current.to > now;
  }
}
