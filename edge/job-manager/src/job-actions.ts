import { recordEvent, TransitionError, type Db } from './lifecycle.js';
import type { Orchestrator } from './orchestrator.js';
import { finishedStatuses, type Job } from './schema.js';
import { cancelJob } from './sync.js';

/**
 * What a person may do to a job, from the REST API or a command from the cloud: release, hold,
 * cancel (on a machine: asked of the machine first) and reprioritise. Refusals are thrown
 * (TransitionError for a status that does not allow it, the orchestrator's for a machine's).
 */
export class JobActions {
  constructor(
    private readonly db: Db,
    private readonly orchestrator: Orchestrator,
  ) {}

  release(jobId: string): Promise<Job> {
    return this.orchestrator.release(jobId, 'api');
  }

  hold(jobId: string): Promise<Job> {
    return this.orchestrator.hold(jobId, 'api');
  }

  /** `requested`: the job is on a machine, which is asked to stop it first. */
  async cancel(jobId: string, actor: 'api', reason: string): Promise<{ job: Job; outcome: 'cancelled' | 'requested' }> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      if (finishedStatuses.includes(locked.status)) throw new TransitionError(jobId, locked.status, 'cancelled');
      return cancelJob(trx, locked, actor, reason);
    });
    return { job: await this.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow(), outcome };
  }

  async priority(jobId: string, priority: number, actor: string): Promise<Job> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      const u = await trx.updateTable('jobs').set({ priority, updated_at: new Date() }).where('id', '=', jobId).returningAll().executeTakeFirstOrThrow();
      await recordEvent(trx, u, 'change', actor, `priority ${before.priority} -> ${priority}`, { priority: { from: before.priority, to: priority } });
      return u;
    });
  }
}
