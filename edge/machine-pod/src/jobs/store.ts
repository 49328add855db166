import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { AgentJob, DispatchJob } from '@plant-twin/contracts';
import { writeFileAtomic } from '../state-file.js';

export interface StoredJob {
  job: AgentJob;
  spec: DispatchJob;
}

/**
 * This machine's job history as JSON lines, one snapshot per change (the last one of a job wins).
 * Compacted on open to the newest `keep` jobs, so the file does not grow without bound.
 */
export class JobStore {
  constructor(
    private readonly file: string,
    private readonly keep = 1000,
  ) {}

  load(): StoredJob[] {
    const byId = new Map<string, StoredJob>();
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const s = JSON.parse(line) as StoredJob;
          byId.delete(s.job.jobId);
          byId.set(s.job.jobId, s);
        } catch {
          // a torn last line after a crash: the snapshot before it stands
        }
      }
    }
    const jobs = [...byId.values()].slice(-this.keep);
    writeFileAtomic(this.file, jobs.map((j) => `${JSON.stringify(j)}\n`).join(''));
    return jobs;
  }

  save(s: StoredJob): void {
    appendFileSync(this.file, `${JSON.stringify(s)}\n`);
  }
}
