import type {
  CompareAnswer,
  CreatePlanRequest,
  LockPlanJobRequest,
  MovePlanJobRequest,
  OptimisePlanRequest,
  PlanAnswer,
  PlanEvent,
  PlansAnswer,
  PublishAnswer,
  WhatIfAnswer,
  WhatIfRequest,
} from '@plant-twin/contracts';
import { apiClient } from '../lib/api/index.js';

const enc = encodeURIComponent;
const plan = (id: string) => `/schedule/plans/${enc(id)}`;
/** planning and simulation run up to a minute (and wait their turn): longer than the client's default */
const long = 180_000;

/** The cloud's schedule API (cloud/README.md "Production schedule"): every change answers a new plan. */
export const scheduleApi = {
  list: (limit = 30) => apiClient.get<PlansAnswer>('/schedule/plans', { limit }),
  get: (id: string) => apiClient.get<PlanAnswer>(plan(id)),
  create: (body: CreatePlanRequest) => apiClient.post<PlanAnswer>('/schedule/plans', body, long),
  move: (id: string, body: MovePlanJobRequest) => apiClient.post<PlanAnswer>(`${plan(id)}/move`, body, long),
  lock: (id: string, body: LockPlanJobRequest) => apiClient.post<PlanAnswer>(`${plan(id)}/lock`, body, long),
  unlock: (id: string, jobId: string) => apiClient.post<PlanAnswer>(`${plan(id)}/unlock`, { jobId }, long),
  optimise: (id: string, body: OptimisePlanRequest = {}) => apiClient.post<PlanAnswer>(`${plan(id)}/optimise`, body, long),
  replan: (id: string, event: PlanEvent) => apiClient.post<PlanAnswer>(`${plan(id)}/replan`, { event }, long),
  whatIf: (id: string, body: WhatIfRequest) => apiClient.post<WhatIfAnswer>(`${plan(id)}/whatif`, body, long),
  compare: (a: string, b: string) => apiClient.get<CompareAnswer>('/schedule/compare', { a, b }),
  publish: (id: string) => apiClient.post<PublishAnswer>(`${plan(id)}/publish`, {}),
};
