import type { TagValue } from '@plant-twin/contracts';
import type { S7Interface } from '@plant-twin/plant-model';
import { S7Connection, S7Poller, type PollReport } from '@plant-twin/s7-driver';
import type { DriverContext, JobHandshake, MachineDriver } from '../types.js';
import { S7MailboxHandshake, type S7MailboxOptions } from './mailbox.js';

export interface S7DriverOptions extends S7MailboxOptions {
  fastMs?: number;
  slowMs?: number;
  changeMs?: number;
}

/**
 * S7 machines: one owned connection per PLC (s7-driver's S7Connection, which reconnects by itself),
 * the s7-driver poller for the tag map (values by exception, PLC-clock timestamps, quality), and the
 * job mailbox handshake. Values are volatile at the source, so their messages are journaled (durable).
 */
export class S7Driver implements MachineDriver {
  readonly jobs: JobHandshake;
  private readonly connection: S7Connection;
  private readonly poller: S7Poller;
  private readonly mailbox: S7MailboxHandshake;
  private up = false;

  constructor(
    private readonly ctx: DriverContext,
    opts: S7DriverOptions = {},
  ) {
    const itf = ctx.machine.interface;
    if (itf.type !== 's7') throw new Error(`${ctx.machine.id} is not an S7 machine`);
    this.connection = new S7Connection({
      host: itf.host, port: itf.port, rack: itf.rack, slot: itf.slot, label: `${ctx.machine.id} (${itf.host}:${itf.port})`,
      pduSize: (itf as S7Interface).plc === 'S7-1200' ? 240 : 960,
    });
    this.poller = new S7Poller({ connection: this.connection, tags: ctx.machine.tags, fastMs: opts.fastMs, slowMs: opts.slowMs, changeMs: opts.changeMs });
    const jobTag = ctx.machine.tags.find((t) => t.role === 'job_id')?.name;
    const plcJobId = () => {
      const v = jobTag ? this.poller.current().find((x) => x.name === jobTag) : undefined;
      return v && v.quality === 'good' && typeof v.value === 'string' ? v.value.trim() || undefined : undefined;
    };
    this.mailbox = new S7MailboxHandshake(ctx, this.connection, itf.mailboxDb, plcJobId, opts);
    this.jobs = this.mailbox;
    const { metrics, log } = ctx;
    this.poller.on('values', (values: TagValue[]) => {
      ctx.emit([{ type: 'values', values }], { durable: true }).catch((err: Error) => log.warn({ err: err.message }, 'values not accepted'));
    });
    this.poller.on('connection', (c: { up: boolean; error?: string }) => {
      this.up = c.up;
      ctx.connection(c.up, c.error);
    });
    this.poller.on('poll', (r: PollReport) => {
      metrics.pollDuration.observe({ ...metrics.labels, class: r.class }, r.durationMs / 1000);
      metrics.pdusPerPoll.set({ ...metrics.labels, class: r.class }, r.pdus);
    });
    this.poller.on('problem', (p: { message: string; tags: string[] }) => log.error({ problem: p.message, tags: p.tags }, 'PLC refuses part of the tag map'));
  }

  async start(): Promise<void> {
    this.poller.start();
    this.mailbox.start();
  }

  async stop(): Promise<void> {
    this.mailbox.stop();
    await this.poller.stop();
    await this.connection.close();
  }

  connected(): boolean {
    return this.up;
  }
}
