import { join } from 'node:path';
import { contractVersion, lastWillSeq, machineTopic, maxMessageBytes, messageId, type MachineMessage, type MessageKind, type PodMessage } from '@plant-twin/contracts';
import { QosPublisher } from '@plant-twin/mqtt-link';
import type { Logger } from '@plant-twin/runtime';
import { Outbox, type OutboxEntry } from './outbox.js';
import { SourceClock } from './source-clock.js';
import type { PodMetrics } from './metrics.js';

/** outbox bound, characters of queued message text (memory is about twice that): keeps a pod inside its 96 Mi limit */
export const defaultQueueBytes = 16_000_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message as the normaliser builds it; the publisher adds the envelope (v, id, machineId, seq). */
export type MessageBody = DistributiveOmit<MachineMessage, 'v' | 'id' | 'machineId' | 'seq'>;

export interface PublisherOptions {
  url: string;
  /** the broker's credentials of this pod; its client id is then the user name (the edge brokers insist) */
  username?: string;
  password?: string;
  machineId: string;
  areaId: string;
  plantId: string;
  bootId: string;
  stateDir: string;
  log: Logger;
  metrics: PodMetrics;
  /** queue bound in characters of message text: beyond it new samples are dropped (counted); events are always accepted */
  maxQueueBytes?: number;
  /** messages handed to the MQTT client at once (the rest wait in the outbox) */
  window?: number;
  machineConnected: () => boolean;
}

/**
 * Publishes the pod's messages with QoS 1, in order, through an outbox that keeps every accepted
 * message until the broker acknowledges it (see Outbox). The retained `pod` topic says online on
 * every connect; the broker publishes the retained last will (offline) if the pod vanishes.
 */
export class Publisher {
  private client: QosPublisher | undefined;
  private readonly outbox: Outbox;
  private seq = 0;
  private inflight = 0;
  private stopped = false;
  private readonly maxQueueBytes: number;
  private readonly window: number;
  /** the pod's one view of the machine's time: for what the pod itself says (status, job events, a lost link) */
  private readonly clock = new SourceClock();

  constructor(private readonly o: PublisherOptions) {
    this.outbox = new Outbox(join(o.stateDir, 'outbox.jsonl'));
    this.maxQueueBytes = o.maxQueueBytes ?? defaultQueueBytes;
    this.window = o.window ?? 100;
    // live messages start after the last will's seq
    this.seq = lastWillSeq + 1;
    if (this.outbox.restoredCount) o.log.info({ messages: this.outbox.restoredCount }, 'restored unacknowledged messages from the outbox');
    this.updateDepth();
  }

  topic(kind: MessageKind): string {
    return machineTopic({ plantId: this.o.plantId, areaId: this.o.areaId, machineId: this.o.machineId, kind });
  }

  /** the machine's time as this pod knows it (see SourceClock): for messages the pod makes up */
  machineNow(): number {
    return this.clock.now();
  }

  start(): void {
    const will: PodMessage = { ...this.envelope(lastWillSeq), kind: 'pod', ts: Date.now(), status: 'offline', machineConnected: false };
    const client = new QosPublisher({
      url: this.o.url,
      clientId: this.o.username ?? `pod-${this.o.machineId}-${this.o.bootId}`,
      ...(this.o.username !== undefined ? { username: this.o.username, password: this.o.password } : {}),
      will: { topic: this.topic('pod'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
      log: this.o.log,
      onConnect: () => {
        this.o.metrics.reconnects.inc({ ...this.o.metrics.labels, target: 'broker' });
        this.o.metrics.connected.set({ ...this.o.metrics.labels, target: 'broker' }, 1);
        this.o.log.info({ url: this.o.url }, 'connected to the broker');
        void this.publishPodStatus().catch(() => undefined);
        this.pump();
      },
      onDisconnect: () => {
        this.o.log.warn('broker connection lost; queueing');
        this.o.metrics.connected.set({ ...this.o.metrics.labels, target: 'broker' }, 0);
      },
    });
    this.client = client;
    client.start();
  }

  connected(): boolean {
    return this.client?.connected ?? false;
  }

  queueDepth(): number {
    return this.outbox.entries.length;
  }

  /** Retained pod status; sent on every (re)connect and when the machine link changes. */
  publishPodStatus(): Promise<void> {
    return this.publish({ kind: 'pod', ts: this.clock.now(), status: 'online', machineConnected: this.o.machineConnected() }, { durable: false, retain: true });
  }

  /**
   * Accepts a message: resolves when the broker has acknowledged it. `durable` journals it on disk
   * first (for sources that cannot be read again); non-durable messages come from sources the
   * driver re-reads after a restart (SQL rows, files) and so need no second copy.
   */
  publish(body: MessageBody, opts: { durable: boolean; retain?: boolean }): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('publisher stopped'));
    // what the machine said tells its time even when the sample itself is dropped
    if (body.kind !== 'pod' && body.kind !== 'job') this.clock.saw(body.ts);
    if (body.kind === 'sample' && this.outbox.bytes >= this.maxQueueBytes) {
      this.o.metrics.dropped.inc(this.o.metrics.labels);
      return Promise.resolve();
    }
    const payload = JSON.stringify({ ...this.envelope(this.seq), ...body } as MachineMessage);
    if (Buffer.byteLength(payload) > maxMessageBytes) return this.publishTooLarge(body, opts);
    this.seq++;
    return new Promise<void>((resolve, reject) => {
      const entry: OutboxEntry = { topic: this.topic(body.kind), retain: opts.retain ?? false, kind: body.kind, payload, durable: opts.durable, waiters: [{ resolve, reject }], inflight: false };
      this.outbox.push(entry);
      this.updateDepth();
      this.pump();
    });
  }

  /**
   * A message above the contract's bound, which the brokers would refuse (and refuse again after
   * every reconnect): a sample goes out as several, anything else (the contract bounds every other
   * kind far below it) is dropped and counted.
   */
  private publishTooLarge(body: MessageBody, opts: { durable: boolean; retain?: boolean }): Promise<void> {
    if (body.kind === 'sample' && body.values.length > 1) {
      const half = Math.ceil(body.values.length / 2);
      return Promise.all([this.publish({ ...body, values: body.values.slice(0, half) }, opts), this.publish({ ...body, values: body.values.slice(half) }, opts)]).then(() => undefined);
    }
    this.o.metrics.dropped.inc(this.o.metrics.labels);
    this.o.log.error({ kind: body.kind, maxMessageBytes }, 'message larger than the contract allows: dropped');
    return Promise.resolve();
  }

  private envelope(seq: number) {
    return { v: contractVersion, id: messageId(this.o.machineId, this.o.bootId, seq), machineId: this.o.machineId, seq };
  }

  private pump(): void {
    const client = this.client;
    if (!client?.connected) return;
    for (const entry of this.outbox.entries) {
      if (this.inflight >= this.window) break;
      if (entry.inflight) continue;
      entry.inflight = true;
      this.inflight++;
      client.publish(entry.topic, entry.payload, { retain: entry.retain }).then(
        () => {
          this.inflight--;
          entry.inflight = false;
          this.outbox.ack(entry);
          this.o.metrics.published.inc({ ...this.o.metrics.labels, kind: entry.kind });
          this.updateDepth();
          for (const w of entry.waiters) w.resolve();
          this.pump();
        },
        () => {
          // not acknowledged (the connection went): it stays in the outbox, sent again on the next connection
          this.inflight--;
          entry.inflight = false;
        },
      );
    }
  }

  private updateDepth(): void {
    this.o.metrics.queueDepth.set(this.o.metrics.labels, this.outbox.entries.length);
  }

  /**
   * Stops waiting for acknowledgements (the pod is stopping): drivers blocked on a broker that is
   * away get an error and can stop; durable messages stay in the journal, the rest is re-read.
   */
  release(): void {
    for (const e of this.outbox.entries) {
      for (const w of e.waiters) w.reject(new Error('the pod is stopping'));
      e.waiters = [];
    }
  }

  /** Publishes the retained offline status (when connected), then disconnects; the outbox stays on disk. */
  async stop(): Promise<void> {
    const client = this.client;
    if (client?.connected) {
      const offline: PodMessage = { ...this.envelope(this.seq++), kind: 'pod', ts: this.clock.now(), status: 'offline', machineConnected: false };
      await Promise.race([client.publish(this.topic('pod'), JSON.stringify(offline), { retain: true }).catch(() => undefined), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    }
    this.stopped = true;
    await client?.end();
    this.outbox.close();
  }
}
