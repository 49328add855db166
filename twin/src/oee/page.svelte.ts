import type { OeePeriod } from '@plant-twin/contracts';
import { api } from '../lib/api/index.js';
import type { CalendarKind, CalendarRangesAnswer, OeeReportView } from '../lib/api/types.js';

/** Days in the OEE trend: the production day of the range's end and the ones before it. */
export const trendDays = 14;
const dayMs = 86_400_000;

/**
 * The OEE view's data: the plant-calendar range asked for (kind + a time inside it), the cloud's
 * report for it and a trend by production day ending with it. Answers to an older request than the
 * latest are dropped, so quick clicks through ranges never show a stale report under a new label.
 */
export class OeePage {
  ranges = $state<CalendarRangesAnswer | null>(null);
  report = $state<OeeReportView | null>(null);
  trend = $state<OeePeriod[] | null>(null);
  trendSpan = $state<{ from: number; to: number } | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  private seq = 0;
  private last: { kind: CalendarKind; at: number | null } | null = null;

  async load(kind: CalendarKind, at: number | null): Promise<void> {
    this.last = { kind, at };
    const mine = ++this.seq;
    this.loading = true;
    try {
      const ranges = await api.calendarRanges(kind, at ?? undefined);
      const { from, to } = ranges.current;
      // the trend's days come from the calendar too: 13 days back from the last day's start may cross a DST change
      const lastDay = (await api.calendarRanges('day', to - 1)).current;
      const firstDay = (await api.calendarRanges('day', lastDay.from - (trendDays - 1) * dayMs + dayMs / 2)).current;
      const [report, trend] = await Promise.all([api.oee({ from, to }), api.oee({ from: firstDay.from, to: lastDay.to, by: 'day' })]);
      if (mine !== this.seq) return;
      this.ranges = ranges;
      this.report = report;
      this.trend = trend.trend ?? [];
      this.trendSpan = { from: firstDay.from, to: lastDay.to };
      this.error = null;
    } catch (e) {
      if (mine === this.seq) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === this.seq) this.loading = false;
    }
  }

  /** Loads the same range again (after a reconnect, or while it is still running). */
  reload(): Promise<void> {
    return this.last ? this.load(this.last.kind, this.last.at) : Promise.resolve();
  }

  /** True while the range shown has not ended: its figures still change. */
  running(now: number): boolean {
    return !!this.ranges && this.ranges.current.to > now;
  }
}
