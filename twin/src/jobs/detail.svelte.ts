import type { Command, JobDto, JobEventDto } from '@plant-twin/contracts';
import { ApiError } from '../lib/api/index.js';
import { jobsApi } from './api.js';
import { isOpen, mergeCommand } from './actions.js';

/**
 * One job's page: the mirrored job, its history and its commands. Live `job` events replace the job
 * (and fetch the history again, which only REST carries); live `command` events move its commands from
 * pending to delivered to applied or refused, whichever of REST and live comes first.
 */
export class JobPage {
  job = $state<JobDto | null>(null);
  events = $state<JobEventDto[]>([]);
  commands = $state<Command[]>([]);
  notFound = $state(false);
  error = $state<string | null>(null);
  private seq = 0;

  constructor(readonly id: string) {}

  get open(): Command[] {
    return this.commands.filter(isOpen);
  }

  async load(): Promise<void> {
    const mine = ++this.seq;
    try {
      const a = await jobsApi.detail(this.id);
      if (mine !== this.seq) return;
      this.job = a.job;
      this.events = [...a.events].sort((x, y) => y.id - x.id);
      let merged = this.commands;
      for (const c of a.commands) merged = mergeCommand(merged, c);
      this.commands = merged;
      this.notFound = false;
      this.error = null;
    } catch (e) {
      if (mine !== this.seq) return;
      if (e instanceof ApiError && e.status === 404) this.notFound = true;
      else this.error = e instanceof Error ? e.message : String(e);
    }
  }

  applyJob(job: JobDto): boolean {
    if (job.id !== this.id || (this.job && this.job.updatedAt > job.updatedAt)) return false;
    this.job = job;
    return true;
  }

  applyCommand(c: Command): void {
    if (c.target === this.id && c.type.startsWith('job.')) this.commands = mergeCommand(this.commands, c);
  }
}
