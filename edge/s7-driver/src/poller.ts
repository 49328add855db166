import { EventEmitter } from 'node:events';
import type { Quality, TagValue } from '@plant-twin/contracts';
import { parseS7Address, pollClassPeriodMs, type PollClass, type S7Address, type Tag } from '@plant-twin/plant-model';
import { decodeValue, encodeWrite, type S7Value } from './codec.js';
import type { S7Connection } from './connection.js';
import { S7ConnectionError, S7Error, S7ItemError, describeError } from './errors.js';
import { planReads, type ReadPlan } from './planner.js';

/**
 * Polls one PLC's tag map by poll class over one owned S7Connection and reports values with
 * quality and source timestamp.
 *
 * Classes: `fast` every fastMs, `slow` every slowMs, `change` every changeMs (a medium rate; like
 * every class it is reported only when it changes). Planning per tick: the classes that are due are
 * planned together, and a class that is not due is added when that costs no extra PDU (measured by
 * planning both ways): on the plant's maps at PDU 960 every tick then reads the whole map in the one
 * PDU the fast class needs anyway, so slow and change values are as fresh as fast ones for free.
 * On a 240-byte S7-1200 the fast tick stays small and the slow classes ride along every slowMs.
 *
 * Reported ('values'): a value whose quality changed, or that moved more than its deadband since it
 * was last reported (any change when the deadband is 0). A lost connection turns every value `bad`;
 * a value not refreshed within its class's stale time turns `stale`. Timestamps are the PLC clock
 * (the tag with role `clock`, LREAL ms since epoch) when the map has one, else local receive time.
 *
 * Events: 'values' (TagValue[]), 'connection' ({ up, error?, pduSize? }), 'poll' (PollReport),
 * 'problem' ({ message, tags }) once per distinct PLC-side error (e.g. a DB that is not accessible).
 */
export type PollerTag = Pick<Tag, 'name' | 'address' | 'type'> & Partial<Pick<Tag, 'poll' | 'deadband' | 'role' | 'writable'>>;

export interface S7PollerOptions {
  connection: S7Connection;
  tags: readonly PollerTag[];
  fastMs?: number;
  slowMs?: number;
  changeMs?: number;
  /** a value is stale when not refreshed for max(staleFactor x its class period, minStaleMs) */
  staleFactor?: number;
  minStaleMs?: number;
  /** add not-due classes to a tick when that costs no extra PDU (default true) */
  piggyback?: boolean;
  maxItems?: number;
}

export interface PollReport {
  /** the classes read in this poll, e.g. "fast+slow+change" */
  class: string;
  durationMs: number;
  pdus: number;
  /** the poll took longer than the fast period */
  overrun: boolean;
  ok: boolean;
}

interface TagState {
  tag: PollerTag;
  address: S7Address;
  cls: PollClass;
  staleMs: number;
  value: S7Value | null;
  quality: Quality;
  ts: number;
  lastGoodLocal: number;
  reported?: { value: S7Value | null; quality: Quality };
  error?: string;
}

const classOrder: PollClass[] = ['fast', 'change', 'slow'];

export class S7Poller extends EventEmitter {
  readonly connection: S7Connection;
  readonly fastMs: number;
  readonly slowMs: number;
  readonly changeMs: number;
  private readonly states = new Map<string, TagState>();
  private readonly byClass: Record<PollClass, string[]> = { fast: [], slow: [], change: [] };
  private readonly clockTag: string | undefined;
  private readonly piggyback: boolean;
  private readonly maxItems: number | undefined;
  private readonly plans = new Map<string, { plan: ReadPlan; classes: PollClass[] }>();
  private plannedFor = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight = false;
  private nextTick = 0;
  private lastDue: Record<PollClass, number> = { fast: -Infinity, slow: -Infinity, change: -Infinity };
  private clock: { plc: number; local: number } | undefined;
  private problems = new Set<string>();
  readonly stats = { polls: 0, overruns: 0, pdus: 0, skipped: 0 };
  /** last announced link state: 'connection' is emitted on changes, not on every failed retry */
  private linkUp: boolean | undefined;
  private readonly onUp = (info: { pduSize: number }) => {
    this.lastDue = { fast: -Infinity, slow: -Infinity, change: -Infinity }; // full refresh after (re)connect
    this.linkUp = true;
    this.emit('connection', { up: true, pduSize: info.pduSize });
  };
  private readonly onDown = (error: S7Error) => {
    this.markAll('bad', error.message);
    if (this.linkUp !== false) this.emit('connection', { up: false, error: error.message });
    this.linkUp = false;
  };

  constructor(options: S7PollerOptions) {
    super();
    this.connection = options.connection;
    this.fastMs = options.fastMs ?? pollClassPeriodMs.fast;
    this.slowMs = options.slowMs ?? pollClassPeriodMs.slow;
    this.changeMs = options.changeMs ?? pollClassPeriodMs.change;
    this.piggyback = options.piggyback ?? true;
    this.maxItems = options.maxItems;
    const factor = options.staleFactor ?? 5;
    const minStale = options.minStaleMs ?? 2000;
    const period: Record<PollClass, number> = { fast: this.fastMs, slow: this.slowMs, change: this.changeMs };
    for (const t of options.tags) {
      const a = parseS7Address(t.address);
      if (typeof a === 'string') throw new Error(`tag ${t.name}: ${a}`);
      if (this.states.has(t.name)) throw new Error(`tag ${t.name} appears twice`);
      const cls = t.poll ?? 'slow';
      this.states.set(t.name, { tag: t, address: a, cls, staleMs: Math.max(factor * period[cls], minStale), value: null, quality: 'bad', ts: 0, lastGoodLocal: 0 });
      this.byClass[cls].push(t.name);
    }
    this.clockTag = options.tags.find((t) => t.role === 'clock' && t.type === 'lreal')?.name;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.connection.on('up', this.onUp);
    this.connection.on('down', this.onDown);
    this.connection.start();
    this.nextTick = Date.now();
    this.schedule(0);
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.connection.off('up', this.onUp);
    this.connection.off('down', this.onDown);
  }

  /** Every tag's latest value with its quality and timestamp. */
  current(): TagValue[] {
    return [...this.states.values()].map((s) => ({ name: s.tag.name, value: s.value, quality: s.quality, ts: s.ts }));
  }

  /** Writes a writable tag on the poller's connection; the next poll reads the value back. */
  async write(name: string, value: unknown): Promise<void> {
    const s = this.states.get(name);
    if (!s) throw new Error(`no tag ${name} in this machine's tag map`);
    if (!s.tag.writable) throw new Error(`tag ${name} is not writable (set writable: true in the plant model)`);
    await this.connection.write([encodeWrite(s.address, value, `${name} (${s.tag.address})`)]);
    this.lastDue[s.cls] = -Infinity; // read it back on the next tick
  }

  /** The plan for a set of classes at the connection's PDU size (for metrics, tests and the benchmark). */
  planFor(classes: readonly PollClass[]): ReadPlan {
    return this.planEntry(classes).plan;
  }

  private planEntry(due: readonly PollClass[]): { plan: ReadPlan; classes: PollClass[] } {
    const pduSize = this.connection.pduSize || this.connection.options.pduSize;
    if (this.plannedFor !== pduSize) {
      this.plans.clear();
      this.plannedFor = pduSize;
    }
    const key = classOrder.filter((c) => due.includes(c)).join('+');
    let entry = this.plans.get(key);
    if (entry) return entry;
    const build = (classes: PollClass[]) => {
      const names = new Set(classes.flatMap((c) => this.byClass[c]));
      if (this.clockTag) names.add(this.clockTag); // every poll carries the PLC clock for its timestamps
      return planReads([...names].map((n) => ({ name: n, address: this.states.get(n)!.address })), { pduSize, maxItems: this.maxItems });
    };
    let classes = classOrder.filter((c) => due.includes(c));
    let plan = build(classes);
    if (this.piggyback) {
      for (const extra of classOrder) {
        if (classes.includes(extra) || this.byClass[extra].length === 0) continue;
        const wider = build([...classes, extra]);
        if (wider.requests.length <= plan.requests.length) {
          classes = classOrder.filter((c) => c === extra || classes.includes(c));
          plan = wider;
        }
      }
    }
    entry = { plan, classes };
    this.plans.set(key, entry);
    return entry;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.onTick(), delay);
  }

  private onTick(): void {
    const started = Date.now();
    try {
      this.checkStale(started);
    } catch (e) {
      process.emitWarning(`S7Poller ${this.connection.options.label}: a listener threw: ${describeError(e)}`);
    }
    if (this.inFlight) this.stats.skipped++;
    // a throwing 'values'/'poll' listener must not become an unhandled rejection (that ends the process)
    else if (this.connection.connected) this.poll(started).catch((e: unknown) => process.emitWarning(`S7Poller ${this.connection.options.label}: a listener threw: ${describeError(e)}`));
    // next tick on the fast grid (timer lateness does not accumulate); ticks missed in a stall are
    // dropped, not made up for in a burst
    this.nextTick += this.fastMs;
    if (this.nextTick <= started) this.nextTick = started + this.fastMs;
    this.schedule(Math.max(0, this.nextTick - Date.now()));
  }

  private dueClasses(now: number): PollClass[] {
    const period: Record<PollClass, number> = { fast: this.fastMs, slow: this.slowMs, change: this.changeMs };
    // a little slack so that timer jitter does not push a class to the next tick
    return classOrder.filter((c) => this.byClass[c].length > 0 && now - this.lastDue[c] >= period[c] - this.fastMs / 2);
  }

  /** One poll of the due classes; resolves when its replies are decoded (never rejects). */
  async poll(now = Date.now()): Promise<PollReport | undefined> {
    const due = this.dueClasses(now);
    if (due.length === 0 || this.inFlight) return undefined;
    this.inFlight = true;
    const { plan, classes } = this.planEntry(due);
    for (const c of classes) this.lastDue[c] = now;
    const t0 = performance.now();
    const buffers = plan.ranges.map((r) => Buffer.alloc(r.length));
    const rangeErrors = new Map<number, string>();
    let lostConnection = false;
    await Promise.all(
      plan.requests.map(async (req) => {
        try {
          const results = await this.connection.readItems(req.items);
          results.forEach((r, i) => {
            const it = req.items[i]!;
            if (r instanceof S7ItemError) rangeErrors.set(it.range, r.message);
            else r.copy(buffers[it.range]!, it.start - plan.ranges[it.range]!.start);
          });
        } catch (e) {
          if (e instanceof S7ConnectionError) lostConnection = true;
          for (const it of req.items) rangeErrors.set(it.range, describeError(e));
        }
      }),
    );
    const durationMs = performance.now() - t0;
    this.inFlight = false;
    const report: PollReport = { class: classes.join('+'), durationMs, pdus: plan.requests.length, overrun: durationMs > this.fastMs, ok: rangeErrors.size === 0 };
    this.stats.polls++;
    this.stats.pdus += plan.requests.length;
    if (report.overrun) this.stats.overruns++;
    // a lost connection is reported by the connection's 'down' (every value bad) - nothing to decode
    if (!lostConnection) this.apply(plan, buffers, rangeErrors);
    this.emit('poll', report);
    return report;
  }

  private apply(plan: ReadPlan, buffers: Buffer[], rangeErrors: Map<number, string>): void {
    const local = Date.now();
    let ts = local;
    const slot = this.clockTag ? plan.slots.get(this.clockTag) : undefined;
    if (slot && !rangeErrors.has(slot.range)) {
      const plc = decodeValue(slot.address, buffers[slot.range]!, slot.offset) as number;
      // an implausible clock (0 in a fresh DB, NaN) falls back to local time rather than 1970
      this.clock = Number.isFinite(plc) && plc > 946_684_800_000 ? { plc: Math.round(plc), local } : undefined;
      ts = this.clock?.plc ?? local;
    } else ts = this.sourceNow(local);
    const changed: TagValue[] = [];
    const problems = new Map<string, string[]>();
    for (const [name, slot] of plan.slots) {
      const s = this.states.get(name)!;
      const err = rangeErrors.get(slot.range);
      if (err) {
        s.quality = 'bad';
        s.ts = ts;
        s.error = err;
        problems.set(err, [...(problems.get(err) ?? []), name]);
      } else {
        s.value = decodeValue(slot.address, buffers[slot.range]!, slot.offset);
        s.quality = 'good';
        s.ts = ts;
        s.lastGoodLocal = local;
        s.error = undefined;
      }
      if (this.shouldReport(s)) changed.push(this.markReported(s));
    }
    for (const [message, tags] of problems) {
      if (this.problems.has(message)) continue;
      this.problems.add(message);
      this.emit('problem', { message, tags });
    }
    if (problems.size === 0) this.problems.clear();
    if (changed.length) this.emit('values', changed);
  }

  private shouldReport(s: TagState): boolean {
    const r = s.reported;
    if (!r || r.quality !== s.quality) return true;
    if (s.quality !== 'good') return false;
    const v = s.value;
    const deadband = s.tag.deadband ?? 0;
    if (typeof v === 'number' && typeof r.value === 'number') {
      if (Number.isNaN(v) || Number.isNaN(r.value)) return Number.isNaN(v) !== Number.isNaN(r.value);
      return deadband > 0 ? Math.abs(v - r.value) > deadband : v !== r.value;
    }
    return v !== r.value;
  }

  private markReported(s: TagState): TagValue {
    s.reported = { value: s.value, quality: s.quality };
    return { name: s.tag.name, value: s.value, quality: s.quality, ts: s.ts };
  }

  /** Source time now: the PLC clock advanced by local elapsed time, or local time without a clock. */
  private sourceNow(local = Date.now()): number {
    return this.clock ? this.clock.plc + (local - this.clock.local) : local;
  }

  private markAll(quality: Quality, error: string): void {
    const ts = this.sourceNow();
    const changed: TagValue[] = [];
    for (const s of this.states.values()) {
      // a PLC unreachable from the start still gets every tag reported once as bad
      if (s.quality === quality && s.reported) continue;
      s.quality = quality;
      s.ts = ts;
      s.error = error;
      if (this.shouldReport(s)) changed.push(this.markReported(s));
    }
    if (changed.length) this.emit('values', changed);
  }

  private checkStale(local: number): void {
    const ts = this.sourceNow(local);
    const changed: TagValue[] = [];
    for (const s of this.states.values()) {
      if (s.quality !== 'good' || local - s.lastGoodLocal <= s.staleMs) continue;
      s.quality = 'stale';
      s.ts = ts;
      if (this.shouldReport(s)) changed.push(this.markReported(s));
    }
    if (changed.length) this.emit('values', changed);
  }
}
