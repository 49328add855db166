import * as z from 'zod';
import { dispatchJobSchema, jobActions, jobAgentPaths, jobIdSchema } from '@plant-twin/contracts';
import { validate, type LightService } from '@plant-twin/runtime';
import type { JobAgent } from './agent.js';

const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
const jobParams = z.object({ jobId: jobIdSchema });
const actionParams = z.object({ jobId: jobIdSchema, action: z.enum(jobActions) });

/** The job agent REST API (packages/contracts/src/job-agent.ts), behind bearer auth. */
export function addJobAgentRoutes(service: LightService, agent: JobAgent, token: string): void {
  const auth = { auth: token };
  service.route('POST', jobAgentPaths.jobs, async (req) => ({ status: 201, body: await agent.dispatch(validate(dispatchJobSchema, req.body ?? {})) }), auth);
  service.route('GET', jobAgentPaths.jobs, (req) => ({ status: 200, body: { jobs: agent.list(validate(limitQuery, req.query).limit) } }), auth);
  // before /jobs/:jobId, which would take "current" for a job id
  service.route('GET', jobAgentPaths.current, () => {
    const job = agent.current();
    return job ? { status: 200, body: job } : { status: 204 };
  }, auth);
  service.route('GET', `${jobAgentPaths.jobs}/:jobId`, (req) => {
    const { jobId } = validate(jobParams, req.params);
    const job = agent.get(jobId);
    return job ? { status: 200, body: job } : { status: 404, body: { error: `no job ${jobId}` } };
  }, auth);
  service.route('POST', `${jobAgentPaths.jobs}/:jobId/:action`, async (req) => {
    const { jobId, action } = validate(actionParams, req.params);
    return { status: 200, body: await agent.action(jobId, action) };
  }, auth);
}
