import type { AgentJobStatus, DispatchJob, JobAction } from '@plant-twin/contracts';
import type { MailboxCommandName, MailboxJobStateName, MailboxResultName } from '@plant-twin/plant-model';
import { S7JobMailbox, describeError, type S7Connection } from '@plant-twin/s7-driver';
import { JobRefused, MachineUnavailable, type DriverContext, type JobHandshake } from '../types.js';

export interface S7MailboxOptions {
  /** how often the mailbox status (job state, counts) is read */
  mailboxPollMs?: number;
  /** a PLC that does not acknowledge a command within this time is reported as unavailable */
  handshakeTimeoutMs?: number;
}

const resultText: Record<MailboxResultName, string> = {
  ok: 'ok',
  busy: 'the PLC already has a job loaded or running (LOAD refused)',
  noJob: 'the PLC has no job loaded',
  badState: "the command is not allowed in the job's current state on the PLC",
  unknownPart: "the part number is not in the PLC program's part list",
  badQuantity: 'the PLC refused the quantity (must be 1 or more)',
  machineFault: 'the machine is in fault or switched off',
  unknownCommand: 'the PLC program does not know this command',
};
const jobStatusOf: Record<MailboxJobStateName, AgentJobStatus | undefined> = {
  empty: undefined,
  loaded: 'dispatched',
  setup: 'setup',
  running: 'running',
  held: 'held',
  completed: 'completed',
  cancelled: 'cancelled',
};

/**
 * The job agent's side of the S7 job mailbox, on s7-driver's S7JobMailbox (which runs the
 * handshake itself): PLC result codes become JobRefused with a plain message, timeouts and link
 * errors MachineUnavailable. It follows the job state and counts the PLC keeps in the mailbox and
 * acknowledges (CLEAR) a finished job once it has been reported, so the PLC takes the next one.
 */
export class S7MailboxHandshake implements JobHandshake {
  private readonly mailbox: S7JobMailbox;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** commands and status follow-ups in one line: a CLEAR must never be decided on a status read before a LOAD */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: DriverContext,
    private readonly connection: S7Connection,
    db: number,
    /** the job id the PLC itself reports (tag with role job_id), if the tag map has one */
    private readonly plcJobId: () => string | undefined,
    opts: S7MailboxOptions = {},
  ) {
    this.mailbox = new S7JobMailbox(connection, db, { ackTimeoutMs: opts.handshakeTimeoutMs ?? 5000, label: ctx.machine.id });
    this.pollMs = opts.mailboxPollMs ?? 500;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.serial(() => this.follow())
        .catch((err: unknown) => this.ctx.log.debug({ err: describeError(err) }, 'mailbox status not read'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    this.timer = setTimeout(tick, this.pollMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  dispatch(job: DispatchJob): Promise<void> {
    return this.serial(async () => {
      await this.run('load', job);
      if (job.autoStart) await this.run('start');
    });
  }

  command(_jobId: string, action: JobAction): Promise<void> {
    // the mailbox holds one job; the job agent only sends commands for the job it handed over
    return this.serial(() => this.run(action));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async run(cmd: MailboxCommandName, job?: DispatchJob): Promise<void> {
    if (!this.connection.connected) throw new MachineUnavailable(`${this.ctx.machine.id}: not connected to the PLC`);
    let result: MailboxResultName;
    try {
      result = await this.mailbox.command(cmd, job ? { jobId: job.jobId, partNumber: job.partNumber, quantity: job.quantity } : {});
    } catch (err) {
      throw new MachineUnavailable(`${this.ctx.machine.id}: job mailbox ${cmd.toUpperCase()} failed: ${describeError(err)}`);
    }
    if (result !== 'ok') throw new JobRefused(`${cmd.toUpperCase()}: ${resultText[result]}`);
  }

  private async follow(): Promise<void> {
    if (!this.connection.connected) return;
    const box = await this.mailbox.status();
    // the mailbox's jobId field is edge-written input (a refused LOAD leaves its id there): the job
    // the status belongs to is the PLC's own job_id tag, else the job this pod handed over
    const jobId = this.plcJobId() ?? this.ctx.currentJob()?.spec.jobId;
    const status = jobStatusOf[box.jobState];
    if (!status || !jobId) return;
    this.ctx.jobUpdate({ jobId, status, good: box.good, scrap: box.scrap });
    // CLEAR only once the agent has no unfinished job left: a job_id tag that lags behind a fresh
    // LOAD must not make us clear the new job
    if ((status === 'completed' || status === 'cancelled') && !box.req && !box.ack && !this.ctx.currentJob()) {
      const r = await this.mailbox.command('clear');
      if (r !== 'ok') this.ctx.log.warn({ result: r }, 'the PLC did not clear the finished job');
    }
  }
}
