import { createHash } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { machineTopic, messageId, type MachineMessage } from '@plant-twin/contracts';

/**
 * A stand-in for the machine pods: publishes contract messages (mostly samples, some counters and
 * states) for each machine on its unified-namespace topic with QoS 1 and keeps its own record of what
 * it produced, to check what reaches the cloud side against.
 */
export interface ProducerMachine {
  id: string;
  area: string;
}

export interface Producer {
  readonly produced: MachineMessage[];
  /** publishes `perMachine` messages for every machine, as fast as the broker takes them, source timestamps stepMs apart */
  burst(perMachine: number, startTs?: number, stepMs?: number): Promise<void>;
  /** publishes one message per machine every tickMs until pause()/stop() */
  run(tickMs: number): void;
  pause(): void;
  /** resolves when every message published so far is acknowledged by the broker */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startProducer(opts: { url: string; plantId: string; machines: ProducerMachine[]; clientId: string; bootId?: string }): Promise<Producer> {
  const client: MqttClient = await mqtt.connectAsync(opts.url, { protocolVersion: 4, clientId: opts.clientId, clean: false, reconnectPeriod: 200, connectTimeout: 5_000 });
  client.on('error', () => undefined);
  const produced: MachineMessage[] = [];
  const inflight = new Set<Promise<unknown>>();
  const seqs = new Map(opts.machines.map((m) => [m.id, 0]));
  const bootId = opts.bootId ?? Math.random().toString(36).slice(2, 8);
  let timer: NodeJS.Timeout | null = null;

  const make = (machineId: string, ts: number): MachineMessage => {
    const seq = seqs.get(machineId)!;
    seqs.set(machineId, seq + 1);
    const base = { v: 1 as const, id: messageId(machineId, bootId, seq), machineId, ts, seq };
    if (seq % 20 === 19) return { ...base, kind: 'counter', goodDelta: 1, scrapDelta: seq % 3 === 0 ? 1 : 0, goodTotal: seq, scrapTotal: Math.floor(seq / 3) };
    if (seq % 50 === 7) return { ...base, kind: 'state', state: seq % 100 === 7 ? 'running' : 'idle', previous: 'setup', quality: 'good' };
    return {
      ...base,
      kind: 'sample',
      values: [
        { name: 'temperature', value: Math.round(200 + 20 * Math.sin(seq / 10)) / 10, quality: 'good', ts },
        { name: 'pressure', value: Math.round(1000 * Math.random()) / 10, quality: seq % 97 === 0 ? 'stale' : 'good', ts },
        { name: 'cycle_time', value: 12.5, quality: 'good', ts },
        { name: 'program', value: 'P-100', quality: 'good', ts },
      ],
    };
  };

  const publish = (m: { id: string; area: string }, ts: number) => {
    const msg = make(m.id, ts);
    produced.push(msg);
    const p = client.publishAsync(machineTopic({ plantId: opts.plantId, areaId: m.area, machineId: m.id, kind: msg.kind }), JSON.stringify(msg), { qos: 1 });
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };

  const producer: Producer = {
    produced,
    async burst(perMachine, startTs = Date.now(), stepMs = 1000) {
      const window: Promise<unknown>[] = [];
      for (let i = 0; i < perMachine; i++) {
        for (const m of opts.machines) window.push(publish(m, Math.round(startTs + i * stepMs)));
        // keep a bounded number in flight, as a pod's outbox would (the broker acknowledges in order)
        while (window.length > 1_000) await window.shift()!.catch(() => undefined);
      }
      await producer.flush();
    },
    run(tickMs) {
      timer ??= setInterval(() => {
        for (const m of opts.machines) publish(m, Date.now());
      }, tickMs);
    },
    pause() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    async flush() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
    async close() {
      producer.pause();
      await producer.flush();
      await client.endAsync();
    },
  };
  return producer;
}

/** Key order independent JSON, so a message re-serialised on the way compares equal. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface DeliveryCheck {
  produced: number;
  arrived: number;
  lost: number;
  duplicated: number;
  /** messages whose content differs from what was produced */
  altered: number;
  /** machines whose messages arrived out of their produced order */
  outOfOrder: string[];
  producedChecksum: string;
  arrivedChecksum: string;
}

/** Compares what arrived at the ingestion side with the producers' own record. */
export function checkDelivery(produced: readonly MachineMessage[], arrived: readonly MachineMessage[]): DeliveryCheck {
  const byId = new Map(produced.map((m) => [m.id, canonicalJson(m)]));
  const seen = new Map<string, number>();
  let altered = 0;
  const lastSeq = new Map<string, number>();
  const outOfOrder = new Set<string>();
  for (const m of arrived) {
    seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
    const want = byId.get(m.id);
    if (want !== undefined && want !== canonicalJson(m)) altered++;
    const key = m.id.slice(0, m.id.lastIndexOf('/'));
    if ((lastSeq.get(key) ?? -1) >= m.seq) outOfOrder.add(m.machineId);
    lastSeq.set(key, m.seq);
  }
  const checksum = (ms: readonly MachineMessage[]) => {
    const h = createHash('sha256');
    for (const line of ms.map(canonicalJson).sort()) h.update(line).update('\n');
    return h.digest('hex');
  };
  return {
    produced: produced.length,
    arrived: arrived.length,
    lost: [...byId.keys()].filter((id) => !seen.has(id)).length,
    duplicated: [...seen.values()].reduce((s, n) => s + n - 1, 0),
    altered,
    outOfOrder: [...outOfOrder],
    producedChecksum: checksum(produced),
    arrivedChecksum: checksum(arrived),
  };
}
