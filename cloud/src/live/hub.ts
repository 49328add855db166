import type { Server as SocketServer } from 'socket.io';
import {
  LiveCoalescer,
  noteFreshness,
  pushUpdates,
  type FreshnessInput,
  type FreshnessTracker,
  type LiveClientToServer,
  type LiveServerToClient,
  type MachineMessage,
} from '@plant-twin/contracts';

export type LiveServer = SocketServer<LiveClientToServer, LiveServerToClient>;

/**
 * Live push: messages are coalesced per machine and sent once per interval (contracts' LiveCoalescer,
 * as the edge andon server does); a browser that cannot keep up misses intermediate updates instead
 * of growing a buffer in the server (its engine.io write buffer is checked before each send). Rooms:
 * `plant` (state, counts, pod, job, alarms and freshness of every machine) and `machine:<id>`
 * (everything of one machine, with values). Once a second the cloud judges every machine's freshness
 * on its own clock and sends the changes (a machine that went quiet turns stale without any message
 * arriving). Alarm acknowledgements, job mirror and command changes go to the plant room at once.
 */
export class LiveHub {
  private readonly coalescer = new LiveCoalescer();
  private readonly inputs = new Map<string, FreshnessInput>();
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

  /** What the freshness verdict starts from (the stored statuses at start): their verdicts count as sent. */
  seed(inputs: Iterable<FreshnessInput>): void {
    for (const i of inputs) {
      this.inputs.set(i.machineId, { machineId: i.machineId, quality: i.quality, since: i.since, pod: i.pod });
      this.freshness.change(i);
    }
  }

  publish(messages: readonly MachineMessage[], edgeId: string): void {
    this.freshness.arrived(edgeId, new Set(messages.map((m) => m.machineId)));
    for (const m of messages) {
      this.coalescer.add(m);
      let input = this.inputs.get(m.machineId);
      if (!input) this.inputs.set(m.machineId, (input = { machineId: m.machineId, quality: null, since: null, pod: null }));
      noteFreshness(input, m);
    }
  }

  /** Sends an event to every socket of the plant room now (not coalesced: each matters). */
  broadcast<E extends 'alarmAck' | 'job' | 'command'>(event: E, payload: Parameters<LiveServerToClient[E]>[0]): void {
    (this.io.to('plant').emit as (e: string, p: unknown) => boolean)(event, payload);
  }

  flush(): void {
    this.dropped += pushUpdates(this.io, this.coalescer.take(), this.maxQueued);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private judgeFreshness(now = Date.now()): void {
    for (const input of this.inputs.values()) {
      const verdict = this.freshness.change(input, now);
      if (verdict) this.coalescer.freshness(input.machineId, verdict);
    }
  }
}
