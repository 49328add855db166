import {
  FreshnessTracker,
  LiveCoalescer,
  newerJob,
  noteFreshness,
  type ActiveAlarm,
  type FreshnessInput,
  type LiveMachineEvent,
  type MachineJob,
  type MachineMessage,
  type MachineSnapshot,
  type MachineStatus,
} from '@plant-twin/contracts';

interface MachineBoard extends FreshnessInput {
  state: MachineStatus['state'];
  partNumber: string | null;
  jobId: string | null;
  lastSeen: number | null;
  job: MachineJob | null;
  alarms: Map<number, ActiveAlarm>;
}

/** active alarms kept per machine: a pod raising ever new codes cannot grow the board */
export const maxActiveAlarms = 64;

/** the edge's broker: one source of messages, so one "edge" for the freshness rule */
const edge = 'edge';

/**
 * What the andon shows of each machine, kept from the edge broker's messages: latest state, pod status,
 * job (quantity, good, scrap), active alarms, with the same freshness verdict and the same coalesced
 * updates as the cloud's hub.
 */
export class AndonBoard {
  private readonly machines = new Map<string, MachineBoard>();
  private readonly coalescer = new LiveCoalescer();
  readonly freshness: FreshnessTracker;

  constructor(machineIds: readonly string[], quietMachines: ReadonlySet<string>, staleAfterMs: number) {
    this.freshness = new FreshnessTracker(staleAfterMs, quietMachines);
    for (const machineId of machineIds) {
      this.machines.set(machineId, { machineId, quality: null, since: null, pod: null, state: null, partNumber: null, jobId: null, lastSeen: null, job: null, alarms: new Map() });
    }
  }

  has(machineId: string): boolean {
    return this.machines.has(machineId);
  }

  /** Takes one message from the broker (its machine known: see has). */
  apply(m: MachineMessage, now = Date.now()): void {
    const b = this.machines.get(m.machineId)!;
    this.freshness.arrived(edge, [m.machineId], now);
    b.lastSeen = Math.max(b.lastSeen ?? 0, m.ts);
    switch (m.kind) {
      case 'state':
        if (b.since === null || b.since <= m.ts) Object.assign(b, { state: m.state, partNumber: m.partNumber ?? null, jobId: m.jobId ?? null });
        break;
      case 'alarm':
        if (!m.active) b.alarms.delete(m.code);
        else if (b.alarms.has(m.code) || b.alarms.size < maxActiveAlarms) {
          b.alarms.set(m.code, { code: m.code, text: m.text, severity: m.severity, raisedAt: b.alarms.get(m.code)?.raisedAt ?? m.ts, ack: null });
        }
        break;
      case 'job':
        b.job = newerJob(b.job, m);
        break;
      default:
        break;
    }
    // the state's quality and time, and the pod status (after the state's own check above)
    noteFreshness(b, m);
    this.coalescer.add(m);
  }

  /** Every machine's picture now: the socket's snapshot (the same shape as the cloud's GET /machines). */
  snapshot(now = Date.now()): MachineSnapshot[] {
    return [...this.machines.values()].map((b) => ({
      machineId: b.machineId,
      status: { machineId: b.machineId, state: b.state, quality: (b.quality as MachineStatus['quality']) ?? null, since: b.since, partNumber: b.partNumber, jobId: b.jobId, pod: b.pod as MachineStatus['pod'], lastSeen: b.lastSeen, ...this.freshness.judge(b, now) },
      job: b.job,
      activeAlarms: [...b.alarms.values()].sort((x, y) => y.raisedAt - x.raisedAt),
    }));
  }

  /** Judges every machine's freshness on this clock; a changed verdict joins the next update. */
  judge(now = Date.now()): void {
    for (const b of this.machines.values()) {
      const verdict = this.freshness.change(b, now);
      if (verdict) this.coalescer.freshness(b.machineId, verdict);
    }
  }

  /** The coalesced updates since the last call. */
  take(): LiveMachineEvent[] {
    return this.coalescer.take();
  }
}
