import type { Packet } from 'mqtt-packet';
import { MqttConnection, type MqttEndpoint } from '@plant-twin/mqtt-link';

/**
 * A minimal MQTT 3.1.1 subscriber with a persistent session (clean=false, fixed client id) whose
 * PUBACKs the caller releases. mqtt.js handles incoming packets strictly one after another and
 * sends a message's PUBACK before it reads the next one, so "PUBACK only after fsync" there means one
 * fsync per message; here PUBACKs are released per commit group while reading goes on, and reading
 * pauses (TCP back-pressure, the broker keeps the messages) while the buffer is full.
 */

export interface SubscriberOptions extends MqttEndpoint {
  filter: string;
  /**
   * Called for every PUBLISH in arrival order. `release()` sends the PUBACK (QoS 1); call it only once
   * the message is durable. It does nothing if the connection that delivered the message is gone
   * (the broker redelivers it on the next connection).
   */
  onMessage(topic: string, payload: Buffer, release: () => void): void;
}

export class BrokerSubscriber {
  private readonly conn: MqttConnection;
  private subscribed = false;
  private paused = false;
  /** PUBLISHes parsed from the last TCP chunk after pause(): taken in order on resume() */
  private held: { gen: number; topic: string; payload: Buffer; release: () => void }[] = [];

  constructor(private readonly opts: SubscriberOptions) {
    this.conn = new MqttConnection({
      ...opts,
      clean: false,
      onUp: (sessionPresent) => {
        opts.log.info({ sessionPresent }, 'connected to mqtt broker');
        if (sessionPresent) this.subscribed = true;
        else this.conn.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: opts.filter, qos: 1 }] });
      },
      onPacket: (p, gen) => this.onPacket(p, gen),
      onDown: (wasUp) => {
        const wasSubscribed = this.subscribed;
        this.subscribed = false;
        this.held = [];
        if (wasUp && wasSubscribed) opts.log.warn('disconnected from mqtt broker');
      },
    });
  }

  /** connected and subscribed (or resuming a session that holds the subscription) */
  get ready(): boolean {
    return this.subscribed;
  }

  start(): void {
    this.conn.start();
  }

  private onPacket(p: Packet, gen: number): void {
    switch (p.cmd) {
      case 'suback':
        if ((p.granted as number[]).some((g) => g === 0x80)) {
          this.opts.log.error({ filter: this.opts.filter }, 'mqtt broker refused the subscription');
          this.conn.drop();
          return;
        }
        this.subscribed = true;
        return;
      case 'publish': {
        const { messageId, qos } = p;
        const release = qos > 0 && messageId !== undefined ? () => void this.conn.send({ cmd: 'puback', messageId }, gen) : () => undefined;
        const payload = Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload);
        // one TCP chunk holds many PUBLISHes: those after a pause() wait, so the buffer bound holds
        if (this.paused) this.held.push({ gen, topic: p.topic, payload, release });
        else this.opts.onMessage(p.topic, payload, release);
        return;
      }
      default:
        return;
    }
  }

  /** Stops reading from the broker (buffer full): unread messages stay with the broker. */
  pause(): void {
    this.paused = true;
    this.conn.pause();
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length) {
      const m = this.held.shift()!;
      // a message of a closed connection comes again on the new one
      if (m.gen === this.conn.generation) this.opts.onMessage(m.topic, m.payload, m.release);
    }
    if (!this.paused) this.conn.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
