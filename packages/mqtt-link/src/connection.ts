import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { backoffDelay, type Logger } from '@plant-twin/runtime';

// mqtt-packet otherwise builds, on its first packet, a cache of all 65,536 two-byte packet ids: 6 MB
// of heap for a pod whose whole budget is 60 MB. Writing the two bytes per packet costs nothing.
mqttPacket.writeToStream.cacheNumbers = false;

export interface MqttWill {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
}

/** Where and as whom a client connects: what every user of a connection passes through. */
export interface MqttEndpoint {
  /** mqtt:// or mqtts:// */
  url: string;
  clientId: string;
  /** the broker's credentials for this client (MQTT 3.1.1 CONNECT user name and password) */
  username?: string;
  password?: string;
  keepaliveS?: number;
  /** CA to trust for mqtts (default: the system's) */
  ca?: string | Buffer;
  /** a CONNACK must come this soon after the socket opens */
  connectTimeoutMs?: number;
  log: Logger;
}

export interface MqttConnectionOptions extends MqttEndpoint {
  /** false: a persistent session the broker keeps while the client is away */
  clean: boolean;
  will?: MqttWill;
  reconnect?: { baseMs: number; maxMs: number };
  /** the broker accepted the connection */
  onUp(sessionPresent: boolean): void;
  /** every packet after the CONNACK but PINGRESP, in arrival order, with the connection it came on */
  onPacket(packet: Packet, generation: number): void;
  /** the connection is gone (`wasUp`: a CONNACK had accepted it); it reconnects unless closed */
  onDown(wasUp: boolean): void;
}

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3) */
const connackReasons: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorised',
};

/**
 * One MQTT 3.1.1 client connection that keeps itself up: CONNECT / CONNACK, keepalive pings, a connect
 * timeout, reconnection with backoff and jitter. Each connection has a generation, so an answer meant
 * for a connection that has since closed (a PUBACK, say) is never sent on its successor.
 */
export class MqttConnection {
  private socket: Socket | null = null;
  private gen = 0;
  private attempt = 0;
  private isUp = false;
  private stopped = false;
  private paused = false;
  private awaitingPong = false;
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly url: URL;

  constructor(private readonly o: MqttConnectionOptions) {
    this.url = new URL(o.url);
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(this.url.protocol)) throw new Error(`MQTT_URL: unsupported scheme ${this.url.protocol} (mqtt: or mqtts:)`);
    // a password in a URL ends up in logs and process listings: credentials are options of their own
    if (this.url.username || this.url.password) throw new Error('MQTT_URL: give the user name and password as options (MQTT_USERNAME, MQTT_PASSWORD), not in the URL');
  }

  get up(): boolean {
    return this.isUp;
  }

  get generation(): number {
    return this.gen;
  }

  start(): void {
    this.connect();
  }

  /** Writes a packet on connection `generation` (default: the current one); false if that one is gone. */
  send(packet: Packet, generation = this.gen): boolean {
    const socket = this.socket;
    if (generation !== this.gen || !socket || socket.destroyed) return false;
    socket.write(mqttPacket.generate(packet));
    return true;
  }

  /** Stops reading (the caller's buffer is full): the broker keeps what is not read. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Drops the current connection (e.g. a refused subscription); it reconnects as after any loss. */
  drop(): void {
    this.socket?.destroy();
  }

  /** Sends DISCONNECT (the broker then drops the will) and closes; no reconnection after this. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (!socket) return;
    this.send({ cmd: 'disconnect' });
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.gen;
    const secure = this.url.protocol === 'mqtts:' || this.url.protocol === 'ssl:';
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port || (secure ? 8883 : 1883));
    const socket = secure ? tlsConnect({ host, port, ca: this.o.ca, servername: host }) : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => this.onPacket(gen, p));
    parser.on('error', (err) => {
      this.o.log.warn({ err: err.message }, 'mqtt protocol error');
      socket.destroy();
    });
    this.timers.push(
      setTimeout(() => {
        if (gen === this.gen && !this.isUp) {
          this.o.log.warn({ url: this.o.url }, 'mqtt connect timeout');
          socket.destroy();
        }
      }, this.o.connectTimeoutMs ?? 5_000),
    );
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      const keepalive = this.o.keepaliveS ?? 30;
      const connect: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: this.o.clean, clientId: this.o.clientId, keepalive };
      if (this.o.username !== undefined) {
        connect.username = this.o.username;
        if (this.o.password !== undefined) connect.password = Buffer.from(this.o.password);
      }
      if (this.o.will) connect.will = this.o.will;
      this.send(connect, gen);
      this.timers.push(
        setInterval(() => {
          // a paused socket does not read the PINGRESP: do not count it as a dead link
          if (this.awaitingPong && !this.paused) {
            this.o.log.warn('mqtt keepalive timeout');
            socket.destroy();
            return;
          }
          this.awaitingPong = true;
          this.send({ cmd: 'pingreq' }, gen);
        }, (keepalive * 1000) / 2),
      );
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', (err) => this.o.log.debug({ err: err.message }, 'mqtt socket error'));
    socket.on('close', () => this.onClose(gen));
    if (this.paused) socket.pause();
  }

  private onPacket(gen: number, p: Packet): void {
    if (gen !== this.gen) return;
    if (p.cmd === 'connack') {
      if (p.returnCode !== 0) {
        this.o.log.error({ returnCode: p.returnCode, reason: connackReasons[p.returnCode ?? 0] ?? 'unknown', username: this.o.username }, 'mqtt broker refused the connection');
        this.socket?.destroy();
        return;
      }
      this.attempt = 0;
      this.isUp = true;
      this.o.onUp(p.sessionPresent);
      return;
    }
    if (p.cmd === 'pingresp') {
      this.awaitingPong = false;
      return;
    }
    this.o.onPacket(p, gen);
  }

  private onClose(gen: number): void {
    if (gen !== this.gen) return;
    const wasUp = this.isUp;
    this.isUp = false;
    this.awaitingPong = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.socket = null;
    this.o.onDown(wasUp);
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => this.connect(), backoffDelay(++this.attempt, this.o.reconnect?.baseMs ?? 200, this.o.reconnect?.maxMs ?? 5_000));
  }
}
