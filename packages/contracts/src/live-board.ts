import type { LiveFreshness, LiveMachineEvent, LivePlantEvent } from './live.js';
import type { JobMessage, MachineMessage } from './messages.js';
import type { Freshness, MachineJob } from './twin-api.js';

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
 * Arrival times live in memory; a server that stores them (the cloud) hands them back with `restore`
 * after a restart, else every machine reads stale until its next message (never live on old data).
 */
export interface FreshnessInput {
  machineId: string;
  /** quality and source time of the latest state message (null: none yet) */
  quality: string | null;
  since: number | null;
  pod: { status: string; machineConnected: boolean; ts: number } | null;
}

/** When a machine's messages last arrived, and through which edge (what `restore` takes back). */
export interface Arrival {
  machineId: string;
  edgeId: string;
  at: number;
}

export class FreshnessTracker {
  private readonly machineArrival = new Map<string, number>();
  private readonly edgeArrival = new Map<string, number>();
  private readonly edgeOf = new Map<string, string>();
  /** the verdict last reported per machine (`change`) */
  private readonly reported = new Map<string, string>();

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

  /** Takes back arrivals a server stored before it restarted (newer ones already taken win). */
  restore(arrivals: Iterable<Arrival>): void {
    for (const a of arrivals) {
      if ((this.machineArrival.get(a.machineId) ?? -Infinity) >= a.at) continue;
      this.machineArrival.set(a.machineId, a.at);
      this.edgeOf.set(a.machineId, a.edgeId);
      this.edgeArrival.set(a.edgeId, Math.max(this.edgeArrival.get(a.edgeId) ?? -Infinity, a.at));
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

  /** The verdict when it differs from the one last reported for this machine, else undefined (then it counts as reported). */
  change(s: FreshnessInput, now = Date.now()): LiveFreshness | undefined {
    const verdict = this.judge(s, now);
    const key = `${verdict.freshness}|${verdict.staleSince ?? ''}`;
    if (this.reported.get(s.machineId) === key) return undefined;
    this.reported.set(s.machineId, key);
    return verdict;
  }
}

/** Takes what a message tells of a machine's freshness (latest state's quality and time, pod status) into its input. */
export function noteFreshness(input: FreshnessInput, m: MachineMessage): void {
  if (m.kind === 'state' && (input.since === null || input.since <= m.ts)) {
    input.quality = m.quality;
    input.since = m.ts;
  } else if (m.kind === 'pod') input.pod = { status: m.status, machineConnected: m.machineConnected, ts: m.ts };
}

/** A machine's job picture after a job message: the message's, unless the picture is newer. */
export function newerJob(job: MachineJob | null | undefined, m: JobMessage): MachineJob {
  if (job && job.ts > m.ts) return job;
  return { jobId: m.jobId, partNumber: m.partNumber, quantity: m.quantity, good: m.good, scrap: m.scrap, event: m.event, ts: m.ts };
}

/** the most alarm edges one machine's coalesced update carries (each matters, but bounded) */
export const maxAlarmEdgesPerUpdate = 100;

/**
 * How often the cloud and the edge andon send the coalesced updates (a browser's live views and the
 * andon screens): 100 ms keeps a PLC value on screen within 250 ms of its poll (bench:twin
 * plc_to_screen) at ten updates a second per connection at the most.
 */
export const liveIntervalMs = 100;

/**
 * Updates coalesced per machine until the next send (every liveIntervalMs): the latest value per tag, the
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
        p.job = newerJob(p.job, m);
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

/**
 * The part of a socket.io server the live push uses: rooms of socket ids, sockets by id (structural,
 * so the contracts do not depend on socket.io).
 */
export interface LiveRooms {
  sockets: { adapter: { rooms: ReadonlyMap<string, ReadonlySet<string>> }; sockets: ReadonlyMap<string, object> };
}

type PushSocket = { emit: (event: string, payload: unknown) => boolean; conn: { writeBuffer?: unknown[] } };

/**
 * Sends coalesced updates: each to its machine's room (`machine:<id>`, with values) and its summary to
 * the `plant` room. A client with more than `maxQueued` packets still in its engine.io write buffer
 * skips this update and gets the next, newer one, instead of growing a buffer in the server.
 * Returns the number of updates skipped that way.
 */
export function pushUpdates(io: LiveRooms, updates: readonly LiveMachineEvent[], maxQueued: number): number {
  let dropped = 0;
  const emit = (room: string, event: 'plant' | 'machine', payload: unknown) => {
    for (const id of io.sockets.adapter.rooms.get(room) ?? []) {
      // writeBuffer: the packets not written yet (not in engine.io's public types)
      const socket = io.sockets.sockets.get(id) as PushSocket | undefined;
      if (!socket) continue;
      if ((socket.conn.writeBuffer?.length ?? 0) > maxQueued) dropped++;
      else socket.emit(event, payload);
    }
  };
  for (const e of updates) {
    emit(`machine:${e.machineId}`, 'machine', e);
    const summary = plantEventOf(e);
    if (summary) emit('plant', 'plant', summary);
  }
  return dropped;
}

/** The plant room's part of a machine's update (no process values), or undefined when it says nothing new. */
export function plantEventOf(e: LiveMachineEvent): LivePlantEvent | undefined {
  const { values: _values, ...summary } = e;
  return summary.state || summary.counts || summary.alarms.length || summary.pod || summary.job || summary.freshness ? summary : undefined;
}
