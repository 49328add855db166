import { EventEmitter } from 'node:events';
import net from 'node:net';
import { backoffDelay } from '@plant-twin/runtime';
import { S7ConnectionError, S7Error, S7ItemError, S7PlcError, S7ProtocolError, describeError } from './errors.js';
import { MAX_ITEMS_PER_REQUEST, requestSize, responseSize } from './planner.js';
import {
  ROSCTR_ACK_DATA,
  ROSCTR_USERDATA,
  TpktFramer,
  connectRequest,
  dataFrame,
  parseCotp,
  parseReadReply,
  parseS7,
  parseSetup,
  parseSzlReply,
  parseWriteReply,
  readVar,
  remoteTsapFor,
  setupCommunication,
  szlRequest,
  writeRequestSize,
  writeVar,
  type AreaItem,
  type ItemResult,
  type S7Message,
  type SzlList,
  type WriteItem,
} from './protocol.js';

/**
 * One S7 connection per PLC, owned and reused: connects, negotiates the PDU, and reconnects with
 * exponential backoff and jitter for as long as it is started. Its own small S7comm client instead
 * of nodes7 0.3.18 because nodes7 (measured, see DESIGN.md) has no TPKT reassembly (cannot even
 * connect when segments are split), does not cap items per request, and throws a RangeError inside
 * its socket handler on some replies, which kills the process. Here every byte from the socket goes
 * through TpktFramer and strict decoders inside try/catch: a bad reply drops the connection with an
 * S7ProtocolError and the reconnect loop takes over; nothing a PLC sends can throw out of a handler.
 *
 * Events (never 'error', so no listener is required and nothing is thrown at the emitter):
 *  - 'up'   ({ pduSize, parallel })  connected and negotiated
 *  - 'down' (error: S7Error)         connection lost or a connect attempt failed
 */
export interface S7ConnectionOptions {
  host: string;
  port?: number;
  rack?: number;
  slot?: number;
  /** remote TSAP; default PG connection to rack/slot (0x0100 | rack << 5 | slot) */
  remoteTsap?: number;
  localTsap?: number;
  /** PDU size to ask for; the PLC may grant less (S7-1200: 240, S7-1500: 480-960) */
  pduSize?: number;
  /** requests in flight at once, if the PLC grants that many */
  parallel?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** for messages: the machine id or name of this PLC */
  label?: string;
}

interface Pending {
  frame: Buffer;
  /** the reply's ROSCTR: ack-data for read/write, userdata for SZL reads */
  rosctr: number;
  resolve: (m: S7Message) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  ref: number;
}

export type ConnectionState = 'stopped' | 'connecting' | 'up' | 'waiting';

export interface ConnectionStats {
  connects: number;
  failedConnects: number;
  reconnects: number;
  requests: number;
  failures: number;
}

export class S7Connection extends EventEmitter {
  readonly options: Required<Omit<S7ConnectionOptions, 'remoteTsap'>> & { remoteTsap: number };
  state: ConnectionState = 'stopped';
  /** negotiated PDU size (0 until connected) */
  pduSize = 0;
  parallel = 1;
  lastError: S7Error | undefined;
  readonly stats: ConnectionStats = { connects: 0, failedConnects: 0, reconnects: 0, requests: 0, failures: 0 };

  private socket: net.Socket | undefined;
  private framer: TpktFramer | undefined;
  private fragments: Buffer[] = [];
  private nextRef = 1;
  private inflight = new Map<number, Pending>();
  private queue: Pending[] = [];
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private handshake: ((m: S7Message | 'CC') => void) | undefined;
  private handshakeStage = 'TCP';

  constructor(options: S7ConnectionOptions) {
    super();
    const rack = options.rack ?? 0;
    const slot = options.slot ?? 1;
    this.options = {
      host: options.host,
      port: options.port ?? 102,
      rack,
      slot,
      remoteTsap: options.remoteTsap ?? remoteTsapFor(rack, slot),
      localTsap: options.localTsap ?? 0x0100,
      pduSize: options.pduSize ?? 960,
      parallel: options.parallel ?? 3,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 3000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      label: options.label ?? `${options.host}:${options.port ?? 102}`,
    };
  }

  get connected(): boolean {
    return this.state === 'up';
  }

  /** Starts connecting and keeps the connection up (reconnecting with backoff) until close(). */
  start(): this {
    if (this.state === 'stopped') this.connect();
    return this;
  }

  /** Resolves when connected; rejects after timeoutMs with the last connect error. */
  waitUp(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('up', onUp);
        reject(this.lastError ?? new S7ConnectionError(`${this.options.label}: not connected after ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      const onUp = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('up', onUp);
    });
  }

  async close(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.retryTimer);
    this.fail(new S7ConnectionError(`${this.options.label}: connection closed`, 'closed'), false);
  }

  /** One read-var request. Items must fit one PDU (use planReads); each item resolves to data or an error. */
  async readItems(items: readonly AreaItem[]): Promise<(Buffer | S7ItemError)[]> {
    if (items.length === 0) return [];
    this.checkFits(items.length, requestSize(items.length), responseSize(items.map((i) => i.length)));
    const reply = await this.request(readVar(0, items));
    const results: ItemResult[] = parseReadReply(reply, items);
    return results.map((r, i) => (r.ok ? r.data : new S7ItemError(items[i]!, r.code)));
  }

  /** Reads items and throws the first item error (for callers that need all or nothing). */
  async read(items: readonly AreaItem[]): Promise<Buffer[]> {
    const out = await this.readItems(items);
    for (const r of out) if (r instanceof S7ItemError) throw r;
    return out as Buffer[];
  }

  /** One write-var request; throws the first item the PLC refused. */
  async write(items: readonly WriteItem[]): Promise<void> {
    if (items.length === 0) return;
    this.checkFits(items.length, writeRequestSize(items), 14 + items.length);
    const reply = await this.request(writeVar(0, items));
    const codes = parseWriteReply(reply, items.length);
    for (const [i, rc] of codes.entries()) {
      if (rc === 0xff) continue;
      const it = items[i]!;
      throw new S7ItemError({ db: it.db, start: it.start, length: it.bit !== undefined ? 1 : it.data.length }, rc);
    }
  }

  /**
   * Reads one system status list (SZL) partial list, e.g. 0x0011 module identification or 0x001C
   * component identification: what the CPU says it is. A CPU may refuse SZL reads (S7-1200/1500
   * with limited access): the error says so and nothing else is affected.
   */
  async readSzl(id: number, index = 0): Promise<SzlList> {
    if (this.state !== 'up') throw this.notConnected();
    const reply = await this.request(szlRequest(0, id, index), ROSCTR_USERDATA);
    return parseSzlReply(reply, id);
  }

  private checkFits(count: number, req: number, res: number): void {
    if (this.state !== 'up') throw this.notConnected();
    // refused here, never sent: snap7 truncates to 20 items and nodes7 died on the reply to 25
    if (count > MAX_ITEMS_PER_REQUEST) throw new S7Error(`${count} items in one request; the S7 limit is ${MAX_ITEMS_PER_REQUEST} (plan reads with planReads)`, 'too-many-items');
    if (req > this.pduSize || res > this.pduSize) throw new S7Error(`request (${req} bytes) or reply (${res} bytes) exceeds the negotiated PDU size ${this.pduSize}`, 'pdu-size');
  }

  private notConnected(): S7ConnectionError {
    return new S7ConnectionError(`${this.options.label}: not connected${this.lastError ? ` (${this.lastError.message})` : ''}`, 'not-connected');
  }

  private request(s7: Buffer, rosctr = ROSCTR_ACK_DATA): Promise<S7Message> {
    if (this.state !== 'up') return Promise.reject(this.notConnected());
    return new Promise((resolve, reject) => {
      const ref = this.nextRef;
      this.nextRef = this.nextRef >= 0xfffe ? 1 : this.nextRef + 1;
      s7.writeUInt16BE(ref, 4);
      this.queue.push({ frame: dataFrame(s7), rosctr, resolve, reject, ref });
      this.pump();
    });
  }

  private pump(): void {
    while (this.state === 'up' && this.queue.length && this.inflight.size < this.parallel) {
      const p = this.queue.shift()!;
      p.timer = setTimeout(() => this.drop(new S7ConnectionError(`${this.options.label}: no reply within ${this.options.requestTimeoutMs} ms`, 'request-timeout')), this.options.requestTimeoutMs);
      this.inflight.set(p.ref, p);
      this.stats.requests++;
      this.socket!.write(p.frame);
    }
  }

  private connect(): void {
    this.state = 'connecting';
    this.fragments = [];
    this.framer = new TpktFramer(Math.max(this.options.pduSize, 960) + 64);
    const { host, port, connectTimeoutMs, label } = this.options;
    const socket = net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const timer = setTimeout(() => this.drop(new S7ConnectionError(`${label}: connect timed out after ${connectTimeoutMs} ms (${this.handshakeStage})`, 'connect-timeout')), connectTimeoutMs);
    this.handshakeStage = 'TCP';
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (socket !== this.socket) return;
      const hint = e.code === 'ECONNREFUSED' ? ': nothing listens there (PLC off, wrong address, or port 102 blocked)' : '';
      this.drop(new S7ConnectionError(`${label}: ${e.code ?? 'socket error'} ${e.message}${hint}`, e.code ?? 'socket'));
    });
    socket.on('close', () => {
      // the handshake stage names where a connect attempt failed; a link that was up just closed
      const during = this.state === 'up' ? '' : ` (${this.handshakeStage})`;
      if (socket === this.socket) this.drop(new S7ConnectionError(`${label}: connection closed by the PLC${during}`, 'closed-by-peer'));
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      try {
        this.onData(chunk);
      } catch (e) {
        if (e instanceof S7ProtocolError) this.drop(new S7ProtocolError(`${label}: ${e.message}`));
        else this.drop(e instanceof S7Error ? e : new S7ProtocolError(`${label}: ${describeError(e)}`));
      }
    });
    socket.on('connect', () => {
      this.handshakeStage = 'ISO (COTP) connect';
      socket.write(connectRequest(this.options.localTsap, this.options.remoteTsap));
    });
    this.handshake = (m) => {
      if (m === 'CC') {
        this.handshakeStage = 'S7 setup communication';
        socket.write(dataFrame(setupCommunication(0, this.options.pduSize, this.options.parallel)));
        return;
      }
      if (m.errorClass || m.errorCode) throw new S7PlcError(m.errorClass, m.errorCode);
      const setup = parseSetup(m);
      clearTimeout(timer);
      this.handshake = undefined;
      this.handshakeStage = 'connected';
      this.pduSize = Math.min(setup.pduSize, this.options.pduSize);
      this.parallel = Math.max(1, Math.min(setup.parallel, this.options.parallel));
      this.state = 'up';
      this.stats.connects++;
      if (this.stats.connects > 1) this.stats.reconnects++;
      this.lastError = undefined;
      this.safeEmit('up', { pduSize: this.pduSize, parallel: this.parallel });
      this.pump();
    };
    socket.once('close', () => clearTimeout(timer));
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.framer!.push(chunk)) {
      const cotp = parseCotp(frame);
      if (cotp.kind === 'CC') {
        if (!this.handshake || this.handshakeStage !== 'ISO (COTP) connect') throw new S7ProtocolError('unexpected COTP connect confirm');
        this.handshake('CC');
        continue;
      }
      if (cotp.kind === 'DR')
        throw new S7ConnectionError(
          `${this.options.label}: the PLC refused the ISO connection (COTP disconnect, reason ${cotp.reason}): check rack ${this.options.rack} / slot ${this.options.slot} (S7-1200/1500: rack 0, slot 1) and that the CPU has a free connection`,
          'iso-refused',
        );
      if (cotp.kind !== 'DT') throw new S7ProtocolError(`unexpected COTP frame type 0x${cotp.code.toString(16)}`);
      this.fragments.push(cotp.payload);
      if (this.fragments.reduce((s, f) => s + f.length, 0) > Math.max(this.options.pduSize, 960) + 64) throw new S7ProtocolError('COTP fragments exceed the PDU size');
      if (!cotp.eot) continue;
      const pdu = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
      this.fragments = [];
      const m = parseS7(pdu);
      if (this.handshake) {
        if (this.handshakeStage !== 'S7 setup communication') throw new S7ProtocolError('S7 data before the ISO connection was confirmed');
        this.handshake(m);
        continue;
      }
      const p = this.inflight.get(m.ref);
      if (!p) continue; // a late reply to a request that already failed: nothing waits for it
      this.inflight.delete(m.ref);
      clearTimeout(p.timer);
      if (m.rosctr !== p.rosctr && !(m.errorClass || m.errorCode)) p.reject(new S7ProtocolError(`reply of type ${m.rosctr} where type ${p.rosctr} was expected`));
      else if (m.errorClass || m.errorCode) {
        this.stats.failures++;
        p.reject(new S7PlcError(m.errorClass, m.errorCode));
      } else {
        this.attempt = 0;
        p.resolve(m);
      }
      this.pump();
    }
  }

  /**
   * Emits from inside socket handlers: a throwing listener must neither kill the process (uncaught
   * in a socket callback) nor be taken for a protocol error, so it becomes a process warning.
   */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (e) {
      process.emitWarning(`S7Connection ${this.options.label}: a '${event}' listener threw: ${describeError(e)}`);
    }
  }

  /** Drops the socket, fails everything waiting, and schedules the next attempt. */
  private drop(error: S7Error): void {
    if (this.state === 'stopped') return;
    const wasUp = this.state === 'up';
    if (!wasUp) this.stats.failedConnects++;
    this.lastError = error;
    this.fail(error, true);
    this.safeEmit('down', error, wasUp);
    this.attempt++;
    this.state = 'waiting';
    const delay = backoffDelay(this.attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
    this.retryTimer = setTimeout(() => {
      if (this.state === 'waiting') this.connect();
    }, delay);
  }

  private fail(error: Error, countFailure: boolean): void {
    const s = this.socket;
    this.socket = undefined;
    this.handshake = undefined;
    if (s) {
      s.removeAllListeners('data');
      s.on('error', () => {}); // a late error on a socket we dropped must not become uncaught
      s.destroy();
    }
    const waiting = [...this.inflight.values(), ...this.queue];
    this.inflight.clear();
    this.queue = [];
    for (const p of waiting) {
      clearTimeout(p.timer);
      if (countFailure) this.stats.failures++;
      p.reject(error);
    }
  }
}
