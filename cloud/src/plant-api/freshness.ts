import type { Freshness } from '@plant-twin/contracts';

/**
 * Whether what the cloud shows of a machine is live, decided on the cloud's own clock from when its
 * messages arrived (message times are the machine's clock, and a simulated plant may run faster than
 * real time):
 * - offline: the pod is offline, the machine is not connected, or the latest state's quality is not good;
 * - stale: nothing received from the machine for longer than the staleness bound (default 120 s:
 *   twice the pods' 60 s full refresh; the deployment scales it by POD_TIME_SCALE). A file machine
 *   speaks only when it finishes a part, so for it the bound counts from the latest arrival from its
 *   edge while its pod says online and connected (its last will says otherwise when the pod dies);
 * - live otherwise.
 * Arrival times live in memory: after a restart of the cloud every machine reads stale until its
 * next message (never live on old data).
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
    // its edge; before the machine's first message since the cloud started: whichever edge spoke last
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
