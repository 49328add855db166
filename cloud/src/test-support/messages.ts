import { messageId, type IngestBatch, type MachineMessage } from '@plant-twin/contracts';

/** Builds contract messages with unique ids and per-machine sequence numbers, for tests and benchmarks. */
export class MessageFactory {
  private seq = new Map<string, number>();
  constructor(private readonly boot = 'b1') {}
  private env(machineId: string, ts: number) {
    const seq = (this.seq.get(machineId) ?? 0) + 1;
    this.seq.set(machineId, seq);
    return { v: 1 as const, id: messageId(machineId, this.boot, seq), machineId, ts, seq };
  }
  state(machineId: string, ts: number, state: string, opts: { part?: string; quality?: 'good' | 'stale' | 'bad' } = {}): MachineMessage {
    return { ...this.env(machineId, ts), kind: 'state', state, previous: null, quality: opts.quality ?? 'good', ...(opts.part ? { partNumber: opts.part } : {}) } as MachineMessage;
  }
  counter(machineId: string, ts: number, good: number, scrap: number, part?: string): MachineMessage {
    return { ...this.env(machineId, ts), kind: 'counter', goodDelta: good, scrapDelta: scrap, goodTotal: 0, scrapTotal: 0, ...(part ? { partNumber: part } : {}) };
  }
  pod(machineId: string, ts: number, online: boolean, machineConnected = online): MachineMessage {
    return { ...this.env(machineId, ts), kind: 'pod', status: online ? 'online' : 'offline', machineConnected };
  }
  sample(machineId: string, ts: number, values: Record<string, number | string | boolean | null>, quality: 'good' | 'stale' | 'bad' = 'good'): MachineMessage {
    return { ...this.env(machineId, ts), kind: 'sample', values: Object.entries(values).map(([name, value]) => ({ name, value, quality, ts })) };
  }
  alarm(machineId: string, ts: number, code: number, active: boolean, text = `alarm ${code}`): MachineMessage {
    return { ...this.env(machineId, ts), kind: 'alarm', code, text, severity: 'fault', active };
  }
}

export function batch(edgeId: string, seq: number, messages: MachineMessage[]): IngestBatch {
  return { v: 1, edgeId, seq, sentAt: Date.now(), messages };
}
