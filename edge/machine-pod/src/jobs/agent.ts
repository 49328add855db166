import { join } from 'node:path';
import { finishedAgentStatuses, type AgentJob, type AgentJobStatus, type DispatchJob, type JobAction, type JobEvent } from '@plant-twin/contracts';
import type { Machine } from '@plant-twin/plant-model';
import { HttpError, ValidationError, type Logger } from '@plant-twin/runtime';
import { JobRefused, MachineUnavailable, type JobHandshake, type JobUpdate } from '../drivers/types.js';
import { JobStore, type StoredJob } from './store.js';

const allowed: Record<JobAction, readonly AgentJobStatus[]> = {
  start: ['dispatched'],
  hold: ['setup', 'running'],
  resume: ['held'],
  cancel: ['dispatched', 'setup', 'running', 'held'],
};

export interface JobAgentOptions {
  machine: Machine;
  stateDir: string;
  log: Logger;
  handshake: JobHandshake | undefined;
  /** publishes a job message for a status change or progress */
  publish: (job: AgentJob, event: JobEvent) => void;
  now?: () => Date;
}

const isFinished = (s: AgentJobStatus) => finishedAgentStatuses.includes(s);

/**
 * The machine's jobs: takes dispatches and commands from the REST API, runs them through the
 * interface's handshake and follows the machine's reports (JobUpdate) to completion. One job at a
 * time per machine; history persisted in STATE_DIR/jobs.jsonl.
 */
export class JobAgent {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly store: JobStore;
  private busy = false;
  private readonly now: () => Date;

  constructor(private readonly o: JobAgentOptions) {
    this.store = new JobStore(join(o.stateDir, 'jobs.jsonl'));
    for (const s of this.store.load()) this.jobs.set(s.job.jobId, s);
    this.now = o.now ?? (() => new Date());
  }

  current(): AgentJob | undefined {
    return [...this.jobs.values()].reverse().find((s) => !isFinished(s.job.status))?.job;
  }

  /** The spec of the unfinished job (drivers use it to resume following after a pod restart). */
  currentSpec(): DispatchJob | undefined {
    const j = this.current();
    return j && this.jobs.get(j.jobId)?.spec;
  }

  get(jobId: string): AgentJob | undefined {
    return this.jobs.get(jobId)?.job;
  }

  list(limit: number): AgentJob[] {
    return [...this.jobs.values()].reverse().slice(0, limit).map((s) => s.job);
  }

  async dispatch(spec: DispatchJob): Promise<AgentJob> {
    const { machine } = this.o;
    if (!this.o.handshake) throw new HttpError(409, `${machine.id} takes no jobs (its interface has no job handshake)`);
    if (!machine.parts.some((p) => p.partNumber === spec.partNumber)) {
      throw new ValidationError([{ path: 'partNumber', message: `${spec.partNumber} is not a part of ${machine.id} (parts: ${machine.parts.map((p) => p.partNumber).join(', ')})` }]);
    }
    const existing = this.jobs.get(spec.jobId);
    if (existing && existing.job.status !== 'rejected') throw new HttpError(409, `job ${spec.jobId} already exists on ${machine.id} (${existing.job.status})`);
    const active = this.current();
    if (active) throw new HttpError(409, `${machine.id} is busy with job ${active.jobId} (${active.status})`);
    if (this.busy) throw new HttpError(409, `${machine.id} is busy handing over another job`);
    this.busy = true;
    try {
      const job: AgentJob = {
        jobId: spec.jobId, machineId: machine.id, partNumber: spec.partNumber, quantity: spec.quantity, status: 'dispatched',
        good: 0, scrap: 0, dispatchedAt: this.now().toISOString(), startedAt: null, endedAt: null, message: null,
      };
      try {
        await this.o.handshake.dispatch(spec);
      } catch (err) {
        if (err instanceof JobRefused) {
          this.record({ job: { ...job, status: 'rejected', endedAt: this.now().toISOString(), message: err.message }, spec }, 'rejected');
          throw new HttpError(409, `${machine.id} refused job ${spec.jobId}: ${err.message}`);
        }
        if (err instanceof MachineUnavailable) throw new HttpError(503, err.message);
        throw err;
      }
      this.record({ job, spec }, 'dispatched');
      this.o.publish(job, 'accepted');
      return job;
    } finally {
      this.busy = false;
    }
  }

  async action(jobId: string, action: JobAction): Promise<AgentJob> {
    const s = this.jobs.get(jobId);
    if (!s) throw new HttpError(404, `no job ${jobId} on ${this.o.machine.id}`);
    if (!allowed[action].includes(s.job.status)) throw new HttpError(409, `cannot ${action} job ${jobId}: it is ${s.job.status}`);
    if (!this.o.handshake) throw new HttpError(409, `${this.o.machine.id} takes no jobs`);
    try {
      await this.o.handshake.command(jobId, action, s.spec);
    } catch (err) {
      if (err instanceof JobRefused) throw new HttpError(409, `${this.o.machine.id} refused ${action} of job ${jobId}: ${err.message}`);
      if (err instanceof MachineUnavailable) throw new HttpError(503, err.message);
      throw err;
    }
    return this.jobs.get(jobId)!.job;
  }

  /** A report from the machine: status and/or counts of a job. */
  update(u: JobUpdate): void {
    const s = this.jobs.get(u.jobId);
    if (!s || isFinished(s.job.status)) return;
    const before = s.job;
    const job: AgentJob = { ...before };
    if (u.good !== undefined) job.good = Math.max(0, Math.trunc(u.good));
    if (u.scrap !== undefined) job.scrap = Math.max(0, Math.trunc(u.scrap));
    if (u.message !== undefined) job.message = u.message.slice(0, 200);
    let event: JobEvent | undefined;
    if (u.status && u.status !== before.status) {
      job.status = u.status;
      event = eventFor(u.status, before.status);
      if (u.status === 'running' && !job.startedAt) job.startedAt = this.now().toISOString();
      if (isFinished(u.status)) job.endedAt = this.now().toISOString();
    }
    if (!event && (job.good !== before.good || job.scrap !== before.scrap)) event = 'progress';
    if (!event && job.message === before.message) return;
    this.record({ job, spec: s.spec }, event);
  }

  private record(s: StoredJob, event: JobEvent | undefined): void {
    this.jobs.delete(s.job.jobId);
    this.jobs.set(s.job.jobId, s);
    try {
      this.store.save(s);
    } catch (err) {
      this.o.log.error({ err }, 'could not persist the job history');
    }
    if (event) this.o.publish(s.job, event);
  }
}

function eventFor(status: AgentJobStatus, previous: AgentJobStatus): JobEvent | undefined {
  switch (status) {
    case 'setup': return 'setup';
    case 'running': return previous === 'held' ? 'resumed' : 'started';
    case 'held': return 'held';
    case 'completed': return 'completed';
    case 'cancelled': return 'cancelled';
    case 'rejected': return 'rejected';
    case 'failed': return 'failed';
    default: return undefined;
  }
}
