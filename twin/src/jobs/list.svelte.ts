import type { JobDto, JobsAnswer } from '@plant-twin/contracts';
import { jobsApi } from './api.js';
import { jobsApiQuery, type JobsFilter } from './filter.js';

/**
 * One page of the jobs list (GET /jobs with the URL's filters). Live `job` events update the jobs on
 * the page in place; a reconnect fetches the page again.
 */
export class JobsList {
  answer = $state<JobsAnswer | null>(null);
  error = $state<string | null>(null);
  private seq = 0;
  private last: JobsFilter | null = null;

  async load(filter: JobsFilter): Promise<void> {
    this.last = filter;
    const mine = ++this.seq;
    try {
      const a = await jobsApi.list(jobsApiQuery(filter));
      if (mine !== this.seq) return;
      this.answer = a;
      this.error = null;
    } catch (e) {
      if (mine === this.seq) this.error = e instanceof Error ? e.message : String(e);
    }
  }

  reload(): Promise<void> {
    return this.last ? this.load(this.last) : Promise.resolve();
  }

  /** A newer snapshot of a job on this page replaces it (an older one never does). */
  applyJob(job: JobDto): void {
    const list = this.answer?.jobs;
    const i = list?.findIndex((j) => j.id === job.id) ?? -1;
    if (list && i >= 0 && list[i]!.updatedAt <= job.updatedAt) list[i] = job;
  }
}
