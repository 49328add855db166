import { api } from '../lib/api/index.js';
import type { AlarmEpisode, CalendarKind, CalendarRangesAnswer } from '../lib/api/types.js';
import type { AlarmsFilter } from './filter.js';

/** Most episodes one history page shows (the API's bound is 5000). */
export const historyLimit = 500;

/**
 * The alarm history of a plant-calendar range (GET /alarms with from/to), filtered by machine and
 * severity on the server. Answers to an older request are dropped.
 */
export class AlarmHistory {
  ranges = $state<CalendarRangesAnswer | null>(null);
  episodes = $state<AlarmEpisode[]>([]);
  error = $state<string | null>(null);
  loading = $state(false);
  private seq = 0;
  private last: { filter: AlarmsFilter; kind: CalendarKind; at: number | null } | null = null;

  async load(filter: AlarmsFilter, kind: CalendarKind, at: number | null): Promise<void> {
    this.last = { filter, kind, at };
    const mine = ++this.seq;
    this.loading = true;
    try {
      const ranges = await api.calendarRanges(kind, at ?? undefined);
      const { from, to } = ranges.current;
      const answer = await api.alarms({
        from,
        to,
        limit: historyLimit,
        ...(filter.machine ? { machineId: filter.machine } : {}),
        ...(filter.severity.length ? { severity: filter.severity.join(',') } : {}),
      });
      if (mine !== this.seq) return;
      this.ranges = ranges;
      this.episodes = answer.history;
      this.error = null;
    } catch (e) {
      if (mine === this.seq) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === this.seq) this.loading = false;
    }
  }

  reload(): Promise<void> {
    return this.last ? this.load(this.last.filter, this.last.kind, this.last.at) : Promise.resolve();
  }

  running(now: number): boolean {
    return !!this.ranges && this.ranges.current.to > now;
  }
}
