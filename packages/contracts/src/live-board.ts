import type { LiveFreshness, LiveMachineEvent, LivePlantEvent } from './live.js';
import type { MachineMessage } from './messages.js';
import type { Freshness } from './twin-api.js';

/**
 * The server side of the live protocol that does not depend on where the messages come from (the
 * cloud's ingestion or the edge broker): the freshness verdict and the coalescing of updates.
 */

/**
 * Whether what a server shows of a machine is live, decided on the server's own clock from when its
 * messages arrived (message times are the machine's clock, and a simulated plant may run faster than
 * real time):
 * - offline: the pod is offline, the machine is not connected, or the latest state's quality is not good;
 * - stale: nothing received from the machine for longer than the staleness bound (120 s: twice the
 *   pods' 60 s full refresh, scaled by the simulation's speed). A file machine speaks only when it
 *   finishes a part, so for it the bound counts from the latest arrival from its edge while its pod
 *   says online and connected (its last will says otherwise when the pod dies);
 * - live otherwise.
 * Arrival times live in memory: after a restart every machine reads stale until its next message.
 */
export interface FreshnessInput {
  machineId: string;
  /** quality and source time of the latest state message (null: none yet) */
  quality: string | null;
  since: number | null;
  pod: { status: string; machineConnected: boolean; ts: number } | null;
}

export class FreshnessTracker {
  private readonly machineArrival = new Map<string, number>();
  private readonly edgeArrival = new Map<string, number>();
  private readonly edgeOf = new Map<string, string>();

  constructor(
    readonly staleAfterMs: number,
    /** machines that speak only on events (file interface) */
    private readonly quietMachines: ReadonlySet<string>,
  ) {}

  /** Messages of these machines, sent by this edge, arrived now (server time). */
  arrived(edgeId: string, machineIds: Iterable<string>, now = Date.now()): void {
    this.edgeArrival.set(edgeId, now);
    for (const id of machineIds) {
      this.machineArrival.set(id, now);
      this.edgeOf.set(id, edgeId);
    }
  }

  /** Server time the machine was last heard of (for a file machine with its pod up: its edge). */
  lastHeard(s: FreshnessInput): number | undefined {
    const own = this.machineArrival.get(s.machineId);
    const podUp = s.pod?.status === 'online' && s.pod.machineConnected;
    if (!this.quietMachines.has(s.machineId) || !podUp) return own;
    // its edge; before the machine's first message since the start: whichever edge spoke last
    const edge = this.edgeOf.get(s.machineId);
    const viaEdge = edge !== undefined ? this.edgeArrival.get(edge) : Math.max(...this.edgeArrival.values());
    const heard = Math.max(own ?? -Infinity, viaEdge ?? -Infinity);
    return Number.isFinite(heard) ? heard : undefined;
  }

  /** staleSince: offline since the pod or state said so; stale since the last message arrived */
  judge(s: FreshnessInput, now = Date.now()): { freshness: Freshness; staleSince?: number } {
    const heard = this.lastHeard(s);
    const podDown = s.pod !== null && (s.pod.status !== 'online' || !s.pod.machineConnected);
    if (podDown || (s.quality !== null && s.quality !== 'good')) {
      const since = podDown ? s.pod!.ts : (s.since ?? heard);
      return { freshness: 'offline', ...(since === undefined ? {} : { staleSince: since }) };
    }
    if (heard === undefined) return { freshness: 'stale' };
    if (now - heard > this.staleAfterMs) return { freshness: 'stale', staleSince: heard };
    return { freshness: 'live' };
  }
}

/** the most alarm edges one machine's coalesced update carries (each matters, but bounded) */
export const maxAlarmEdgesPerUpdate = 100;

/**
 * Updates coalesced per machine until the next send (every 500 ms): the latest value per tag, the
 * latest state, job and pod status, summed counts, every alarm edge, the latest freshness verdict.
 */
export class LiveCoalescer {
  private pending = new Map<string, LiveMachineEvent>();

  add(m: MachineMessage): void {
    const p = this.pendingOf(m.machineId);
    switch (m.kind) {
      case 'sample':
        for (const v of m.values) if (!p.values[v.name] || p.values[v.name]!.ts <= v.ts) p.values[v.name] = v;
        break;
      case 'state':
        if (!p.state || p.state.ts <= m.ts) p.state = { state: m.state, quality: m.quality, ts: m.ts, ...(m.partNumber ? { partNumber: m.partNumber } : {}), ...(m.jobId ? { jobId: m.jobId } : {}) };
        break;
      case 'counter':
        p.counts = { good: (p.counts?.good ?? 0) + m.goodDelta, scrap: (p.counts?.scrap ?? 0) + m.scrapDelta, ts: Math.max(p.counts?.ts ?? 0, m.ts) };
        break;
      case 'alarm':
        if (p.alarms.length < maxAlarmEdgesPerUpdate) p.alarms.push({ code: m.code, text: m.text, severity: m.severity, active: m.active, ts: m.ts });
        break;
      case 'pod':
        // the latest to arrive is the truth (a last will arrives after the pod's last messages)
        p.pod = { status: m.status, machineConnected: m.machineConnected, ts: m.ts };
        break;
      case 'job':
        if (!p.job || p.job.ts <= m.ts) p.job = { jobId: m.jobId, partNumber: m.partNumber, quantity: m.quantity, good: m.good, scrap: m.scrap, event: m.event, ts: m.ts };
        break;
    }
  }

  freshness(machineId: string, verdict: LiveFreshness): void {
    this.pendingOf(machineId).freshness = verdict;
  }

  /** everything pending, per machine; the next updates start afresh */
  take(): LiveMachineEvent[] {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    return batch;
  }

  private pendingOf(machineId: string): LiveMachineEvent {
    let p = this.pending.get(machineId);
    if (!p) this.pending.set(machineId, (p = { machineId, values: {}, alarms: [] }));
    return p;
  }
}

/** The plant room's part of a machine's update (no process values), or undefined when it says nothing new. */
export function plantEventOf(e: LiveMachineEvent): LivePlantEvent | undefined {
  const { values: _values, ...summary } = e;
  return summary.state || summary.counts || summary.alarms.length || summary.pod || summary.job || summary.freshness ? summary : undefined;
}
