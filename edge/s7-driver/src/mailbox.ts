import {
  MailboxCommand,
  MailboxJobState,
  MailboxResult,
  mailboxLayout,
  mailboxSize,
  type MailboxCommandName,
  type MailboxField,
  type MailboxJobStateName,
  type MailboxResultName,
  type S7Address,
} from '@plant-twin/plant-model';
import { decodeValue, encodeWrite } from './codec.js';
import type { S7Connection } from './connection.js';
import { S7Error } from './errors.js';

/**
 * The job mailbox handshake of @plant-twin/plant-model's s7-mailbox.ts as a class, on the machine's
 * one S7 connection (shared with the poller): the pod's job agent calls command() and status().
 * Commands are serialised: the handshake allows one command at a time.
 */
export interface MailboxStatus {
  jobState: MailboxJobStateName;
  /** the mailbox's LOAD arguments as last written (a refused LOAD overwrites them too); the running job's id is the machine's job_id tag */
  jobId: string;
  partNumber: string;
  quantity: number;
  good: number;
  scrap: number;
  busy: boolean;
  done: boolean;
  fault: boolean;
  req: boolean;
  ack: boolean;
  seq: number;
  ackSeq: number;
  result: number;
}

export interface MailboxArgs {
  jobId?: string;
  partNumber?: string;
  quantity?: number;
}

export class MailboxTimeoutError extends S7Error {
  constructor(message: string) {
    super(message, 'mailbox-timeout');
  }
}

const addr = (db: number, field: MailboxField): S7Address => {
  const f = mailboxLayout[field] as { type: S7Address['type']; offset: number; bit?: number; length?: number };
  const length = f.length ?? 0;
  const size = f.type === 'string' ? length + 2 : f.type === 'dint' ? 4 : f.type === 'int' ? 2 : 1;
  return { db, type: f.type, offset: f.offset, bit: f.bit ?? 0, length, size };
};

const names = <T extends Record<string, number>>(o: T) => new Map(Object.entries(o).map(([k, v]) => [v, k as keyof T & string]));
const jobStateNames = names(MailboxJobState);
const resultNames = names(MailboxResult);

export class S7JobMailbox {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly label: string;
  readonly ackTimeoutMs: number;
  readonly pollMs: number;

  constructor(
    private readonly connection: S7Connection,
    readonly db: number,
    options: { ackTimeoutMs?: number; pollMs?: number; label?: string } = {},
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.pollMs = options.pollMs ?? 50;
    this.label = `${options.label ?? connection.options.label} mailbox DB${db}`;
  }

  /** The whole mailbox in one read. */
  async status(): Promise<MailboxStatus> {
    const [buf] = await this.connection.read([{ db: this.db, start: 0, length: mailboxSize }]);
    const v = (f: MailboxField) => decodeValue(addr(this.db, f), buf!, mailboxLayout[f].offset);
    const state = v('jobState') as number;
    return {
      jobState: jobStateNames.get(state) ?? (() => { throw new S7Error(`${this.label}: unknown job state ${state} in the mailbox`, 'mailbox-state'); })(),
      jobId: v('jobId') as string,
      partNumber: v('partNumber') as string,
      quantity: v('quantity') as number,
      good: v('good') as number,
      scrap: v('scrap') as number,
      busy: v('busy') as boolean,
      done: v('done') as boolean,
      fault: v('fault') as boolean,
      req: v('req') as boolean,
      ack: v('ack') as boolean,
      seq: v('seq') as number,
      ackSeq: v('ackSeq') as number,
      result: v('result') as number,
    };
  }

  /** Runs one command through the handshake and returns the PLC's result name ('ok', 'busy', ...). */
  command(cmd: MailboxCommandName, args: MailboxArgs = {}): Promise<MailboxResultName> {
    const run = this.chain.then(() => this.handshake(cmd, args));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async handshake(cmd: MailboxCommandName, args: MailboxArgs): Promise<MailboxResultName> {
    if (!(cmd in MailboxCommand) || cmd === 'none') throw new Error(`unknown mailbox command "${cmd}" (one of ${Object.keys(MailboxCommand).filter((c) => c !== 'none').join(', ')})`);
    const writes = [];
    if (cmd === 'load') {
      const { jobId, partNumber, quantity } = args;
      if (!jobId || jobId.length > 32) throw new Error('load needs jobId (1-32 characters)');
      if (!partNumber || partNumber.length > 24) throw new Error('load needs partNumber (1-24 characters)');
      if (!Number.isInteger(quantity) || quantity! < 1) throw new Error('load needs quantity, an integer >= 1');
      writes.push(encodeWrite(addr(this.db, 'jobId'), jobId), encodeWrite(addr(this.db, 'partNumber'), partNumber), encodeWrite(addr(this.db, 'quantity'), quantity));
    }
    // 1. req and ack both false; a req left set (pod restarted mid-handshake) is withdrawn first
    let box = await this.status();
    if (box.req) await this.setReq(false);
    box = await this.waitFor((s) => !s.req && !s.ack, `clear ack before ${cmd.toUpperCase()}`);
    // 2. command and arguments, the next sequence number, then req in a separate write so it comes last
    const seq = box.seq >= 32767 ? 1 : box.seq + 1;
    writes.push(encodeWrite(addr(this.db, 'command'), MailboxCommand[cmd]), encodeWrite(addr(this.db, 'seq'), seq));
    await this.connection.write(writes);
    await this.setReq(true);
    // 3. ack with our sequence number
    let acked: MailboxStatus;
    try {
      acked = await this.waitFor((s) => s.ack && s.ackSeq === seq, `acknowledge ${cmd.toUpperCase()} (seq ${seq}); the command may or may not have run. Is the PLC program's mailbox handler running?`);
    } catch (e) {
      await this.setReq(false).catch(() => undefined);
      throw e;
    }
    // 4. take the result, clear req, and see the PLC clear ack
    await this.setReq(false);
    await this.waitFor((s) => !s.ack, `clear ack after ${cmd.toUpperCase()}`);
    const name = resultNames.get(acked.result);
    if (!name) throw new S7Error(`${this.label}: unknown result code ${acked.result} for ${cmd.toUpperCase()}`, 'mailbox-result');
    return name;
  }

  private setReq(on: boolean): Promise<void> {
    return this.connection.write([encodeWrite(addr(this.db, 'req'), on)]);
  }

  private async waitFor(cond: (s: MailboxStatus) => boolean, what: string): Promise<MailboxStatus> {
    const end = Date.now() + this.ackTimeoutMs;
    for (;;) {
      const s = await this.status();
      if (cond(s)) return s;
      if (Date.now() >= end) throw new MailboxTimeoutError(`${this.label}: the PLC did not ${what} within ${this.ackTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }
}
