import { schedulePublishArgsSchema, type Command, type SchedulePublishArgs } from '@plant-twin/contracts';
import { sql, type Kysely, type Migration } from 'kysely';
import { CommandRefused, type Applied, type CommandHandler } from '../cloud-link/apply.js';
import type { Db } from '../lifecycle.js';
import type { Job, JobDatabase } from '../schema.js';
import type { Sequencer } from '../sequencer.js';

/**
 * The production schedule the cloud published (`schedule.publish`, issue 16): per machine, the job ids in
 * the order the machine is to run them. Kept in the job database (a restart keeps following it) and in
 * memory for the orchestrator's sequencer. A publish replaces the whole published schedule of this job
 * manager: it is the plan for every machine the cloud knows on this edge.
 */
export type PublishedScheduleTable = {
  machine_id: string;
  plan_id: string;
  command_id: string;
  job_ids: string[];
  frozen_until: Date;
  published_by: string;
  published_at: Date;
};
export type PublishedScheduleTables = { published_schedule: PublishedScheduleTable };

export const publishedScheduleMigrations: Record<string, Migration> = {
  '0003_published_schedule': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('published_schedule')
        .addColumn('machine_id', 'text', (c) => c.primaryKey())
        .addColumn('plan_id', 'text', (c) => c.notNull())
        .addColumn('command_id', 'text', (c) => c.notNull())
        .addColumn('job_ids', sql`text[]`, (c) => c.notNull())
        .addColumn('frozen_until', 'timestamptz', (c) => c.notNull())
        .addColumn('published_by', 'text', (c) => c.notNull())
        .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
};

export interface PublishedView {
  planId: string;
  commandId: string;
  frozenUntil: number;
  publishedBy: string;
  publishedAt: number;
  machines: Record<string, string[]>;
}

export class PublishedSchedule {
  private view: PublishedView | null = null;
  /** job id -> the machine the plan puts it on */
  private machineOfJob = new Map<string, string>();
  private positionOf = new Map<string, number>();

  private constructor(private readonly db: Kysely<JobDatabase & PublishedScheduleTables>) {}

  static async load(jobDb: Db): Promise<PublishedSchedule> {
    const s = new PublishedSchedule(jobDb.withTables<PublishedScheduleTables>());
    const rows = await s.db.selectFrom('published_schedule').selectAll().orderBy('machine_id').execute();
    if (rows.length) {
      const r = rows[0]!;
      s.set({ planId: r.plan_id, commandId: r.command_id, frozenUntil: r.frozen_until.getTime(), publishedBy: r.published_by, publishedAt: r.published_at.getTime(), machines: Object.fromEntries(rows.map((x) => [x.machine_id, x.job_ids])) });
    }
    return s;
  }

  current(): PublishedView | null {
    return this.view;
  }

  /** the machine the published plan puts a job on, if any */
  machineOf(jobId: string): string | undefined {
    return this.machineOfJob.get(jobId);
  }

  /** the job's place in its machine's published sequence */
  positionIn(jobId: string): number | undefined {
    return this.positionOf.get(jobId);
  }

  private set(view: PublishedView | null): void {
    this.view = view;
    this.machineOfJob = new Map();
    this.positionOf = new Map();
    for (const [machine, ids] of Object.entries(view?.machines ?? {}))
      ids.forEach((id, i) => {
        this.machineOfJob.set(id, machine);
        this.positionOf.set(id, i);
      });
  }

  /** Replaces the published schedule (one transaction, then memory); returns it before and after. */
  async replace(args: SchedulePublishArgs, commandId: string, now = new Date()): Promise<Applied> {
    const before = this.view;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('published_schedule').execute();
      const rows = Object.entries(args.machines).map(([machine_id, job_ids]) => ({
        machine_id,
        plan_id: args.planId,
        command_id: commandId,
        job_ids,
        frozen_until: new Date(args.frozenUntil),
        published_by: args.publishedBy,
        published_at: now,
      }));
      if (rows.length) await trx.insertInto('published_schedule').values(rows).execute();
    });
    const after: PublishedView = { planId: args.planId, commandId, frozenUntil: args.frozenUntil, publishedBy: args.publishedBy, publishedAt: now.getTime(), machines: args.machines };
    this.set(after);
    return { before: before && { planId: before.planId, machines: before.machines }, after: { planId: after.planId, machines: after.machines, frozenUntil: after.frozenUntil } };
  }
}

/**
 * The orchestrator's order where a schedule is published: a machine takes the jobs the plan puts on it in
 * the plan's order; jobs the plan puts on another machine are not its to take; jobs not in the plan (new
 * orders since it was made) come after the planned ones, in the fallback rule's order (priority, then due
 * date). Without a published schedule, or for a machine the plan does not name, the fallback rule alone.
 */
export function followPublished(schedule: PublishedSchedule, fallback: Sequencer): Sequencer {
  return {
    get name() {
      const v = schedule.current();
      return v ? `published-schedule:${v.planId}` : fallback.name;
    },
    order(machineId: string, candidates: readonly Job[]): Job[] {
      if (!schedule.current()?.machines[machineId]) return fallback.order(machineId, candidates);
      const planned: Job[] = [];
      const unplanned: Job[] = [];
      for (const j of candidates) {
        const on = schedule.machineOf(j.id);
        if (on === machineId) planned.push(j);
        else if (on === undefined) unplanned.push(j);
      }
      planned.sort((a, b) => schedule.positionIn(a.id)! - schedule.positionIn(b.id)!);
      return [...planned, ...fallback.order(machineId, unplanned)];
    },
  };
}

/**
 * Applies `schedule.publish`: refuses (with the reason) arguments that do not parse, a machine this job
 * manager does not run, a job it does not have, or a job on a machine it may not run on; otherwise the
 * published schedule is replaced. Jobs finished meanwhile are kept in the sequence (they are never
 * candidates again). Expired commands never get here (CommandApplier refuses them).
 */
export function schedulePublishHandler(db: Db, schedule: PublishedSchedule, machines: readonly string[]): CommandHandler {
  return async (c: Command): Promise<Applied> => {
    const parsed = schedulePublishArgsSchema.safeParse(c.args);
    if (!parsed.success) throw new CommandRefused(`schedule.publish arguments are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const args = parsed.data;
    if (args.planId !== c.target) throw new CommandRefused(`the command is for plan ${c.target} but carries plan ${args.planId}`);
    const unknownMachines = Object.keys(args.machines).filter((m) => !machines.includes(m));
    if (unknownMachines.length) throw new CommandRefused(`this job manager runs no machine ${unknownMachines.join(', ')}`);
    const ids = Object.values(args.machines).flat();
    const seen = new Set<string>();
    const twice = ids.filter((id) => seen.size === seen.add(id).size);
    if (twice.length) throw new CommandRefused(`jobs planned twice: ${twice.slice(0, 10).join(', ')}`);
    const jobs = ids.length ? await db.selectFrom('jobs').select(['id', 'eligible_machines']).where('id', 'in', ids).execute() : [];
    const known = new Map(jobs.map((j) => [j.id, j.eligible_machines]));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length) throw new CommandRefused(`this job manager has no job ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''}`);
    for (const [machine, list] of Object.entries(args.machines))
      for (const id of list)
        if (!known.get(id)!.includes(machine)) throw new CommandRefused(`job ${id} may not run on ${machine} (eligible: ${known.get(id)!.join(', ')})`);
    return schedule.replace(args, c.id);
  };
}
