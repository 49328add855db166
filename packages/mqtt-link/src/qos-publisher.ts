import { MqttConnection, type MqttEndpoint, type MqttWill } from './connection.js';

export interface QosPublisherOptions extends MqttEndpoint {
  will?: MqttWill;
  onConnect?(): void;
  onDisconnect?(): void;
}

/** The connection went away before the broker acknowledged the message: send it again. */
export class NotAcknowledged extends Error {
  constructor(why: string) {
    super(`not acknowledged by the broker: ${why}`);
    this.name = 'NotAcknowledged';
  }
}

/**
 * Publishes with QoS 1 on a clean session: each `publish` resolves on the broker's PUBACK and
 * rejects with NotAcknowledged when the connection is not up or goes down first; what to send again,
 * and in which order, is the caller's (the pod's outbox). All a machine pod needs of MQTT, in a
 * fraction of a general client's memory (README, pod memory).
 */
export class QosPublisher {
  private readonly conn: MqttConnection;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private lastId = 0;

  constructor(private readonly o: QosPublisherOptions) {
    this.conn = new MqttConnection({
      ...o,
      clean: true,
      onUp: () => o.onConnect?.(),
      onPacket: (p) => {
        if (p.cmd !== 'puback' || p.messageId === undefined) return;
        const w = this.waiting.get(p.messageId);
        this.waiting.delete(p.messageId);
        w?.resolve();
      },
      onDown: (wasUp) => {
        this.failWaiting('connection lost');
        if (wasUp) o.onDisconnect?.();
      },
    });
  }

  get connected(): boolean {
    return this.conn.up;
  }

  start(): void {
    this.conn.start();
  }

  publish(topic: string, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    if (!this.conn.up) return Promise.reject(new NotAcknowledged('not connected'));
    const messageId = this.nextId();
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(messageId, { resolve, reject });
      this.conn.send({ cmd: 'publish', topic, payload, qos: 1, retain: opts.retain ?? false, dup: false, messageId });
    });
  }

  /** Disconnects cleanly (no will); messages still waiting for a PUBACK are rejected. */
  async end(): Promise<void> {
    await this.conn.close();
    this.failWaiting('publisher closed');
  }

  private nextId(): number {
    // ids 1..65535, skipping those still waiting for their PUBACK
    do this.lastId = (this.lastId % 65_535) + 1;
    while (this.waiting.has(this.lastId));
    return this.lastId;
  }

  private failWaiting(why: string): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(new NotAcknowledged(why));
  }
}
