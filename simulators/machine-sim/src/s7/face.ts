import {
  MailboxCommand,
  MailboxJobState,
  MailboxResult,
  mailboxLayout,
  mailboxSize,
  parseS7Address,
  type MailboxField,
  type MailboxResultName,
  type S7Address,
  type S7Interface,
  type Tag,
} from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import snap7, { type S7Client, type S7Item, type S7Server } from 'node-snap7';
import type { MachineSim } from '../machine.js';
import { blankDb, decodeS7, encodeS7, type S7Value } from './codec.js';

interface TagSlot {
  tag: Tag;
  a: S7Address;
}

const commandNames = Object.fromEntries(Object.entries(MailboxCommand).map(([k, v]) => [v, k])) as Record<number, keyof typeof MailboxCommand>;
const mbAddr = (field: MailboxField, db: number): S7Address => {
  const f = mailboxLayout[field] as { type: S7Address['type']; offset: number; bit?: number; length?: number };
  const size = f.type === 'bool' ? 1 : f.type === 'int' ? 2 : f.type === 'dint' ? 4 : (f.length ?? 0) + 2;
  return { db, type: f.type, offset: f.offset, bit: f.bit ?? 0, length: f.length ?? 0, size };
};
/** Mailbox fields the PLC owns; it writes nothing else, so the edge's writes are never overwritten. */
const plcFields = ['result', 'ackSeq', 'jobState', 'good', 'scrap', 'busy', 'done', 'fault'] as const;

export interface S7FaceOptions {
  /** IPv4 address to bind (0.0.0.0 in a pod) */
  bindHost: string;
  port: number;
  log: Logger;
}

/**
 * The machine as an S7 PLC: a node-snap7 S7Server with the plant model's data blocks.
 *
 * - DBs that only the PLC writes are rebuilt from the model and copied in whole with SetArea each
 *   tick (SetArea holds snap7's area lock, so a client never reads a half-updated DB).
 * - DBs a client writes (setpoints, the job mailbox) are read with GetArea each tick; the PLC's own
 *   fields in them are written item by item through a loopback S7Client, exactly as a PLC program
 *   writes single variables, so a client's write between our read and our write can never be lost
 *   (a whole-buffer SetArea would undo it).
 * - The mailbox handshake is the one documented in plant-model s7-mailbox.ts; `result`/`ackSeq` are
 *   written before `ack`, so an edge that sees `ack` reads the matching result.
 * - DBs not in the model are not registered: snap7 refuses reads of them as a PLC does.
 */
export class S7Face {
  private server: S7Server | undefined;
  private loop: S7Client | undefined;
  private readonly plcOnly = new Map<number, { size: number; slots: TagSlot[] }>();
  private readonly clientDbs = new Map<number, { size: number; slots: TagSlot[]; image: Buffer }>();
  private readonly written = new Map<string, string>();
  private readonly mbDb: number;
  private mbImage: Buffer;
  private ack = false;
  private handled = 0;

  constructor(
    readonly machine: MachineSim,
    readonly itf: S7Interface,
    private readonly opts: S7FaceOptions,
  ) {
    this.mbDb = itf.mailboxDb;
    const byDb = new Map<number, TagSlot[]>();
    for (const tag of machine.model.tags) {
      const a = parseS7Address(tag.address);
      if (typeof a === 'string') throw new Error(`${machine.id}: ${a}`);
      byDb.set(a.db, [...(byDb.get(a.db) ?? []), { tag, a }]);
    }
    for (const [db, slots] of byDb) {
      const size = itf.dbSizes[String(db)] ?? Math.max(...slots.map((s) => s.a.offset + s.a.size));
      if (slots.some((s) => s.tag.writable)) {
        const image = blankDb(size, slots.map((s) => s.a));
        for (const s of slots) encodeS7(image, s.a, machine.tagValue(s.tag));
        this.clientDbs.set(db, { size, slots, image });
      } else {
        this.plcOnly.set(db, { size, slots });
      }
    }
    this.mbImage = blankDb(itf.dbSizes[String(this.mbDb)] ?? mailboxSize, [mbAddr('jobId', this.mbDb), mbAddr('partNumber', this.mbDb)]);
  }

  get port(): number {
    return this.opts.port;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Number of S7 connections, the simulator's own loopback connection not counted. */
  clients(): number {
    return this.server ? Math.max(0, this.server.ClientsCount() - (this.loop ? 1 : 0)) : 0;
  }

  start(): void {
    if (this.server) return;
    const server = new snap7.S7Server();
    const DB = server.srvAreaDB;
    for (const [db, d] of this.plcOnly) server.RegisterArea(DB, db, this.imageOf(d.size, d.slots));
    for (const [db, d] of this.clientDbs) server.RegisterArea(DB, db, d.image);
    server.RegisterArea(DB, this.mbDb, this.mbImage);
    server.SetParam(server.LocalPort, this.opts.port);
    if (server.StartTo(this.opts.bindHost) === false) {
      const err = server.ErrorText(server.LastError());
      throw new Error(`${this.machine.id}: S7 server cannot listen on ${this.opts.bindHost}:${this.opts.port}: ${err}`);
    }
    this.server = server;
    this.connectLoop();
    this.opts.log.info({ machine: this.machine.id, port: this.opts.port }, 'S7 face listening');
  }

  /** Stops listening and drops every connection; DB contents survive for the next start (a network outage, not a PLC restart). */
  stop(): void {
    const server = this.server;
    if (!server) return;
    const DB = server.srvAreaDB;
    for (const [db, d] of this.clientDbs) d.image = server.GetArea(DB, db);
    this.mbImage = server.GetArea(DB, this.mbDb);
    this.loop?.Disconnect();
    this.loop = undefined;
    server.Stop();
    this.server = undefined;
    this.opts.log.info({ machine: this.machine.id }, 'S7 face stopped');
  }

  private connectLoop(): void {
    const c = new snap7.S7Client();
    c.SetParam(c.RemotePort, this.opts.port);
    const host = this.opts.bindHost === '0.0.0.0' ? '127.0.0.1' : this.opts.bindHost;
    if (!c.ConnectTo(host, this.itf.rack, this.itf.slot)) throw new Error(`${this.machine.id}: loopback S7 connection failed: ${c.ErrorText(c.LastError())}`);
    this.loop = c;
  }

  private imageOf(size: number, slots: TagSlot[]): Buffer {
    const buf = blankDb(size, slots.map((s) => s.a));
    for (const s of slots) encodeS7(buf, s.a, this.machine.tagValue(s.tag));
    return buf;
  }

  /** One PLC scan: take in what clients wrote, run the mailbox handshake, publish the model's values. */
  sync(): void {
    const server = this.server;
    if (!server) return;
    const DB = server.srvAreaDB;
    const items: S7Item[] = [];
    for (const [db, d] of this.clientDbs) {
      const image = server.GetArea(DB, db);
      for (const s of d.slots) {
        if (s.tag.writable) {
          const v = decodeS7(image, s.a);
          if (v !== this.machine.tagValue(s.tag)) this.machine.setSetpoint(s.tag.name, v);
        } else {
          this.queueWrite(items, s.a, this.machine.tagValue(s.tag));
        }
      }
    }
    this.mailbox(server.GetArea(DB, this.mbDb), items);
    for (const [db, d] of this.plcOnly) server.SetArea(DB, db, this.imageOf(d.size, d.slots));
  }

  private mailbox(mb: Buffer, items: S7Item[]): void {
    const f = (field: MailboxField) => decodeS7(mb, mbAddr(field, this.mbDb));
    const req = f('req') as boolean;
    let ackNext = this.ack;
    if (req && !this.ack) {
      const seq = f('seq') as number;
      const result = this.execute(f('command') as number, f('jobId') as string, f('partNumber') as string, f('quantity') as number);
      this.handled++;
      this.opts.log.debug({ machine: this.machine.id, seq, command: commandNames[f('command') as number], result }, 'mailbox command');
      this.queueWrite(items, mbAddr('result', this.mbDb), MailboxResult[result]);
      this.queueWrite(items, mbAddr('ackSeq', this.mbDb), seq);
      ackNext = true;
    } else if (!req && this.ack) {
      ackNext = false;
    }
    const job = this.machine.jobView();
    const status: Record<(typeof plcFields)[number], S7Value> = {
      result: f('result'),
      ackSeq: f('ackSeq'),
      jobState: job ? MailboxJobState[job.state] : MailboxJobState.empty,
      good: job?.good ?? 0,
      scrap: job?.scrap ?? 0,
      busy: job !== null && job.state !== 'completed' && job.state !== 'cancelled',
      done: job?.state === 'completed',
      fault: this.machine.currentState === 'fault',
    };
    for (const k of plcFields) if (k !== 'result' && k !== 'ackSeq') this.queueWrite(items, mbAddr(k, this.mbDb), status[k]);
    this.flush(items);
    if (ackNext !== this.ack) {
      const ackItems: S7Item[] = [];
      this.queueWrite(ackItems, mbAddr('ack', this.mbDb), ackNext, true);
      this.flush(ackItems);
      this.ack = ackNext;
    }
  }

  private execute(command: number, jobId: string, partNumber: string, quantity: number): MailboxResultName {
    const m = this.machine;
    switch (commandNames[command]) {
      case 'load': return m.load(jobId.trim(), partNumber.trim(), quantity);
      case 'start': return m.start();
      case 'hold': return m.hold();
      case 'resume': return m.resume();
      case 'cancel': return m.cancel();
      case 'clear': return m.clear();
      default: return 'unknownCommand';
    }
  }

  /** Queues a PLC-owned item for writing when its encoded value differs from what was last written. */
  private queueWrite(items: S7Item[], a: S7Address, v: S7Value, force = false): void {
    const c = this.loop!;
    const key = `${a.db}.${a.offset}.${a.bit}`;
    const data = Buffer.alloc(a.type === 'bool' ? 1 : a.size);
    if (a.type === 'bool') data[0] = v ? 1 : 0;
    else encodeS7(data, { ...a, offset: 0 }, v);
    const hex = data.toString('hex');
    if (!force && this.written.get(key) === hex) return;
    this.written.set(key, hex);
    if (a.type === 'bool') items.push({ Area: c.S7AreaDB, WordLen: c.S7WLBit, DBNumber: a.db, Start: a.offset * 8 + a.bit, Amount: 1, Data: data });
    else items.push({ Area: c.S7AreaDB, WordLen: c.S7WLByte, DBNumber: a.db, Start: a.offset, Amount: data.length, Data: data });
  }

  private flush(items: S7Item[]): void {
    // snap7 takes at most 20 items per request
    for (let i = 0; i < items.length; i += 20) {
      const chunk = items.slice(i, i + 20);
      let res = this.loop!.WriteMultiVars(chunk);
      if (res === false) {
        this.opts.log.warn({ machine: this.machine.id, error: this.loop!.ErrorText(this.loop!.LastError()) }, 'loopback write failed, reconnecting');
        this.loop!.Disconnect();
        this.connectLoop();
        res = this.loop!.WriteMultiVars(chunk);
        if (res === false) throw new Error(`${this.machine.id}: loopback write failed: ${this.loop!.ErrorText(this.loop!.LastError())}`);
      }
    }
    items.length = 0;
  }

  /** The current content of one of the PLC's DBs. */
  snapshot(db: number): Buffer {
    if (!this.server) throw new Error(`${this.machine.id}: S7 face is stopped`);
    return this.server.GetArea(this.server.srvAreaDB, db);
  }

  /** Mailbox commands handled since start (for metrics and tests). */
  get commandsHandled(): number {
    return this.handled;
  }
}
