import type { Server as SocketServer, Socket } from 'socket.io';
import type { LiveClientToServer, LiveFreshness, LiveMachineEvent, LiveServerToClient, MachineMessage } from '@plant-twin/contracts';
import type { FreshnessInput, FreshnessTracker } from '../plant-api/freshness.js';

export type LiveServer = SocketServer<LiveClientToServer, LiveServerToClient>;
type Pending = LiveMachineEvent;

/**
 * Live push: messages are coalesced per machine and sent once per interval (latest value per tag,
 * latest state, job and pod status, summed counts, every alarm edge); a browser that cannot keep up
 * misses intermediate updates instead of growing a buffer in the server (its engine.io write buffer
 * is checked before each send). Rooms: `plant` (state, counts, pod, job, alarms and freshness of
 * every machine) and `machine:<id>` (everything of one machine, with values). Once a second the
 * cloud judges every machine's freshness on its own clock and sends the changes (a machine that
 * went quiet turns stale without any message arriving). Alarm acknowledgements, job mirror and
 * command changes go to the plant room at once.
 */
export class LiveHub {
  private pending = new Map<string, Pending>();
  private readonly inputs = new Map<string, FreshnessInput>();
  private readonly judged = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[];

  /** Updates dropped for clients that had not taken the previous ones yet. */
  dropped = 0;

  constructor(
    private readonly io: LiveServer,
    intervalMs: number,
    private readonly freshness: FreshnessTracker,
    private readonly maxQueued = 16,
    freshnessCheckMs = 1000,
  ) {
    this.timers = [setInterval(() => this.flush(), intervalMs), setInterval(() => this.judgeFreshness(), freshnessCheckMs)];
    for (const t of this.timers) t.unref();
  }

  /** What the freshness verdict starts from (the stored statuses at start). */
  seed(inputs: Iterable<FreshnessInput>): void {
    for (const i of inputs) this.inputs.set(i.machineId, i);
    for (const i of this.inputs.values()) this.judged.set(i.machineId, key(this.freshness.judge(i)));
  }

  publish(messages: readonly MachineMessage[], edgeId: string): void {
    this.freshness.arrived(edgeId, new Set(messages.map((m) => m.machineId)));
    for (const m of messages) {
      const p = this.pendingOf(m.machineId);
      const input = this.inputs.get(m.machineId) ?? { machineId: m.machineId, quality: null, since: null, pod: null };
      this.inputs.set(m.machineId, input);
      switch (m.kind) {
        case 'sample':
          for (const v of m.values) if (!p.values[v.name] || p.values[v.name]!.ts <= v.ts) p.values[v.name] = v;
          break;
        case 'state':
          if (!p.state || p.state.ts <= m.ts) {
            p.state = { state: m.state, quality: m.quality, ts: m.ts, ...(m.partNumber ? { partNumber: m.partNumber } : {}), ...(m.jobId ? { jobId: m.jobId } : {}) };
            input.quality = m.quality;
            input.since = m.ts;
          }
          break;
        case 'counter':
          p.counts = { good: (p.counts?.good ?? 0) + m.goodDelta, scrap: (p.counts?.scrap ?? 0) + m.scrapDelta, ts: Math.max(p.counts?.ts ?? 0, m.ts) };
          break;
        case 'alarm':
          // alarm edges are few and each matters: keep them all (bounded)
          if (p.alarms.length < 100) p.alarms.push({ code: m.code, text: m.text, severity: m.severity, active: m.active, ts: m.ts });
          break;
        case 'pod':
          // the latest to arrive is the truth (a last will arrives after the pod's last messages)
          p.pod = { status: m.status, machineConnected: m.machineConnected, ts: m.ts };
          input.pod = p.pod;
          break;
        case 'job':
          if (!p.job || p.job.ts <= m.ts) p.job = { jobId: m.jobId, partNumber: m.partNumber, quantity: m.quantity, good: m.good, scrap: m.scrap, event: m.event, ts: m.ts };
          break;
      }
    }
  }

  /** Sends an event to every socket of the plant room now (not coalesced: each matters). */
  broadcast<E extends 'alarmAck' | 'job' | 'command'>(event: E, payload: Parameters<LiveServerToClient[E]>[0]): void {
    (this.io.to('plant').emit as (e: string, p: unknown) => boolean)(event, payload);
  }

  flush(): void {
    if (!this.pending.size) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    for (const p of batch) {
      this.send(`machine:${p.machineId}`, 'machine', p);
      const { values: _values, ...summary } = p;
      if (summary.state || summary.counts || summary.alarms.length || summary.pod || summary.job || summary.freshness) this.send('plant', 'plant', summary);
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private pendingOf(machineId: string): Pending {
    let p = this.pending.get(machineId);
    if (!p) this.pending.set(machineId, (p = { machineId, values: {}, alarms: [] }));
    return p;
  }

  private judgeFreshness(now = Date.now()): void {
    for (const input of this.inputs.values()) {
      const verdict = this.freshness.judge(input, now);
      const k = key(verdict);
      if (this.judged.get(input.machineId) === k) continue;
      this.judged.set(input.machineId, k);
      this.pendingOf(input.machineId).freshness = verdict;
    }
  }

  // per client: a browser with packets still queued skips this update and gets the next, newer one
  private send(room: string, event: 'plant' | 'machine', payload: unknown): void {
    const ids = this.io.sockets.adapter.rooms.get(room);
    if (!ids) return;
    for (const id of ids) {
      const socket = this.io.sockets.sockets.get(id);
      if (!socket) continue;
      if (queued(socket) > this.maxQueued) this.dropped++;
      else (socket.emit as (e: string, p: unknown) => boolean)(event, payload);
    }
  }
}

const key = (f: LiveFreshness) => `${f.freshness}|${f.staleSince ?? ''}`;

/** Packets engine.io holds for this client that the transport has not written yet (not in its public types). */
const queued = (socket: Socket) => (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
