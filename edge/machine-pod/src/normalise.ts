import { join } from 'node:path';
import { maxStringValueChars, type TagValue } from '@plant-twin/contracts';
import { machineStates, type Machine, type MachineState, type Tag, type TagRole } from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import { counterDelta, unsigned32 } from './counters.js';
import type { MachineEvent } from './drivers/types.js';
import type { PodMetrics } from './metrics.js';
import type { MessageBody } from './publisher.js';
import { readJson, writeJsonAtomic } from './state-file.js';

/** Roles that travel in their own message kinds (or not at all) instead of samples. */
const nonSampleRoles = new Set<TagRole>(['state', 'good_count', 'scrap_count', 'alarm_code', 'heartbeat', 'clock', 'job_id', 'part_number']);

interface CounterState {
  good?: number;
  scrap?: number;
}

export interface NormaliserOptions {
  machine: Machine;
  stateDir: string;
  log: Logger;
  metrics: PodMetrics;
  /** every value is published at least this often even without a change beyond its deadband */
  refreshMs?: number;
  now?: () => number;
  /** the machine's time base as the pod knows it (the publisher's SourceClock); default: now */
  machineNow?: () => number;
}

/**
 * Turns driver events into contract messages: samples by exception (per-tag deadband, full refresh
 * every `refreshMs`), state changes, counter deltas (reset/wrap safe, totals persisted so parts made
 * while the pod was down are counted), alarm raise/clear. Never throws for one bad value: it is
 * published with quality bad (or skipped and counted) and the rest goes on.
 */
export class Normaliser {
  private readonly tags: Map<string, Tag>;
  private readonly roleTag = new Map<TagRole, Tag>();
  private readonly current = new Map<string, TagValue>();
  private readonly lastSent = new Map<string, TagValue>();
  private lastRefresh = 0;
  private state: MachineState | null = null;
  private stateFresh = false;
  private alarmCode = 0;
  private clock: number | undefined;
  private jobId: string | undefined;
  private partNumber: string | undefined;
  private readonly counterFile: string;
  private totals: CounterState;
  private totalsDirty = false;
  private readonly refreshMs: number;
  private readonly now: () => number;
  /**
   * When the link was last declared lost. What the machine says afterwards is stamped no earlier: the
   * cloud and the twin keep, per tag and for the state, the value with the latest time, and a PLC
   * whose clock runs behind the pod's (or rows written before the loss) would otherwise leave the
   * "bad" of the loss standing for good. Counters and alarms keep their own times (OEE, history).
   */
  private lostAt = 0;

  constructor(private readonly o: NormaliserOptions) {
    this.tags = new Map(o.machine.tags.map((t) => [t.name, t]));
    for (const t of o.machine.tags) if (t.role && t.role !== 'setpoint') this.roleTag.set(t.role, t);
    this.counterFile = join(o.stateDir, 'counters.json');
    this.totals = readJson<CounterState>(this.counterFile, {});
    this.refreshMs = o.refreshMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Messages for a batch of events; a bad event is logged, counted and skipped. */
  normalise(events: MachineEvent[]): MessageBody[] {
    const out: MessageBody[] = [];
    let totalsChanged = false;
    for (const e of events) {
      try {
        switch (e.type) {
          case 'values':
            totalsChanged = this.values(e.values, out) || totalsChanged;
            break;
          case 'cycle':
            this.cycle(e, out);
            totalsChanged = true;
            break;
          case 'sample': {
            const values = e.values.map((v) => this.clean(v, e.ts));
            if (values.length) out.push({ kind: 'sample', ts: Math.max(this.lostAt, e.ts), values });
            break;
          }
          case 'state':
            this.stateChange(e.state, e.ts, e.alarmCode, out);
            break;
          case 'alarm':
            out.push(this.alarm(e.code, e.active, e.ts, e.text, e.severity));
            break;
        }
      } catch (err) {
        this.o.metrics.badValues.inc(this.o.metrics.labels);
        this.o.log.warn({ err: (err as Error).message, event: e.type }, 'event skipped');
      }
    }
    if (totalsChanged) this.totalsDirty = true;
    return out;
  }

  /**
   * Persists the counter totals. The pod calls it once the messages of a re-readable source (SQL
   * rows, files) are acknowledged, so a batch read again after a crash is not counted twice in the
   * totals; for volatile sources (S7) right away.
   */
  persistTotals(): void {
    if (!this.totalsDirty) return;
    this.totalsDirty = false;
    writeJsonAtomic(this.counterFile, this.totals);
  }

  /** The machine link is gone: its state is unknown (quality bad) and its last values are no longer current. */
  connectionLost(): MessageBody[] {
    // the machine's clock is out of reach now: its last reading, advanced by the time since
    const ts = Math.max(this.lostAt, (this.o.machineNow ?? this.now)());
    this.lostAt = ts;
    const out: MessageBody[] = [];
    out.push({ kind: 'state', ts, state: this.state ?? 'off', previous: this.state, quality: 'bad', ...this.context() });
    const values = [...this.current.values()].map((v) => ({ ...v, quality: 'bad' as const, ts }));
    if (values.length) out.push({ kind: 'sample', ts, values });
    // after the link returns, publish state and every value afresh
    this.stateFresh = false;
    this.lastSent.clear();
    this.current.clear();
    return out;
  }

  /**
   * Whether the times of the messages come from the machine: not for a machine with a clock tag
   * before its first good reading (the pod's own clock stands in, there is nothing to judge).
   */
  knowsMachineTime(): boolean {
    return !this.roleTag.has('clock') || this.clock !== undefined;
  }

  currentState(): MachineState | null {
    return this.state;
  }

  private context(): { jobId?: string; partNumber?: string } {
    return { ...(this.jobId ? { jobId: this.jobId.slice(0, 32) } : {}), ...(this.partNumber ? { partNumber: this.partNumber.slice(0, 24) } : {}) };
  }

  /** A value made safe for the contract: non-finite numbers and odd types become null with quality bad, long strings are cut. */
  private clean(v: TagValue, ts: number): TagValue {
    const ok = v.value === null || typeof v.value === 'boolean' || typeof v.value === 'string' || (typeof v.value === 'number' && Number.isFinite(v.value));
    if (!ok) this.o.metrics.badValues.inc(this.o.metrics.labels);
    const value = !ok ? null : typeof v.value === 'string' ? v.value.slice(0, maxStringValueChars) : v.value;
    return { name: v.name.slice(0, 48), value, quality: ok ? v.quality : 'bad', ts: Math.max(this.lostAt, Math.round(ts)) };
  }

  private values(values: TagValue[], out: MessageBody[]): boolean {
    const byRole = (role: TagRole) => {
      const t = this.roleTag.get(role);
      const v = t && values.find((x) => x.name === t.name);
      return v && v.quality === 'good' ? v.value : undefined;
    };
    const clock = byRole('clock');
    if (typeof clock === 'number' && Number.isFinite(clock) && clock > 0) this.clock = Math.round(clock);
    const ts = this.clock ?? this.now();
    const job = byRole('job_id');
    if (typeof job === 'string') this.jobId = job.trim() || undefined;
    const part = byRole('part_number');
    if (typeof part === 'string') this.partNumber = part.trim() || undefined;

    const alarm = byRole('alarm_code');
    const alarmCode = typeof alarm === 'number' && Number.isInteger(alarm) && alarm >= 0 ? alarm : undefined;
    const stateCode = byRole('state');
    if (typeof stateCode === 'number') {
      const s = machineStates[stateCode];
      if (s) this.stateChange(s, ts, alarmCode ?? this.alarmCode, out);
      else {
        this.o.metrics.badValues.inc(this.o.metrics.labels);
        this.o.log.warn({ value: stateCode }, 'state tag outside the state codes; ignored');
      }
    }
    if (alarmCode !== undefined && alarmCode !== this.alarmCode) {
      if (this.alarmCode !== 0) out.push(this.alarm(this.alarmCode, false, ts));
      if (alarmCode !== 0) out.push(this.alarm(alarmCode, true, ts));
      this.alarmCode = alarmCode;
    }
    const totalsChanged = this.counters(byRole('good_count'), byRole('scrap_count'), ts, out);

    // samples by exception
    const now = this.now();
    const refresh = now - this.lastRefresh >= this.refreshMs;
    const changed: TagValue[] = [];
    for (const raw of values) {
      const tag = this.tags.get(raw.name);
      if (!tag || (tag.role && nonSampleRoles.has(tag.role))) continue;
      const v = this.clean(raw, ts);
      this.current.set(v.name, v);
      if (!refresh && this.significant(tag, v)) changed.push(v);
    }
    const toSend = refresh ? [...this.current.values()] : changed;
    if (refresh) this.lastRefresh = now;
    for (const v of toSend) this.lastSent.set(v.name, v);
    if (toSend.length) out.push({ kind: 'sample', ts: Math.max(this.lostAt, ts), values: toSend });
    return totalsChanged;
  }

  private significant(tag: Tag, v: TagValue): boolean {
    const last = this.lastSent.get(v.name);
    if (!last || last.quality !== v.quality) return true;
    if (typeof v.value === 'number' && typeof last.value === 'number') return Math.abs(v.value - last.value) > tag.deadband || (tag.deadband === 0 && v.value !== last.value);
    return v.value !== last.value;
  }

  private counters(good: unknown, scrap: unknown, ts: number, out: MessageBody[]): boolean {
    const g = typeof good === 'number' && Number.isInteger(good) ? good : undefined;
    const s = typeof scrap === 'number' && Number.isInteger(scrap) ? scrap : undefined;
    if (g === undefined && s === undefined) return false;
    const goodDelta = g !== undefined && this.totals.good !== undefined ? counterDelta(this.totals.good, g) : 0;
    const scrapDelta = s !== undefined && this.totals.scrap !== undefined ? counterDelta(this.totals.scrap, s) : 0;
    const changed = (g !== undefined && g !== this.totals.good) || (s !== undefined && s !== this.totals.scrap);
    if (g !== undefined) this.totals.good = g;
    if (s !== undefined) this.totals.scrap = s;
    if (goodDelta || scrapDelta) {
      out.push({ kind: 'counter', ts, goodDelta, scrapDelta, goodTotal: unsigned32(this.totals.good ?? 0), scrapTotal: unsigned32(this.totals.scrap ?? 0), ...this.context() });
    }
    return changed;
  }

  private cycle(e: Extract<MachineEvent, { type: 'cycle' }>, out: MessageBody[]): void {
    if (e.jobId !== undefined) this.jobId = e.jobId || undefined;
    if (e.partNumber !== undefined) this.partNumber = e.partNumber || undefined;
    const values = e.values.map((v) => this.clean(v, e.ts));
    for (const v of values) this.current.set(v.name, v);
    if (values.length) out.push({ kind: 'sample', ts: Math.max(this.lostAt, e.ts), values });
    this.totals.good = (this.totals.good ?? 0) + (e.good ? 1 : 0);
    this.totals.scrap = (this.totals.scrap ?? 0) + (e.good ? 0 : 1);
    out.push({ kind: 'counter', ts: e.ts, goodDelta: e.good ? 1 : 0, scrapDelta: e.good ? 0 : 1, goodTotal: this.totals.good, scrapTotal: this.totals.scrap, ...this.context() });
  }

  private stateChange(state: MachineState, ts: number, alarmCode: number | undefined, out: MessageBody[]): void {
    if (state === this.state && this.stateFresh) return;
    const previous = this.state;
    this.state = state;
    this.stateFresh = true;
    out.push({ kind: 'state', ts: Math.max(this.lostAt, ts), state, previous, quality: 'good', ...(alarmCode !== undefined ? { alarmCode } : {}), ...this.context() });
  }

  private alarm(code: number, active: boolean, ts: number, text?: string, severity?: 'info' | 'warn' | 'fault'): MessageBody {
    const def = this.o.machine.alarms.find((a) => a.code === code);
    return { kind: 'alarm', ts, code, active, text: (text ?? def?.text ?? `alarm ${code}`).slice(0, 128), severity: severity ?? def?.severity ?? 'fault' };
  }
}
