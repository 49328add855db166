import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { backoffDelay, type Logger } from '@plant-twin/runtime';

/**
 * A minimal MQTT 3.1.1 subscriber with a persistent session (clean=false, fixed client id) whose
 * PUBACKs the caller releases. mqtt.js handles incoming packets strictly one after another and
 * sends a message's PUBACK before it reads the next one, so "PUBACK only after fsync" there means one
 * fsync per message; here PUBACKs are released per commit group while reading goes on, and reading
 * pauses (TCP back-pressure, the broker keeps the messages) while the buffer is full.
 */

export interface SubscriberOptions {
  url: string;
  clientId: string;
  filter: string;
  log: Logger;
  keepaliveS?: number;
  ca?: string | Buffer;
  /**
   * Called for every PUBLISH in arrival order. `release()` sends the PUBACK (QoS 1); call it only once
   * the message is durable. It does nothing if the connection that delivered the message is gone
   * (the broker redelivers it on the next connection).
   */
  onMessage(topic: string, payload: Buffer, release: () => void): void;
}

export class BrokerSubscriber {
  private socket: Socket | null = null;
  private generation = 0;
  private attempt = 0;
  private stopped = false;
  private paused = false;
  private subscribed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  /** PUBLISHes parsed from the last TCP chunk after pause(): taken in order on resume() */
  private held: { gen: number; topic: string; payload: Buffer; release: () => void }[] = [];
  private readonly url: URL;

  constructor(private readonly opts: SubscriberOptions) {
    this.url = new URL(opts.url);
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(this.url.protocol)) throw new Error(`MQTT_URL: unsupported scheme ${this.url.protocol} (mqtt: or mqtts:)`);
  }

  /** connected and subscribed (or resuming a session that holds the subscription) */
  get ready(): boolean {
    return this.subscribed;
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    const secure = this.url.protocol === 'mqtts:' || this.url.protocol === 'ssl:';
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port || (secure ? 8883 : 1883));
    const socket = secure ? tlsConnect({ host, port, ca: this.opts.ca, servername: host }) : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => this.onPacket(gen, p));
    parser.on('error', (err) => {
      this.opts.log.warn({ err: err.message }, 'mqtt protocol error');
      socket.destroy();
    });
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      const keepalive = this.opts.keepaliveS ?? 30;
      this.write(gen, {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: false,
        clientId: this.opts.clientId,
        keepalive,
        ...(this.url.username ? { username: decodeURIComponent(this.url.username), password: Buffer.from(decodeURIComponent(this.url.password)) } : {}),
      });
      this.pingTimer = setInterval(() => {
        // a paused socket does not read the PINGRESP: do not count it as a dead link
        if (this.awaitingPong && !this.paused) {
          this.opts.log.warn('mqtt keepalive timeout');
          socket.destroy();
          return;
        }
        this.awaitingPong = true;
        this.write(gen, { cmd: 'pingreq' });
      }, (keepalive * 1000) / 2);
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', (err) => this.opts.log.debug({ err: err.message }, 'mqtt socket error'));
    socket.on('close', () => this.onClose(gen));
    if (this.paused) socket.pause();
  }

  private write(gen: number, packet: Packet): void {
    if (gen !== this.generation || !this.socket || this.socket.destroyed) return;
    this.socket.write(mqttPacket.generate(packet));
  }

  private onPacket(gen: number, p: Packet): void {
    if (gen !== this.generation) return;
    switch (p.cmd) {
      case 'connack':
        if (p.returnCode !== 0) {
          this.opts.log.error({ returnCode: p.returnCode }, 'mqtt broker refused the connection');
          this.socket?.destroy();
          return;
        }
        this.attempt = 0;
        this.opts.log.info({ sessionPresent: p.sessionPresent }, 'connected to mqtt broker');
        if (p.sessionPresent) this.subscribed = true;
        else this.write(gen, { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: this.opts.filter, qos: 1 }] });
        return;
      case 'suback':
        if ((p.granted as number[]).some((g) => g === 0x80)) {
          this.opts.log.error({ filter: this.opts.filter }, 'mqtt broker refused the subscription');
          this.socket?.destroy();
          return;
        }
        this.subscribed = true;
        return;
      case 'publish': {
        const { messageId, qos } = p;
        const release = qos > 0 && messageId !== undefined ? () => this.write(gen, { cmd: 'puback', messageId }) : () => undefined;
        const payload = Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload);
        // one TCP chunk holds many PUBLISHes: those after a pause() wait, so the buffer bound holds
        if (this.paused) this.held.push({ gen, topic: p.topic, payload, release });
        else this.opts.onMessage(p.topic, payload, release);
        return;
      }
      case 'pingresp':
        this.awaitingPong = false;
        return;
      default:
        return;
    }
  }

  private onClose(gen: number): void {
    if (gen !== this.generation) return;
    const wasUp = this.subscribed;
    this.subscribed = false;
    this.awaitingPong = false;
    this.held = [];
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.socket = null;
    if (wasUp) this.opts.log.warn('disconnected from mqtt broker');
    if (this.stopped) return;
    const delay = backoffDelay(++this.attempt, 200, 5_000);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Stops reading from the broker (buffer full): unread messages stay with the broker. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length) {
      const m = this.held.shift()!;
      // a message of a closed connection comes again on the new one
      if (m.gen === this.generation) this.opts.onMessage(m.topic, m.payload, m.release);
    }
    if (!this.paused) this.socket?.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) return;
    this.write(this.generation, { cmd: 'disconnect' });
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }
}
