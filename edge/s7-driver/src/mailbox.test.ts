import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailboxCommand, MailboxJobState, MailboxResult, mailboxLayout, mailboxSize } from '@plant-twin/plant-model';
import { S7Connection } from './connection.js';
import { MailboxTimeoutError, S7JobMailbox } from './mailbox.js';
import { startS7Server, type RunningS7Server } from './testing/snap7-server.js';

/**
 * A tiny PLC program for the mailbox DB, scanning every few ms like an OB1 cycle: executes a
 * command when req rises, acks with the sequence number, clears ack when req falls.
 */
class TestPlc {
  private timer: NodeJS.Timeout | undefined;
  parts = ['P-100', 'P-200'];
  executed: number[] = [];
  constructor(private readonly server: RunningS7Server, private readonly db = 100) {}

  start(): this {
    this.timer = setInterval(() => this.scan(), 5);
    return this;
  }
  stop(): void {
    clearInterval(this.timer);
  }

  scan(): void {
    const b = Buffer.from(this.server.get(this.db));
    const flags = b.readUInt8(0);
    const req = (flags & 1) !== 0;
    const ack = (flags & 2) !== 0;
    let ackBit = ack;
    if (req && !ack) {
      const cmd = b.readInt16BE(mailboxLayout.command.offset);
      this.executed.push(cmd);
      const state = b.readInt16BE(mailboxLayout.jobState.offset);
      let result: number = MailboxResult.ok;
      let next = state;
      if (cmd === MailboxCommand.load) {
        const partLen = b.readUInt8(mailboxLayout.partNumber.offset + 1);
        const part = b.toString('latin1', mailboxLayout.partNumber.offset + 2, mailboxLayout.partNumber.offset + 2 + partLen);
        if (state !== MailboxJobState.empty) result = MailboxResult.busy;
        else if (!this.parts.includes(part)) result = MailboxResult.unknownPart;
        else next = MailboxJobState.loaded;
      } else if (cmd === MailboxCommand.start) {
        if (state === MailboxJobState.empty) result = MailboxResult.noJob;
        else if (state !== MailboxJobState.loaded) result = MailboxResult.badState;
        else next = MailboxJobState.running;
      } else if (cmd === MailboxCommand.cancel) {
        if (state === MailboxJobState.empty) result = MailboxResult.noJob;
        else next = MailboxJobState.cancelled;
      } else if (cmd === MailboxCommand.clear) {
        if (state === MailboxJobState.empty) result = MailboxResult.noJob;
        else next = MailboxJobState.empty;
      } else result = MailboxResult.unknownCommand;
      b.writeInt16BE(next, mailboxLayout.jobState.offset);
      b.writeInt16BE(result, mailboxLayout.result.offset);
      b.writeInt16BE(b.readInt16BE(mailboxLayout.seq.offset), mailboxLayout.ackSeq.offset);
      ackBit = true;
    } else if (!req && ack) ackBit = false;
    // a running job makes parts, counted while no handshake is under way: a write-back between the
    // client's write of ack-seen (req low) and the PLC's next read could otherwise undo it
    const counting = b.readInt16BE(mailboxLayout.jobState.offset) === MailboxJobState.running && !req && !ack;
    if (counting) b.writeInt32BE(b.readInt32BE(mailboxLayout.good.offset) + 1, mailboxLayout.good.offset);
    if (ackBit === ack && !counting) return;
    // write back only the PLC's own fields onto what the client may have written meanwhile (as a
    // PLC program writes its outputs): a whole-buffer write would undo a client's req change
    const out = Buffer.from(this.server.get(this.db));
    for (const f of [mailboxLayout.result, mailboxLayout.ackSeq, mailboxLayout.jobState]) b.copy(out, f.offset, f.offset, f.offset + 2);
    b.copy(out, mailboxLayout.good.offset, mailboxLayout.good.offset, mailboxLayout.good.offset + 4);
    out.writeUInt8(ackBit ? out.readUInt8(0) | 2 : out.readUInt8(0) & ~2, 0);
    this.server.set(this.db, out);
  }
}

let server: RunningS7Server;
let conn: S7Connection;
beforeAll(async () => {
  server = await startS7Server(new Map([[100, Buffer.alloc(mailboxSize)]]));
  conn = new S7Connection({ host: '127.0.0.1', port: server.port, label: 'PRS-01' }).start();
  await conn.waitUp();
});
afterAll(async () => {
  await conn.close();
  await server.stop();
});

describe('S7JobMailbox', () => {
  it('runs load, start, cancel and clear through the handshake and reads status', async () => {
    const plc = new TestPlc(server).start();
    const box = new S7JobMailbox(conn, 100, { ackTimeoutMs: 2000, pollMs: 5 });
    expect(await box.command('start')).toBe('noJob');
    expect(await box.command('load', { jobId: 'JOB-0001', partNumber: 'P-999', quantity: 10 })).toBe('unknownPart');
    expect(await box.command('load', { jobId: 'JOB-0001', partNumber: 'P-100', quantity: 10 })).toBe('ok');
    let s = await box.status();
    expect(s).toMatchObject({ jobState: 'loaded', jobId: 'JOB-0001', partNumber: 'P-100', quantity: 10, req: false, ack: false });
    expect(await box.command('load', { jobId: 'JOB-0002', partNumber: 'P-200', quantity: 5 })).toBe('busy');
    expect(await box.command('start')).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    s = await box.status();
    expect(s.jobState).toBe('running');
    expect(s.good).toBeGreaterThan(0);
    // concurrent callers are serialised: each gets its own handshake and sequence number
    const [a, b] = await Promise.all([box.command('cancel'), box.command('clear')]);
    expect([a, b]).toEqual(['ok', 'ok']);
    s = await box.status();
    expect(s.jobState).toBe('empty');
    expect(s.ackSeq).toBe(s.seq);
    expect(plc.executed).toEqual([2, 1, 1, 1, 2, 5, 6]);
    plc.stop();
  });

  it('reports a PLC that does not acknowledge, withdraws req, and works again once the PLC runs', async () => {
    const box = new S7JobMailbox(conn, 100, { ackTimeoutMs: 300, pollMs: 10 });
    const err = await box.command('start').then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(MailboxTimeoutError);
    expect(err!.message).toMatch(/PRS-01 mailbox DB100: the PLC did not acknowledge START \(seq \d+\).*within 300 ms/);
    expect((await box.status()).req).toBe(false);
    const plc = new TestPlc(server).start();
    expect(await box.command('start')).toBe('noJob');
    plc.stop();
  });

  it('refuses bad arguments before touching the PLC', async () => {
    const box = new S7JobMailbox(conn, 100);
    await expect(box.command('load', { jobId: 'J', partNumber: 'P-100', quantity: 0 })).rejects.toThrow(/quantity/);
    await expect(box.command('load', { partNumber: 'P-100', quantity: 1 })).rejects.toThrow(/jobId/);
    await expect(box.command('explode' as never)).rejects.toThrow(/unknown mailbox command "explode"/);
  });
});
