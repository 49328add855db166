import { finishedAgentStatuses, type AgentJob } from '@plant-twin/contracts';
import { backoffDelay, type Logger } from '@plant-twin/runtime';
import type { Updateable } from 'kysely';
import type { AgentAnswer, AgentClient } from './agent-client.js';
import { Unreachable } from './http-client.js';
import { recordEvent, transition, TransitionError, type Db } from './lifecycle.js';
import { onMachineStatuses, type Job, type JobsTable, type JobStatus } from './schema.js';
import type { Sequencer } from './sequencer.js';

export interface MachineHealth {
  reachable: boolean;
  failures: number;
  nextTryAt: number;
  lastError: string | null;
  /** when it became unreachable (ms), for moving jobs */
  downSince: number | null;
}

export interface OrchestratorOptions {
  backoff?: { baseMs: number; maxMs: number };
  /** a job dispatched to an unreachable pod and not started moves to another eligible machine after this long */
  moveAfterMs?: number;
}

/**
 * Keeps each machine busy with the next job of its sequence and the job table in step with what
 * the machines' job agents say. Every pass starts by asking each agent what it is running, so the
 * same code reconciles after the job manager's restart or a pod's. Database first, then the agent:
 * a dispatch is recorded before it is sent, and an agent that does not know a dispatched job
 * (never arrived, or lost in a pod restart before it started) gets it back into the queue.
 */
export class Orchestrator {
  readonly health = new Map<string, MachineHealth>();
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly moveAfterMs: number;

  constructor(
    private readonly db: Db,
    readonly agents: ReadonlyMap<string, AgentClient>,
    private readonly log: Logger,
    public sequencer: Sequencer,
    opts: OrchestratorOptions = {},
  ) {
    this.backoff = opts.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    this.moveAfterMs = opts.moveAfterMs ?? 0;
    for (const id of agents.keys()) this.health.set(id, { reachable: false, failures: 0, nextTryAt: 0, lastError: null, downSince: null });
  }

  async runOnce(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.agents.keys()].map((m) =>
        this.serviceMachine(m).catch((err: unknown) => {
          // the agent went away in the middle of the pass: same as not answering at its start
          if (err instanceof Unreachable) this.markDown(m, err);
          else throw err;
        }),
      ),
    );
    for (const [i, r] of results.entries()) if (r.status === 'rejected') this.log.error({ err: r.reason, machineId: [...this.agents.keys()][i] }, 'orchestrator pass failed for machine');
  }

  /** Jobs a machine would take, in sequence order. */
  async queue(machineId: string): Promise<Job[]> {
    const released = await this.db.selectFrom('jobs').selectAll().where('status', '=', 'released').where('cancel_requested', '=', false).execute();
    return this.sequencer.order(
      machineId,
      released.filter((j) => j.eligible_machines.includes(machineId)),
    );
  }

  async serviceMachine(machineId: string): Promise<void> {
    const h = this.health.get(machineId)!;
    if (Date.now() < h.nextTryAt) return this.moveFromDownMachine(machineId);
    const agent = this.agents.get(machineId)!;
    let current: AgentJob | null;
    try {
      current = await agent.current();
    } catch (err) {
      this.markDown(machineId, err);
      return this.moveFromDownMachine(machineId);
    }
    this.markUp(machineId);
    const mine = await this.jobsOn(machineId);
    for (const job of mine) {
      const a = current?.jobId === job.id ? current : await agent.get(job.id);
      await this.follow(agent, job, a);
    }
    if (current && !finishedAgentStatuses.includes(current.status) && !mine.some((j) => j.id === current!.jobId)) await this.handleStranger(agent, current);
    const busy = (await this.jobsOn(machineId)).length > 0 || (current !== null && !finishedAgentStatuses.includes(current.status) && !(await this.isOurFinished(current.jobId)));
    if (!busy) await this.dispatchNext(agent);
  }

  /** Operator actions through the API on a job that may be on a machine. */
  async hold(jobId: string, actor: 'api'): Promise<Job> {
    const job = await this.get(jobId);
    if (job.machine_id && onMachineStatuses.includes(job.status) && job.status !== 'held') {
      const agent = this.agentFor(job.machine_id);
      return this.follow(agent, job, await this.expectAgentJob(agent, job.id, 'hold'));
    }
    return this.db.transaction().execute((trx) => transition(trx, jobId, 'held', { actor, reason: 'held by a user' }));
  }

  async release(jobId: string, actor: 'api'): Promise<Job> {
    const job = await this.get(jobId);
    if (job.status === 'held' && job.machine_id) {
      const agent = this.agentFor(job.machine_id);
      return this.follow(agent, job, await this.expectAgentJob(agent, job.id, 'resume'));
    }
    return this.db.transaction().execute((trx) => transition(trx, jobId, 'released', { actor, reason: 'released by a user', set: { next_dispatch_at: null, avoid_machines: [] } }));
  }

  private async expectAgentJob(agent: AgentClient, jobId: string, action: 'hold' | 'resume' | 'cancel'): Promise<AgentJob> {
    const r = await agent.action(jobId, action);
    if (!r.ok) throw new AgentRefused(agent.machineId, action, r.status, r.error);
    return r.job;
  }

  private agentFor(machineId: string): AgentClient {
    const a = this.agents.get(machineId);
    if (!a) throw new Error(`no job agent configured for ${machineId} (POD_URLS)`);
    return a;
  }

  private async get(jobId: string): Promise<Job> {
    const j = await this.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    if (!j) throw new Error(`no job ${jobId}`);
    return j;
  }

  private jobsOn(machineId: string): Promise<Job[]> {
    return this.db.selectFrom('jobs').selectAll().where('machine_id', '=', machineId).where('status', 'in', onMachineStatuses).orderBy('id').execute();
  }

  private async isOurFinished(jobId: string): Promise<boolean> {
    const j = await this.db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst();
    return j !== undefined && !onMachineStatuses.includes(j.status);
  }

  /** Brings one job in line with the agent's view of it (null: the agent does not have it). */
  private async follow(agent: AgentClient, job: Job, a: AgentJob | null): Promise<Job> {
    const m = agent.machineId;
    if (!a) {
      if (job.cancel_requested) return this.to(job, 'cancelled', 'cancelled; the machine did not have the job', { ended_at: new Date() });
      if (job.status === 'dispatched' && job.good + job.scrap === 0) return this.to(job, 'released', `${m} does not have the job (dispatch lost or pod restarted); back in the queue`, { machine_id: null });
      if (job.status === 'held') {
        // already held: it stays held, but no longer on that machine
        const j = await this.db.updateTable('jobs').set({ machine_id: null, message: `lost by ${m} at good ${job.good} scrap ${job.scrap}`, updated_at: new Date() }).where('id', '=', job.id).returningAll().executeTakeFirstOrThrow();
        await recordEvent(this.db, job, 'note', 'orchestrator', `${m} lost the held job; a person must decide`);
        return j;
      }
      return this.to(job, 'held', `${m} lost the job after it started; a person must decide`, { machine_id: null, message: `lost by ${m} at good ${job.good} scrap ${job.scrap}` });
    }
    // the ERP or a user cancelled it, or the ERP lowered the quantity below what is already good
    const stopForQuantity = a.status === 'running' && job.dispatched_quantity !== null && job.quantity < job.dispatched_quantity && a.good >= job.quantity;
    if ((job.cancel_requested || stopForQuantity) && !finishedAgentStatuses.includes(a.status)) {
      const r = await agent.action(job.id, 'cancel');
      if (r.ok) a = r.job;
      else if (r.status === 404) return this.follow(agent, job, null);
      else this.log.warn({ jobId: job.id, machineId: m, status: r.status, error: r.error }, 'agent refused to cancel');
    }
    const counts = { good: a.good, scrap: a.scrap };
    const started = a.startedAt ? new Date(a.startedAt) : job.started_at;
    const ended = a.endedAt ? new Date(a.endedAt) : new Date();
    // a job that started and finished between two passes still ran: its history says so
    const ranUnseen: JobStatus[] = job.status === 'dispatched' && a.startedAt ? ['running'] : [];
    switch (a.status) {
      case 'dispatched':
      case 'setup':
        return this.progress(job, counts);
      case 'running':
        if (job.status !== 'running') return this.to(job, 'running', `running on ${m}`, { ...counts, started_at: started, message: null }, 'agent');
        return this.progress(job, counts);
      case 'held':
        if (job.status !== 'held') return this.to(job, 'held', a.message ?? `held on ${m}`, counts, 'agent');
        return this.progress(job, counts);
      case 'completed':
        return this.to(job, 'completed', `completed on ${m}`, { ...counts, started_at: started, ended_at: ended }, 'agent', ranUnseen);
      case 'cancelled': {
        const reachedLowered = job.dispatched_quantity !== null && job.quantity < job.dispatched_quantity && a.good >= job.quantity;
        if (reachedLowered && !job.cancel_requested) return this.to(job, 'completed', `stopped on ${m}: the ERP lowered the quantity to ${job.quantity}`, { ...counts, started_at: started, ended_at: ended });
        return this.to(job, 'cancelled', job.cancel_requested ? `cancelled on ${m}` : a.message ?? `cancelled at ${m}`, { ...counts, started_at: started, ended_at: ended }, 'agent', ranUnseen);
      }
      case 'rejected':
        return this.refused(job, m, a.message ?? 'rejected by the machine');
      case 'failed':
        return this.to(job, 'failed', a.message ?? `failed on ${m}`, { ...counts, started_at: started, ended_at: ended }, 'agent', ranUnseen);
    }
  }

  private async progress(job: Job, counts: { good: number; scrap: number }): Promise<Job> {
    if (job.good === counts.good && job.scrap === counts.scrap) return job;
    return this.db.updateTable('jobs').set({ ...counts, updated_at: new Date() }).where('id', '=', job.id).returningAll().executeTakeFirstOrThrow();
  }

  /** `via`: statuses the job passed through unseen, recorded before `status` in the same transaction. */
  private async to(job: Job, status: JobStatus, reason: string, set: Updateable<JobsTable> = {}, actor: 'orchestrator' | 'agent' = 'orchestrator', via: JobStatus[] = []): Promise<Job> {
    try {
      const j = await this.db.transaction().execute(async (trx) => {
        for (const v of via) await transition(trx, job.id, v, { actor, reason: `${v} on ${job.machine_id} (seen already ${status})`, set: { started_at: set.started_at } });
        return transition(trx, job.id, status, { actor, reason, set });
      });
      this.log.info({ jobId: job.id, from: job.status, to: status, machineId: job.machine_id, reason }, 'job transition');
      return j;
    } catch (err) {
      if (err instanceof TransitionError) {
        this.log.warn({ err: err.message }, 'transition skipped (the job changed meanwhile)');
        return this.get(job.id);
      }
      throw err;
    }
  }

  /** The machine will not take this job: try another eligible machine, or fail when none is left. */
  private async refused(job: Job, machineId: string, why: string): Promise<Job> {
    const avoid = [...new Set([...job.avoid_machines, machineId])];
    const left = job.eligible_machines.filter((x) => !avoid.includes(x));
    if (left.length === 0) return this.to(job, 'failed', `${machineId} refused: ${why}; no other eligible machine`, { ended_at: new Date(), message: why });
    return this.to(job, 'released', `${machineId} refused: ${why}; trying ${left.join(', ')}`, { machine_id: null, avoid_machines: avoid, message: why });
  }

  /** A job running on the machine that the job table does not place there. */
  private async handleStranger(agent: AgentClient, a: AgentJob): Promise<void> {
    const j = await this.db.selectFrom('jobs').selectAll().where('id', '=', a.jobId).executeTakeFirst();
    if (!j) {
      this.log.warn({ machineId: agent.machineId, jobId: a.jobId }, 'machine runs a job the job manager does not know; leaving it alone');
      return;
    }
    // moved elsewhere while this pod was unreachable, or finished/cancelled here: stop the copy
    this.log.warn({ machineId: agent.machineId, jobId: a.jobId, status: j.status, on: j.machine_id }, 'machine runs a job that belongs elsewhere; cancelling it there');
    const r = await agent.action(a.jobId, 'cancel');
    if (!r.ok) this.log.warn({ machineId: agent.machineId, jobId: a.jobId, status: r.status, error: r.error }, 'could not cancel the stray job');
    else if (r.job.good + r.job.scrap > 0) {
      await this.db
        .insertInto('job_events')
        .values({ job_id: j.id, kind: 'note', from_status: j.status, to_status: j.status, actor: 'orchestrator', reason: `stray copy on ${agent.machineId} cancelled`, detail: JSON.stringify({ good: r.job.good, scrap: r.job.scrap }) })
        .execute();
    }
  }

  private async dispatchNext(agent: AgentClient): Promise<void> {
    const m = agent.machineId;
    const now = Date.now();
    const candidates = (await this.queue(m)).filter((j) => !j.avoid_machines.includes(m) && (!j.next_dispatch_at || j.next_dispatch_at.getTime() <= now));
    for (const candidate of candidates) {
      let job: Job;
      try {
        job = await this.db.transaction().execute((trx) =>
          transition(trx, candidate.id, 'dispatched', {
            actor: 'orchestrator',
            reason: `dispatched to ${m}`,
            set: { machine_id: m, dispatched_quantity: candidate.quantity, dispatch_attempts: candidate.dispatch_attempts + 1, message: null },
          }),
        );
      } catch (err) {
        if (err instanceof TransitionError) continue; // another machine took it meanwhile
        throw err;
      }
      let r: AgentAnswer;
      try {
        r = await agent.dispatch({ jobId: job.id, partNumber: job.part_number, quantity: job.quantity, autoStart: true });
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        this.markDown(m, err);
        // a refused connection proves the job did not arrive; otherwise the next pass asks the agent
        if (!err.maybeDelivered) await this.to(job, 'released', `${m} unreachable: ${err.message}`, { machine_id: null, next_dispatch_at: new Date(Date.now() + backoffDelay(job.dispatch_attempts, this.backoff.baseMs, this.backoff.maxMs)) });
        return;
      }
      if (r.ok) {
        this.log.info({ jobId: job.id, machineId: m, quantity: job.quantity }, 'job dispatched');
        await this.follow(agent, job, r.job);
      } else if (r.status === 409) {
        const there = await agent.get(job.id).catch(() => null);
        // an old finished copy there (e.g. a stray cancelled earlier) must not finish this job
        if (there && finishedAgentStatuses.includes(there.status)) await this.refused(job, m, `it holds a finished earlier copy (${there.status})`);
        else if (there) await this.follow(agent, job, there);
        // it was idle a moment ago: a machine that keeps answering 409 is refusing, so back off
        else await this.to(job, 'released', `${m} busy: ${r.error}`, { machine_id: null, next_dispatch_at: new Date(Date.now() + backoffDelay(job.dispatch_attempts, this.backoff.baseMs, this.backoff.maxMs)) });
      } else if (r.status >= 400 && r.status < 500) {
        await this.refused(job, m, `${r.status} ${r.error}`);
      } else {
        await this.to(job, 'released', `${m} answered ${r.status}: ${r.error}`, { machine_id: null, next_dispatch_at: new Date(Date.now() + backoffDelay(job.dispatch_attempts, this.backoff.baseMs, this.backoff.maxMs)) });
      }
      return;
    }
  }

  /** Jobs waiting on an unreachable pod that have not started go back to the queue for the other eligible machines. */
  private async moveFromDownMachine(machineId: string): Promise<void> {
    const h = this.health.get(machineId)!;
    if (h.downSince === null || Date.now() - h.downSince < this.moveAfterMs) return;
    for (const job of await this.jobsOn(machineId)) {
      if (job.status !== 'dispatched' || job.good + job.scrap > 0 || job.started_at) continue;
      const others = job.eligible_machines.filter((x) => x !== machineId && !job.avoid_machines.includes(x));
      if (others.length === 0) continue;
      await this.to(job, 'released', `${machineId} unreachable (${h.lastError}); moving to ${others.join(', ')}`, { machine_id: null, avoid_machines: [...new Set([...job.avoid_machines, machineId])] });
    }
  }

  private markDown(machineId: string, err: unknown): void {
    const h = this.health.get(machineId)!;
    h.failures++;
    h.reachable = false;
    h.downSince ??= Date.now();
    h.lastError = err instanceof Error ? err.message : String(err);
    h.nextTryAt = Date.now() + backoffDelay(h.failures, this.backoff.baseMs, this.backoff.maxMs);
    if (h.failures === 1 || h.failures % 10 === 0) this.log.warn({ machineId, failures: h.failures, error: h.lastError }, 'job agent unreachable');
  }

  private markUp(machineId: string): void {
    const h = this.health.get(machineId)!;
    if (!h.reachable && h.failures > 0) this.log.info({ machineId, after: h.failures }, 'job agent reachable again');
    Object.assign(h, { reachable: true, failures: 0, nextTryAt: 0, lastError: null, downSince: null });
  }
}

export class AgentRefused extends Error {
  constructor(
    readonly machineId: string,
    readonly action: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${machineId} refused ${action}: ${status} ${detail}`);
  }
}
