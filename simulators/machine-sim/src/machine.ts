import { EventEmitter } from 'node:events';
import {
  machineStateCode,
  type Machine,
  type MachineState,
  type MailboxJobStateName,
  type MailboxResultName,
  type Part,
  type Tag,
} from '@plant-twin/plant-model';
import { ProcessModel, type ProcessContext } from './process.js';
import type { Prng } from './prng.js';
import type { AlarmRecord, CycleRecord, JobRecord, StateInterval, TruthRecorder } from './truth.js';

const MIN = 60_000;
const HOUR = 3_600_000;

export type JobState = Exclude<MailboxJobStateName, 'empty'>;

export interface JobView {
  jobId: string;
  partNumber: string;
  quantity: number;
  good: number;
  scrap: number;
  state: JobState;
}

type StopKind = 'microStop' | 'starved' | 'blocked' | 'fault' | 'maintenance';
interface Stop {
  kind: StopKind;
  until: number;
  alarm?: AlarmRecord;
}

interface Job extends JobView {
  part: Part;
  setupRemainingMs: number;
  heldFrom?: 'setup' | 'running';
  record: JobRecord;
}

/** State shown while a stop lasts. A micro-stop is a short stop without alarm: the machine shows idle. */
const stopState: Record<StopKind, MachineState> = {
  microStop: 'idle',
  starved: 'starved',
  blocked: 'blocked',
  fault: 'fault',
  maintenance: 'maintenance',
};

export interface MachineEvents {
  state: [interval: StateInterval];
  cycle: [cycle: CycleRecord];
  alarm: [alarm: AlarmRecord, active: boolean];
  job: [job: JobView];
}

/**
 * The behaviour model of one machine: an event-driven state machine in simulated time.
 *
 * - Without a job the machine is idle (a CMM, which takes no jobs, measures parts as they arrive
 *   and is starved between arrivals).
 * - A job is loaded, started (changeover: `setupMin` between part families, `setupSameFamilyMin`
 *   within one, none for the part already set up), then runs cycles until the GOOD quantity is
 *   reached; scrap does not count towards it.
 * - While running, competing exponential hazards (in running time) interrupt production: faults
 *   (MTBF/MTTR, with a fault alarm from the machine's list), micro-stops (shown as idle, no alarm,
 *   `microStopS` long on average), starved and blocked episodes (`starvedMin` long on average) and
 *   warning alarms (a quarter of the fault rate, no stop). The cycle in progress pauses and resumes.
 * - Maintenance and power off/on, fault injection and alarms come from the control API.
 * Everything random comes from the machine's own seeded streams; the ground truth is recorded as it
 * happens.
 */
export class MachineSim extends EventEmitter<MachineEvents> {
  readonly id: string;
  readonly autonomous: boolean;
  private now: number;
  private state: MachineState = 'idle';
  private reason = 'noJob';
  private interval!: StateInterval;
  private power = true;
  private job: Job | null = null;
  private setUpFor: Part | null = null;
  private cycle: { remainingMs: number; durationMs: number; part: Part } | null = null;
  private stop: Stop | null = null;
  private hazards = { fault: Infinity, microStop: Infinity, starved: Infinity, blocked: Infinity, warn: Infinity };
  private warnings: { alarm: AlarmRecord; until: number }[] = [];
  private activeAlarms: AlarmRecord[] = [];
  private arrivalAt = Infinity;
  private goodTotal = 0;
  private scrapTotal = 0;
  private cycles = 0;
  private wearCycles = 0;
  private lastCycleS = 0;
  private readonly pv: ProcessModel;

  constructor(
    readonly model: Machine,
    private readonly rng: Prng,
    noise: Prng,
    private readonly truth: TruthRecorder,
    startMs: number,
  ) {
    super();
    this.id = model.id;
    this.now = startMs;
    this.autonomous = model.interface.type === 'file' && model.interface.format === 'cmm-xml';
    this.pv = new ProcessModel(model.tags, noise, startMs);
    this.openInterval();
    this.drawHazards(true);
    if (this.autonomous) this.awaitArrival();
  }

  // ---- time ---------------------------------------------------------------------------------

  /** Runs the machine up to simulated time t (ms since the epoch), firing every event on the way. */
  advanceTo(to: number): void {
    const t = Math.floor(to);
    for (;;) {
      const next = this.nextEventAt();
      if (next > t) {
        this.elapse(t);
        return;
      }
      this.elapse(next);
      this.fire();
    }
  }

  get time(): number {
    return this.now;
  }

  /** Simulated time of the machine's next event (Infinity when nothing is due). */
  nextEventAt(): number {
    let next = Math.min(this.arrivalAt, ...this.warnings.map((w) => w.until));
    if (!this.power) return next;
    if (this.stop) return Math.min(next, this.stop.until);
    if (this.state === 'setup' && this.job) next = Math.min(next, this.now + this.job.setupRemainingMs);
    if (this.state === 'running' && this.cycle) {
      const h = this.hazards;
      next = Math.min(next, this.now + Math.min(this.cycle.remainingMs, h.fault, h.microStop, h.starved, h.blocked, h.warn));
    }
    return next;
  }

  /** Lets time pass without an event: running time consumes the cycle and the hazards. */
  private elapse(to: number): void {
    const dt = to - this.now;
    if (dt <= 0) return;
    if (this.state === 'running' && this.cycle) {
      this.cycle.remainingMs -= dt;
      for (const k of Object.keys(this.hazards) as (keyof typeof this.hazards)[]) this.hazards[k] -= dt;
    } else if (this.state === 'setup' && this.job) {
      this.job.setupRemainingMs -= dt;
    }
    this.now = to;
  }

  private fire(): void {
    const now = this.now;
    const w = this.warnings.findIndex((x) => x.until <= now);
    if (w >= 0) {
      const [done] = this.warnings.splice(w, 1);
      this.clearAlarm(done!.alarm);
      return;
    }
    if (this.arrivalAt <= now) {
      this.arrivalAt = Infinity;
      this.startCycle(this.rng.pick(this.model.parts));
      if (!this.stop && this.power) this.setState('running', 'measuring');
      return;
    }
    if (this.stop && this.stop.until <= now) return this.endStop();
    if (this.state === 'setup' && this.job && this.job.setupRemainingMs <= 0) {
      this.setUpFor = this.job.part;
      this.job.state = 'running';
      this.emitJob();
      return this.enterProduction();
    }
    if (this.state === 'running' && this.cycle) {
      if (this.cycle.remainingMs <= 0) return this.finishCycle();
      const h = this.hazards;
      const b = this.model.behaviour;
      if (h.fault <= 0) {
        h.fault = this.draw(b.mtbfMin * MIN);
        const faults = this.model.alarms.filter((a) => a.severity === 'fault');
        return this.beginStop('fault', this.draw(b.mttrMin * MIN), faults.length ? this.rng.pick(faults).code : 0);
      }
      if (h.microStop <= 0) {
        h.microStop = this.draw(rateMean(b.microStopsPerHour));
        return this.beginStop('microStop', this.draw(b.microStopS * 1000));
      }
      if (h.starved <= 0) {
        h.starved = this.draw(rateMean(b.starvedPerHour));
        return this.beginStop('starved', this.draw(b.starvedMin * MIN));
      }
      if (h.blocked <= 0) {
        h.blocked = this.draw(rateMean(b.blockedPerHour));
        return this.beginStop('blocked', this.draw(b.starvedMin * MIN));
      }
      if (h.warn <= 0) {
        h.warn = this.draw(b.mtbfMin * MIN * 4);
        const warns = this.model.alarms.filter((a) => a.severity !== 'fault');
        if (warns.length) this.raiseWarning(this.rng.pick(warns).code, this.draw(5 * MIN));
        return;
      }
    }
    throw new Error(`${this.id}: no event due at ${now} (state ${this.state})`);
  }

  /** An exponential duration in whole milliseconds: event times stay exact integers. */
  private draw(mean: number): number {
    return Math.max(1, Math.round(this.rng.exp(mean)));
  }

  private drawHazards(all: boolean): void {
    const b = this.model.behaviour;
    const h = this.hazards;
    if (all || h.fault === Infinity) h.fault = this.draw(b.mtbfMin * MIN);
    h.microStop = this.draw(rateMean(b.microStopsPerHour));
    h.starved = this.draw(rateMean(b.starvedPerHour));
    h.blocked = this.draw(rateMean(b.blockedPerHour));
    if (all) h.warn = this.draw(b.mtbfMin * MIN * 4);
  }

  // ---- production -----------------------------------------------------------------------------

  private startCycle(part: Part): void {
    const b = this.model.behaviour;
    const factor = Math.max(0.5, 1 + b.cycleCv * this.rng.normal());
    const durationMs = Math.max(1, Math.round(part.idealCycleS * 1000 * factor));
    this.cycle = { remainingMs: durationMs, durationMs, part };
  }

  private finishCycle(): void {
    const c = this.cycle!;
    this.cycle = null;
    const scrap = this.rng.chance(this.model.behaviour.scrapRate);
    this.cycles++;
    this.wearCycles++;
    this.lastCycleS = c.durationMs / 1000;
    if (scrap) this.scrapTotal++;
    else this.goodTotal++;
    const rec: CycleRecord = {
      machineId: this.id,
      at: this.now,
      jobId: this.job?.jobId ?? null,
      partNumber: c.part.partNumber,
      result: scrap ? 'scrap' : 'good',
      cycleS: this.lastCycleS,
      seq: this.cycles,
    };
    this.truth.cycles.push(rec);
    this.pv.advance(this.now, this.pvState());
    this.emit('cycle', rec);
    const job = this.job;
    if (job) {
      if (scrap) job.scrap++;
      else job.good++;
      job.record.good = job.good;
      job.record.scrap = job.scrap;
      if (job.good >= job.quantity) {
        job.state = 'completed';
        job.record.endedAt = this.now;
        job.record.outcome = 'completed';
        this.setState('idle', 'noJob');
        return this.emitJob();
      }
      this.emitJob();
      this.startCycle(job.part);
      return;
    }
    if (this.autonomous) {
      this.setState('starved', 'noPart');
      this.awaitArrival();
    }
  }

  private awaitArrival(): void {
    this.arrivalAt = this.now + Math.max(1, Math.round(this.draw(this.model.behaviour.starvedMin * MIN)));
    if (this.state !== 'off' && !this.stop && !this.cycle) this.setState('starved', 'noPart');
  }

  /** Running (or setup) according to the job, after a start, a resume or the end of a stop. */
  private enterProduction(): void {
    if (!this.power) return this.setState('off', 'powerOff');
    if (this.autonomous) return this.cycle ? this.setState('running', 'measuring') : this.setState('starved', 'noPart');
    const job = this.job;
    if (job?.state === 'setup') return this.setState('setup', 'changeover');
    if (job?.state === 'running') {
      if (!this.cycle) this.startCycle(job.part);
      return this.setState('running', 'production');
    }
    if (job?.state === 'held') return this.setState('idle', 'hold');
    this.setState('idle', 'noJob');
  }

  // ---- stops and alarms -------------------------------------------------------------------------

  private beginStop(kind: StopKind, durationMs: number, alarmCode = 0): void {
    if (this.stop?.alarm) this.clearAlarm(this.stop.alarm);
    const alarm = alarmCode ? this.raiseAlarm(alarmCode) : undefined;
    this.stop = { kind, until: this.now + Math.max(1, Math.round(durationMs)), alarm };
    this.setState(stopState[kind], kind);
  }

  private endStop(): void {
    const s = this.stop!;
    this.stop = null;
    if (s.alarm) this.clearAlarm(s.alarm);
    if (s.kind === 'maintenance') this.wearCycles = 0;
    if (s.kind === 'fault' || s.kind === 'maintenance') this.drawHazards(false);
    this.enterProduction();
  }

  private raiseAlarm(code: number): AlarmRecord {
    const def = this.model.alarms.find((a) => a.code === code);
    const rec: AlarmRecord = {
      machineId: this.id,
      code,
      text: def?.text ?? `Alarm ${code}`,
      severity: def?.severity ?? 'fault',
      raisedAt: this.now,
      clearedAt: null,
    };
    this.truth.alarms.push(rec);
    this.activeAlarms.push(rec);
    this.emit('alarm', rec, true);
    this.refreshInterval();
    return rec;
  }

  private clearAlarm(rec: AlarmRecord): void {
    if (rec.clearedAt !== null) return;
    rec.clearedAt = this.now;
    this.activeAlarms = this.activeAlarms.filter((a) => a !== rec);
    this.emit('alarm', rec, false);
    this.refreshInterval();
  }

  private raiseWarning(code: number, durationMs: number): void {
    this.warnings.push({ alarm: this.raiseAlarm(code), until: this.now + Math.max(1, Math.round(durationMs)) });
  }

  /** The alarm the PLC shows: the latest active fault alarm, else the latest warning, else 0. */
  alarmCode(): number {
    const faults = this.activeAlarms.filter((a) => a.severity === 'fault');
    return (faults.at(-1) ?? this.activeAlarms.at(-1))?.code ?? 0;
  }

  // ---- state and ground truth -----------------------------------------------------------------

  private setState(state: MachineState, reason: string): void {
    this.pv.advance(this.now, this.pvState());
    this.state = state;
    this.reason = reason;
    this.pv.advance(this.now, this.pvState());
    this.refreshInterval();
  }

  private openInterval(): void {
    const job = this.activeJob();
    this.interval = {
      machineId: this.id,
      state: this.state,
      from: this.now,
      to: null,
      jobId: job?.jobId ?? null,
      partNumber: job?.partNumber ?? (this.autonomous && this.cycle ? this.cycle.part.partNumber : null),
      reason: this.reason,
      alarmCode: this.alarmCode(),
    };
    this.truth.intervals.push(this.interval);
    this.emit('state', this.interval);
  }

  /** Closes the open interval and opens a new one when anything it records has changed. */
  private refreshInterval(): void {
    const i = this.interval;
    const job = this.activeJob();
    const part = job?.partNumber ?? (this.autonomous && this.cycle ? this.cycle.part.partNumber : null);
    if (i.state === this.state && i.reason === this.reason && i.jobId === (job?.jobId ?? null) && i.partNumber === part && i.alarmCode === this.alarmCode()) return;
    if (i.from === this.now) {
      // nothing happened in between: replace rather than record a zero-length interval
      this.truth.intervals.splice(this.truth.intervals.lastIndexOf(i), 1);
    } else {
      i.to = this.now;
    }
    this.openInterval();
  }

  private activeJob(): Job | null {
    return this.job && this.job.state !== 'completed' && this.job.state !== 'cancelled' ? this.job : null;
  }

  private pvState() {
    return { state: this.state, wearCycles: this.wearCycles };
  }

  private emitJob(): void {
    const j = this.job;
    if (j) this.emit('job', this.jobView()!);
    this.refreshInterval();
  }

  // ---- commands (the job mailbox, JobQueue and job files all end up here) ---------------------

  private command(command: string, args: Record<string, unknown>, result: MailboxResultName): MailboxResultName {
    this.truth.commands.push({ machineId: this.id, at: this.now, command, args, result });
    return result;
  }

  load(jobId: string, partNumber: string, quantity: number): MailboxResultName {
    const args = { jobId, partNumber, quantity };
    if (this.autonomous) return this.command('load', args, 'badState');
    if (!this.power) return this.command('load', args, 'machineFault');
    if (this.job) return this.command('load', args, 'busy');
    const part = this.model.parts.find((p) => p.partNumber === partNumber);
    if (!part) return this.command('load', args, 'unknownPart');
    if (!Number.isInteger(quantity) || quantity < 1) return this.command('load', args, 'badQuantity');
    if (!jobId) return this.command('load', args, 'badState');
    const record: JobRecord = {
      machineId: this.id, jobId, partNumber, quantity, good: 0, scrap: 0,
      loadedAt: this.now, startedAt: null, setupMs: 0, endedAt: null, outcome: null,
    };
    this.truth.jobs.push(record);
    this.job = { jobId, partNumber, quantity, good: 0, scrap: 0, state: 'loaded', part, setupRemainingMs: 0, record };
    this.emitJob();
    return this.command('load', args, 'ok');
  }

  /** Changeover time from what the machine is set up for to a part (ms). */
  changeoverMs(part: Part): number {
    const b = this.model.behaviour;
    if (this.setUpFor?.partNumber === part.partNumber) return 0;
    if (this.setUpFor?.family === part.family) return Math.round(b.setupSameFamilyMin * MIN);
    return Math.round(b.setupMin * MIN);
  }

  /** Sets the part the machine is set up for, before any job is loaded (a what-if run starts from the plant's state). */
  assumeSetUp(partNumber: string): boolean {
    const part = this.model.parts.find((p) => p.partNumber === partNumber);
    if (!part || this.job) return false;
    this.setUpFor = part;
    return true;
  }

  start(): MailboxResultName {
    const job = this.job;
    if (!job) return this.command('start', {}, 'noJob');
    if (job.state !== 'loaded') return this.command('start', {}, 'badState');
    if (!this.power || this.stop?.kind === 'fault' || this.stop?.kind === 'maintenance') return this.command('start', {}, 'machineFault');
    job.setupRemainingMs = this.changeoverMs(job.part);
    job.record.setupMs = job.setupRemainingMs;
    job.record.startedAt = this.now;
    job.state = job.setupRemainingMs > 0 ? 'setup' : 'running';
    if (job.state === 'running') this.setUpFor = job.part;
    this.emitJob();
    if (!this.stop) this.enterProduction();
    return this.command('start', {}, 'ok');
  }

  hold(): MailboxResultName {
    const job = this.job;
    if (!job) return this.command('hold', {}, 'noJob');
    if (job.state !== 'setup' && job.state !== 'running') return this.command('hold', {}, 'badState');
    job.heldFrom = job.state;
    job.state = 'held';
    this.emitJob();
    if (!this.stop && this.power) this.setState('idle', 'hold');
    return this.command('hold', {}, 'ok');
  }

  resume(): MailboxResultName {
    const job = this.job;
    if (!job) return this.command('resume', {}, 'noJob');
    if (job.state !== 'held') return this.command('resume', {}, 'badState');
    if (!this.power || this.stop?.kind === 'fault' || this.stop?.kind === 'maintenance') return this.command('resume', {}, 'machineFault');
    job.state = job.heldFrom ?? 'running';
    this.emitJob();
    if (!this.stop) this.enterProduction();
    return this.command('resume', {}, 'ok');
  }

  cancel(): MailboxResultName {
    const job = this.job;
    if (!job) return this.command('cancel', {}, 'noJob');
    if (job.state === 'completed' || job.state === 'cancelled') return this.command('cancel', {}, 'badState');
    job.state = 'cancelled';
    job.record.endedAt = this.now;
    job.record.outcome = 'cancelled';
    this.cycle = null; // the part in the machine is taken out unfinished
    if (!this.stop && this.power) this.setState('idle', 'noJob');
    this.emitJob();
    return this.command('cancel', {}, 'ok');
  }

  clear(): MailboxResultName {
    const job = this.job;
    if (!job) return this.command('clear', {}, 'noJob');
    if (job.state !== 'completed' && job.state !== 'cancelled') return this.command('clear', {}, 'badState');
    this.job = null;
    this.refreshInterval();
    return this.command('clear', {}, 'ok');
  }

  // ---- control API ----------------------------------------------------------------------------

  /** Injects a fault (alarm code from the machine's list, or a random fault alarm) lasting `durationMs` (default: drawn from MTTR). */
  injectFault(code?: number, durationMs?: number): MailboxResultName {
    const args = { code, durationMs };
    if (!this.power || this.stop?.kind === 'maintenance') return this.command('injectFault', args, 'badState');
    const faults = this.model.alarms.filter((a) => a.severity === 'fault');
    const alarm = code ?? (faults.length ? this.rng.pick(faults).code : 0);
    this.beginStop('fault', durationMs ?? this.draw(this.model.behaviour.mttrMin * MIN), alarm);
    return this.command('injectFault', args, 'ok');
  }

  /** Raises a warning alarm (no stop) for `durationMs`. */
  injectAlarm(code: number, durationMs: number): MailboxResultName {
    if (!this.power) return this.command('injectAlarm', { code, durationMs }, 'badState');
    this.raiseWarning(code, durationMs);
    return this.command('injectAlarm', { code, durationMs }, 'ok');
  }

  /** Planned maintenance: the machine stops for `durationMs`; tool wear is reset at the end. */
  maintenance(durationMs: number): MailboxResultName {
    if (!this.power) return this.command('maintenance', { durationMs }, 'badState');
    this.beginStop('maintenance', durationMs);
    return this.command('maintenance', { durationMs }, 'ok');
  }

  /**
   * Power off: everything stops, alarms clear, a running job is held (a machine does not restart
   * production on its own after power returns). Power on: idle (or resumes measuring, for a CMM).
   */
  setPower(on: boolean): MailboxResultName {
    if (on === this.power) return this.command(on ? 'powerOn' : 'powerOff', {}, 'ok');
    if (!on) {
      if (this.stop?.alarm) this.clearAlarm(this.stop.alarm);
      this.stop = null;
      for (const w of this.warnings) this.clearAlarm(w.alarm);
      this.warnings = [];
      const job = this.job;
      if (job && (job.state === 'setup' || job.state === 'running')) {
        job.heldFrom = job.state;
        job.state = 'held';
        this.emitJob();
      }
      this.power = false;
      this.setState('off', 'powerOff');
    } else {
      this.power = true;
      this.enterProduction();
    }
    return this.command(on ? 'powerOn' : 'powerOff', {}, 'ok');
  }

  // ---- what the faces read --------------------------------------------------------------------

  get currentState(): MachineState {
    return this.state;
  }

  get powered(): boolean {
    return this.power;
  }

  jobView(): JobView | null {
    const j = this.job;
    return j ? { jobId: j.jobId, partNumber: j.partNumber, quantity: j.quantity, good: j.good, scrap: j.scrap, state: j.state } : null;
  }

  counters() {
    return { good: this.goodTotal, scrap: this.scrapTotal, cycles: this.cycles, wearCycles: this.wearCycles, lastCycleS: this.lastCycleS };
  }

  private processContext(): ProcessContext {
    const part = this.job?.part ?? this.cycle?.part ?? this.setUpFor;
    return {
      state: this.state,
      wearCycles: this.wearCycles,
      cycles: this.cycles,
      partIndex: part ? this.model.parts.indexOf(part) + 1 : 0,
    };
  }

  /** The value a tag has now: role tags from the model, process values with noise, setpoints as written. */
  tagValue(tag: Tag): number | boolean | string {
    switch (tag.role) {
      case 'state': return machineStateCode[this.state];
      case 'alarm_code': return this.alarmCode();
      case 'good_count': return this.goodTotal;
      case 'scrap_count': return this.scrapTotal;
      case 'cycle_time': return this.lastCycleS;
      case 'job_id': return this.job?.jobId ?? '';
      case 'part_number': return this.job?.partNumber ?? '';
      case 'heartbeat': return Math.floor(this.now / 1000) % 32768;
      case 'clock': return this.now;
      default:
        this.pv.advance(this.now, this.pvState());
        return this.pv.value(tag, this.processContext());
    }
  }

  /** All tag values by name (process values sampled now). */
  tagValues(): Record<string, number | boolean | string> {
    return Object.fromEntries(this.model.tags.map((t) => [t.name, this.tagValue(t)]));
  }

  setSetpoint(name: string, value: number | string | boolean): void {
    this.pv.setSetpoint(name, value);
  }
}

function rateMean(perHour: number): number {
  return perHour > 0 ? HOUR / perHour : Infinity;
}
