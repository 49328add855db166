import type { Server as SocketServer, Socket } from 'socket.io';
import type { MachineMessage, TagValue } from '@plant-twin/contracts';

export interface MachineLive {
  machineId: string;
  state?: { state: string; quality: string; ts: number; partNumber?: string | undefined; jobId?: string | undefined };
  values: Record<string, TagValue>;
  counts?: { good: number; scrap: number; ts: number };
  alarms: { code: number; text: string; severity: string; active: boolean; ts: number }[];
  pod?: { status: string; machineConnected: boolean; ts: number };
}

/**
 * Live push: messages are coalesced per machine and sent once per interval (latest value per tag,
 * latest state, summed counts); a browser that cannot keep up misses
 * intermediate updates instead of growing a buffer in the server (its engine.io write buffer is
 * checked before each send). Rooms: `plant` (state, counts,
 * pod and alarms of every machine) and `machine:<id>` (everything of one machine, with values).
 */
export class LiveHub {
  private pending = new Map<string, MachineLive>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly io: SocketServer,
    intervalMs: number,
    private readonly maxQueued = 16,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  publish(messages: readonly MachineMessage[]): void {
    for (const m of messages) {
      let p = this.pending.get(m.machineId);
      if (!p) this.pending.set(m.machineId, (p = { machineId: m.machineId, values: {}, alarms: [] }));
      switch (m.kind) {
        case 'sample':
          for (const v of m.values) if (!p.values[v.name] || p.values[v.name]!.ts <= v.ts) p.values[v.name] = v;
          break;
        case 'state':
          if (!p.state || p.state.ts <= m.ts) p.state = { state: m.state, quality: m.quality, ts: m.ts, partNumber: m.partNumber, jobId: m.jobId };
          break;
        case 'counter':
          p.counts = { good: (p.counts?.good ?? 0) + m.goodDelta, scrap: (p.counts?.scrap ?? 0) + m.scrapDelta, ts: Math.max(p.counts?.ts ?? 0, m.ts) };
          break;
        case 'alarm':
          // alarm edges are few and each matters: keep them all (bounded)
          if (p.alarms.length < 100) p.alarms.push({ code: m.code, text: m.text, severity: m.severity, active: m.active, ts: m.ts });
          break;
        case 'pod':
          p.pod = { status: m.status, machineConnected: m.machineConnected, ts: m.ts };
          break;
        case 'job':
          break;
      }
    }
  }

  flush(): void {
    if (!this.pending.size) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    for (const p of batch) {
      this.send(`machine:${p.machineId}`, 'machine', p);
      const { values: _values, ...summary } = p;
      if (summary.state || summary.counts || summary.alarms.length || summary.pod) this.send('plant', 'plant', summary);
    }
  }

  /** Updates dropped for clients that had not taken the previous ones yet. */
  dropped = 0;

  // per client: a browser with packets still queued skips this update and gets the next, newer one
  private send(room: string, event: string, payload: unknown): void {
    const ids = this.io.sockets.adapter.rooms.get(room);
    if (!ids) return;
    for (const id of ids) {
      const socket = this.io.sockets.sockets.get(id);
      if (!socket) continue;
      if (queued(socket) > this.maxQueued) this.dropped++;
      else socket.emit(event, payload);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}



/** Packets engine.io holds for this client that the transport has not written yet (not in its public types). */
const queued = (socket: Socket) => (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
