import type { MachineState } from '@plant-twin/plant-model';

/**
 * Ground truth of a simulation run: what really happened on each machine, in simulated time
 * (ms since the Unix epoch). OEE and data-loss tests compare what the edge and cloud saw with it.
 */
export interface StateInterval {
  machineId: string;
  state: MachineState;
  from: number;
  /** null while the interval is still open */
  to: number | null;
  jobId: string | null;
  partNumber: string | null;
  /** why the machine is in this state: microStop (a short stop shown as idle), starved, blocked, fault, maintenance, setup, hold, noJob, powerOff */
  reason: string;
  alarmCode: number;
}

export interface CycleRecord {
  machineId: string;
  /** end of the cycle */
  at: number;
  jobId: string | null;
  partNumber: string;
  result: 'good' | 'scrap';
  cycleS: number;
  /** lifetime cycle number of the machine (1-based) */
  seq: number;
}

export interface JobRecord {
  machineId: string;
  jobId: string;
  partNumber: string;
  quantity: number;
  good: number;
  scrap: number;
  loadedAt: number;
  startedAt: number | null;
  /** changeover time the job needed (ms) */
  setupMs: number;
  endedAt: number | null;
  outcome: 'completed' | 'cancelled' | null;
}

export interface AlarmRecord {
  machineId: string;
  code: number;
  text: string;
  severity: 'info' | 'warn' | 'fault';
  raisedAt: number;
  clearedAt: number | null;
}

export interface CommandRecord {
  machineId: string;
  at: number;
  command: string;
  args: Record<string, unknown>;
  result: string;
}

export interface Truth {
  intervals: StateInterval[];
  cycles: CycleRecord[];
  jobs: JobRecord[];
  alarms: AlarmRecord[];
  commands: CommandRecord[];
}

export interface CountSummary {
  good: number;
  scrap: number;
  byPart: Record<string, { good: number; scrap: number }>;
  byJob: Record<string, { good: number; scrap: number }>;
}

export class TruthRecorder implements Truth {
  readonly intervals: StateInterval[] = [];
  readonly cycles: CycleRecord[] = [];
  readonly jobs: JobRecord[] = [];
  readonly alarms: AlarmRecord[] = [];
  readonly commands: CommandRecord[] = [];

  /** Records overlapping [from, to) of one machine (all machines when machineId is undefined). */
  query(opts: { machineId?: string; from?: number; to?: number } = {}): Truth {
    const from = opts.from ?? -Infinity;
    const to = opts.to ?? Infinity;
    const m = <T extends { machineId: string }>(r: T) => opts.machineId === undefined || r.machineId === opts.machineId;
    const overlaps = (a: number, b: number | null) => a < to && (b ?? Infinity) > from;
    return {
      intervals: this.intervals.filter((r) => m(r) && overlaps(r.from, r.to)),
      cycles: this.cycles.filter((r) => m(r) && r.at >= from && r.at < to),
      jobs: this.jobs.filter((r) => m(r) && overlaps(r.loadedAt, r.endedAt)),
      alarms: this.alarms.filter((r) => m(r) && overlaps(r.raisedAt, r.clearedAt)),
      commands: this.commands.filter((r) => m(r) && r.at >= from && r.at < to),
    };
  }

  counts(opts: { machineId?: string; from?: number; to?: number } = {}): CountSummary {
    const out: CountSummary = { good: 0, scrap: 0, byPart: {}, byJob: {} };
    for (const c of this.query(opts).cycles) {
      const k = c.result;
      out[k]++;
      (out.byPart[c.partNumber] ??= { good: 0, scrap: 0 })[k]++;
      if (c.jobId) (out.byJob[c.jobId] ??= { good: 0, scrap: 0 })[k]++;
    }
    return out;
  }

  /** Milliseconds per state within [from, to) (open intervals end at `now`). */
  durations(machineId: string, now: number, from = -Infinity, to = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.intervals) {
      if (i.machineId !== machineId) continue;
      const a = Math.max(i.from, from);
      const b = Math.min(i.to ?? now, to, now);
      if (b > a) out[i.state] = (out[i.state] ?? 0) + (b - a);
    }
    return out;
  }
}
