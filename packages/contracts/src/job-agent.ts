import * as z from 'zod';

/**
 * The job agent REST API every machine pod serves (bearer token auth), used by the job manager.
 *   POST /api/v1/jobs                      dispatch (body: DispatchJob)          -> 201 AgentJob
 *   POST /api/v1/jobs/:jobId/<action>      action = start | hold | resume | cancel -> 200 AgentJob
 *   GET  /api/v1/jobs/current              -> 200 AgentJob | 204 (no job)
 *   GET  /api/v1/jobs/:jobId               -> 200 AgentJob | 404
 *   GET  /api/v1/jobs?limit=n              -> 200 { jobs: AgentJob[] } newest first (this machine's history)
 * Errors: 400 { error, fields: [{ path, message }] }, 401, 404, 409 { error } (e.g. machine busy).
 */
export const jobIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be 1-32 letters, digits, "-" or "_"');

export const dispatchJobSchema = z.strictObject({
  jobId: jobIdSchema,
  partNumber: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,23}$/, 'must be a part number like BRK-4411'),
  quantity: z.number().int().min(1).max(1_000_000),
  /** start right after the changeover; false waits for an explicit start */
  autoStart: z.boolean().default(true),
});
export type DispatchJob = z.output<typeof dispatchJobSchema>;

export const jobActions = ['start', 'hold', 'resume', 'cancel'] as const;
export type JobAction = (typeof jobActions)[number];

export const agentJobStatuses = ['dispatched', 'setup', 'running', 'held', 'completed', 'cancelled', 'rejected', 'failed'] as const;
export type AgentJobStatus = (typeof agentJobStatuses)[number];
export const finishedAgentStatuses: readonly AgentJobStatus[] = ['completed', 'cancelled', 'rejected', 'failed'];

export const agentJobSchema = z.strictObject({
  jobId: jobIdSchema,
  machineId: z.string(),
  partNumber: z.string(),
  quantity: z.number().int(),
  status: z.enum(agentJobStatuses),
  good: z.number().int().min(0),
  scrap: z.number().int().min(0),
  dispatchedAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  message: z.string().nullable(),
});
export type AgentJob = z.infer<typeof agentJobSchema>;

export const jobAgentPaths = {
  jobs: '/api/v1/jobs',
  current: '/api/v1/jobs/current',
  job: (jobId: string) => `/api/v1/jobs/${encodeURIComponent(jobId)}`,
  action: (jobId: string, action: JobAction) => `/api/v1/jobs/${encodeURIComponent(jobId)}/${action}`,
} as const;
