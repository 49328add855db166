/**
 * Everything the machine view shows for a range: trends of the chosen tags (the cloud's downsampled
 * series, many tags in one call), the state timeline, the alarm history, OEE with its losses, and the
 * machine's job queue. The range comes from the plant's shift calendar (GET /calendar/ranges), or is
 * the last hour on the cloud's clock; never the browser's clock. Reloaded after every reconnect.
 */
import { api } from '../lib/api/index.js';
import type {
  AlarmEpisode,
  CalendarKind,
  CalendarRangesAnswer,
  LiveJobEvent,
  MachineQueueAnswer,
  MultiSeriesAnswer,
  OeeBreakdownView,
  PlantMachine,
  PlantTag,
  TimelineAnswer,
} from '../lib/api/types.js';
import { maxSeriesTags } from '../lib/api/index.js';
import { clock } from '../lib/clock.svelte.js';
import type { LiveConnection } from '../lib/live/index.js';

export type RangeKind = 'hour' | CalendarKind;
export const rangeKinds: readonly RangeKind[] = ['hour', 'shift', 'day', 'week'];
export interface RangeChoice {
  kind: RangeKind;
  /** a time inside the wanted calendar range (null: now) */
  at: number | null;
}
export interface Range {
  kind: RangeKind;
  from: number;
  to: number;
  label: string | null;
}

const hourMs = 3_600_000;
/** about one bucket per pixel of a chart's width */
export const seriesPoints = 600;
const historyLimit = 200;

/** Tags worth a trend: numeric process values (not the state, counters, clock or heartbeat). */
export function trendable(tags: readonly PlantTag[]): PlantTag[] {
  const numeric = new Set(['int', 'dint', 'word', 'dword', 'real', 'lreal', 'byte']);
  return tags.filter((t) => numeric.has(t.type) && (!t.role || t.role === 'cycle_time' || t.role === 'setpoint'));
}

/** The tags shown by default: the first four process values of the plant model. */
export function defaultTags(m: PlantMachine): string[] {
  return trendable(m.tags).filter((t) => !t.role).slice(0, 4).map((t) => t.name);
}

/** `?range=&at=&tags=` read leniently (unknown kind: shift; bad time: now; unknown tags dropped). */
export function choiceFromQuery(q: URLSearchParams, m: PlantMachine): { choice: RangeChoice; tags: string[] } {
  const k = q.get('range');
  const at = Number(q.get('at'));
  const known = new Set(trendable(m.tags).map((t) => t.name));
  const tags = (q.get('tags') ?? '').split(',').filter((t) => known.has(t)).slice(0, maxSeriesTags);
  return {
    choice: { kind: (rangeKinds as readonly string[]).includes(k ?? '') ? (k as RangeKind) : 'shift', at: q.has('at') && Number.isSafeInteger(at) && at > 0 ? at : null },
    tags: q.has('tags') ? tags : defaultTags(m),
  };
}

export class MachinePage {
  range = $state<Range | null>(null);
  calendar = $state<CalendarRangesAnswer | null>(null);
  series = $state<MultiSeriesAnswer | null>(null);
  timeline = $state<TimelineAnswer | null>(null);
  history = $state<AlarmEpisode[]>([]);
  oee = $state<OeeBreakdownView | null>(null);
  queue = $state<MachineQueueAnswer | null>(null);
  loading = $state(false);
  /** per part of the page, why it could not be read */
  errors = $state<Partial<Record<'range' | 'series' | 'timeline' | 'alarms' | 'oee' | 'queue', string>>>({});

  private choice: RangeChoice = { kind: 'shift', at: null };
  private tags: string[] = [];
  private abort: AbortController | null = null;

  constructor(
    readonly machineId: string,
    private readonly conn: LiveConnection,
    private readonly calls = api,
  ) {}

  /** Reloads on every reconnect, and the queue when a job of this machine changes; returns the function that stops it. */
  attach(): () => void {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const offs = [
      this.conn.onResync(() => this.reload()),
      this.conn.on<LiveJobEvent>('job', (e) => {
        const mine = e.job.machineId === this.machineId || e.job.eligibleMachines.includes(this.machineId);
        // job events come in bursts (progress): one queue read per burst
        if (mine) timer ??= setTimeout(() => ((timer = null), void this.loadQueue()), 500);
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      if (timer) clearTimeout(timer);
      this.abort?.abort();
    };
  }

  /**
   * Shows a range and tags (the URL changed): a new range reloads the page, new tags only the trends.
   */
  async select(choice: RangeChoice, tags: readonly string[]): Promise<void> {
    const sameRange = this.range !== null && choice.kind === this.choice.kind && choice.at === this.choice.at;
    const sameTags = tags.join(',') === this.tags.join(',');
    this.choice = choice;
    this.tags = [...tags];
    if (!sameRange) await this.reload();
    else if (!sameTags && this.range) await this.loadSeries(this.range, new AbortController().signal);
  }

  async reload(): Promise<void> {
    const signal = this.signal();
    this.loading = true;
    try {
      const range = await this.resolveRange(signal);
      if (!range || signal.aborted) return;
      this.range = range;
      await Promise.all([this.loadSeries(range, signal), this.loadTimeline(range, signal), this.loadAlarms(range, signal), this.loadOee(range, signal), this.loadQueue()]);
    } finally {
      if (!signal.aborted) this.loading = false;
    }
  }

  private signal(): AbortSignal {
    this.abort?.abort();
    this.abort = new AbortController();
    return this.abort.signal;
  }

  private async resolveRange(signal: AbortSignal): Promise<Range | null> {
    if (this.choice.kind === 'hour') {
      const to = this.choice.at ?? clock.read();
      this.calendar = null;
      return { kind: 'hour', from: to - hourMs, to, label: null };
    }
    return this.guard('range', signal, async () => {
      const r = await this.calls.calendarRanges(this.choice.kind as CalendarKind, this.choice.at ?? undefined);
      this.calendar = r;
      return { kind: this.choice.kind, from: r.current.from, to: r.current.to, label: r.current.label };
    });
  }

  private async loadSeries(range: Range, signal: AbortSignal) {
    if (this.tags.length === 0) {
      this.series = { machineId: this.machineId, from: range.from, to: range.to, series: [] };
      return;
    }
    const to = Math.min(range.to, clock.read());
    await this.guard('series', signal, async () => {
      this.series = await this.calls.series(this.machineId, this.tags, range.from, Math.max(range.from + 1, to), seriesPoints, signal);
    });
  }

  private async loadTimeline(range: Range, signal: AbortSignal) {
    const to = Math.min(range.to, clock.read());
    if (to <= range.from) {
      this.timeline = { machineId: this.machineId, from: range.from, to: range.from, intervals: [], truncated: false };
      return;
    }
    await this.guard('timeline', signal, async () => {
      this.timeline = await this.calls.timeline(this.machineId, range.from, to, signal);
    });
  }

  private async loadAlarms(range: Range, signal: AbortSignal) {
    await this.guard('alarms', signal, async () => {
      const a = await this.calls.alarms({ machineId: this.machineId, from: range.from, to: range.to, limit: historyLimit }, signal);
      this.history = a.history;
    });
  }

  private async loadOee(range: Range, signal: AbortSignal) {
    const to = Math.min(range.to, clock.read());
    if (to <= range.from) {
      this.oee = null;
      return;
    }
    await this.guard('oee', signal, async () => {
      const r = await this.calls.oee({ from: range.from, to, machineIds: [this.machineId] }, signal);
      this.oee = r.machines[this.machineId] ?? null;
    });
  }

  private async loadQueue() {
    try {
      this.queue = await this.calls.queue(this.machineId);
      delete this.errors.queue;
    } catch (e) {
      this.errors.queue = e instanceof Error ? e.message : String(e);
    }
  }

  private async guard<T>(part: keyof MachinePage['errors'], signal: AbortSignal, f: () => Promise<T>): Promise<T | null> {
    try {
      const r = await f();
      delete this.errors[part];
      return r;
    } catch (e) {
      if (!signal.aborted) this.errors[part] = e instanceof Error ? e.message : String(e);
      return null;
    }
  }
}
