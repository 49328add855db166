import { jobIdSchema, type Command, type CommandResult, type CommandType } from '@plant-twin/contracts';
import type { Kysely } from 'kysely';
import { jobDto } from '../api.js';
import { Unreachable } from '../http-client.js';
import type { JobActions } from '../job-actions.js';
import { recordEvent, TransitionError, type Db } from '../lifecycle.js';
import { AgentRefused } from '../orchestrator.js';
import type { JobDatabase } from '../schema.js';
import type { CloudLinkTables } from './schema.js';

/** What a command handler did: the target before and after (reported to the cloud and audited there). */
export interface Applied {
  before: unknown;
  after: unknown;
}

/** Thrown by a handler that will not apply a command: reported as refused with this reason. */
export class CommandRefused extends Error {}

export type CommandHandler = (command: Command) => Promise<Applied>;

export type LinkDb = Kysely<JobDatabase & CloudLinkTables>;

/**
 * Applies each command once per command id, through the job's own lifecycle: the first delivery
 * is recorded as "applying" before anything changes and then gets its result; any later delivery
 * of the same id answers the stored result (a crash in between leaves "applying": the command is
 * then reported refused, never applied a second time). A command whose deadline has passed on this
 * edge's clock is refused, never applied late. New command types (schedule.publish, issue 16) plug
 * in as handlers.
 */
export class CommandApplier {
  private readonly handlers = new Map<CommandType, CommandHandler>();
  /** applications under way in this process: a second delivery meanwhile waits for the first's result */
  private readonly inflight = new Map<string, Promise<CommandResult>>();

  constructor(private readonly db: LinkDb) {}

  on(type: CommandType, handler: CommandHandler): this {
    this.handlers.set(type, handler);
    return this;
  }

  /** `deadline`: local time after which the command must not be applied. */
  apply(command: Command, deadline: number): Promise<CommandResult> {
    const running = this.inflight.get(command.id);
    if (running) return running;
    const p = this.applyOnce(command, deadline).finally(() => this.inflight.delete(command.id));
    this.inflight.set(command.id, p);
    return p;
  }

  private async applyOnce(command: Command, deadline: number): Promise<CommandResult> {
    const now = Date.now();
    const stored = await this.stored(command.id);
    if (stored) return stored;
    const claimed = await this.db
      .insertInto('applied_command')
      .values({ id: command.id, seq: command.seq, type: command.type, target: command.target, status: 'applying', reason: null, before: null, after: null, applied_at: new Date(now), reported_at: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    // another delivery of the same id got here first: answer what it did
    if (!claimed) return (await this.stored(command.id))!;
    let result: CommandResult;
    const handler = this.handlers.get(command.type);
    if (Date.now() > deadline) result = { status: 'refused', reason: `expired before it could be applied (${new Date(command.expiresAt).toISOString()})`, at: Date.now() };
    else if (!handler) result = { status: 'refused', reason: `this job manager does not apply ${command.type} commands`, at: Date.now() };
    else {
      try {
        const done = await handler(command);
        result = { status: 'applied', before: done.before, after: done.after, at: Date.now() };
      } catch (err) {
        // refusals: not allowed in the job's status, or the machine said no or could not be reached
        if (!(err instanceof CommandRefused || err instanceof TransitionError || err instanceof AgentRefused || err instanceof Unreachable)) throw err;
        result = { status: 'refused', reason: (err as Error).message, at: Date.now() };
      }
    }
    await this.db
      .updateTable('applied_command')
      .set({ status: result.status, reason: result.reason ?? null, before: json(result.before), after: json(result.after), applied_at: new Date(result.at) })
      .where('id', '=', command.id)
      .execute();
    return result;
  }

  /** The result recorded for this command id, if it was given before. */
  async stored(id: string): Promise<CommandResult | null> {
    const row = await this.db.selectFrom('applied_command').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    if (row.status === 'applying') return { status: 'refused', reason: 'interrupted while being applied (the job manager restarted): check the job and send the command again', at: row.applied_at.getTime() };
    return { status: row.status as 'applied' | 'refused', ...(row.reason !== null ? { reason: row.reason } : {}), ...(row.before !== null ? { before: row.before } : {}), ...(row.after !== null ? { after: row.after } : {}), at: row.applied_at.getTime() };
  }
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/** The job commands: release, hold, cancel, priority, each recorded in the job's history with who sent it. */
export function jobHandlers(db: Db, actions: JobActions): Partial<Record<CommandType, CommandHandler>> {
  const load = async (id: string) => {
    const parsed = jobIdSchema.safeParse(id);
    const job = parsed.success ? await db.selectFrom('jobs').selectAll().where('id', '=', parsed.data).executeTakeFirst() : undefined;
    if (!job) throw new CommandRefused(`no job ${id} in this job manager`);
    return job;
  };
  const run = (action: (jobId: string, c: Command) => Promise<unknown>) => async (c: Command): Promise<Applied> => {
    const before = await load(c.target);
    await action(before.id, c);
    const after = await load(c.target);
    const reason = typeof c.args.reason === 'string' ? `: ${c.args.reason}` : '';
    await recordEvent(db, after, 'note', 'cloud', `${c.type} from ${c.createdBy} (command ${c.id})${reason}`, { commandId: c.id });
    return { before: jobDto(before), after: jobDto(after) };
  };
  return {
    'job.release': run((id) => actions.release(id)),
    'job.hold': run((id) => actions.hold(id)),
    'job.cancel': run((id, c) => actions.cancel(id, 'api', `cancelled by ${c.createdBy} from the cloud`)),
    'job.priority': run((id, c) => {
      const p = c.args.priority;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 9) throw new CommandRefused('priority must be 1-9');
      return actions.priority(id, p, 'cloud');
    }),
  };
}
