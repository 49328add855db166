import type { Command, CommandAnswer, JobCommandRequest, JobDto, JobEventDto, JobsAnswer } from '@plant-twin/contracts';
import { apiClient } from '../lib/api/index.js';
import type { JobsApiQuery } from './filter.js';

/** GET /jobs/:id (TWIN-API.md): the mirrored job, its event history and the commands sent for it. */
export interface JobDetailAnswer {
  job: JobDto;
  events: JobEventDto[];
  commands: Command[];
}

const enc = encodeURIComponent;

/** The jobs endpoints of the cloud's mirror of the edge job manager, and its command channel. */
export const jobsApi = {
  list: (q: JobsApiQuery, signal?: AbortSignal) => apiClient.get<JobsAnswer>('/jobs', { ...q }, signal),
  detail: (id: string) => apiClient.get<JobDetailAnswer>(`/jobs/${enc(id)}`),
  /** 202 { command }: pending until the edge fetches and applies (or refuses) it */
  command: (id: string, body: JobCommandRequest) => apiClient.post<CommandAnswer>(`/jobs/${enc(id)}/commands`, body),
};
