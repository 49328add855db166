import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { dispatchJobSchema, jobActions, jobAgentPaths, jobIdSchema } from '@plant-twin/contracts';
import { requireBearer, validate } from '@plant-twin/runtime';
import type { JobAgent } from './agent.js';

const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
const jobParams = z.object({ jobId: jobIdSchema });
const actionParams = z.object({ jobId: jobIdSchema, action: z.enum(jobActions) });

/**
 * Async handlers hand their errors to the error handler themselves and return nothing, so they do
 * not depend on router's promise detection (which broke when `require('is-promise')` resolved to
 * the package's ESM build under an "import" resolve condition).
 */
const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
  fn(req, res).catch(next);
};

/** The job agent REST API (packages/contracts/src/job-agent.ts), behind bearer auth. */
export function jobAgentRouter(agent: JobAgent, token: string): Router {
  const r = Router();
  r.use(jobAgentPaths.jobs, requireBearer(token));
  r.post(jobAgentPaths.jobs, handle(async (req, res) => {
    const spec = validate(dispatchJobSchema, req.body ?? {});
    res.status(201).json(await agent.dispatch(spec));
  }));
  r.get(jobAgentPaths.jobs, (req, res) => {
    const { limit } = validate(limitQuery, req.query);
    res.json({ jobs: agent.list(limit) });
  });
  r.get(jobAgentPaths.current, (_req, res) => {
    const job = agent.current();
    if (job) res.json(job);
    else res.status(204).end();
  });
  r.get(`${jobAgentPaths.jobs}/:jobId`, (req, res) => {
    const { jobId } = validate(jobParams, req.params);
    const job = agent.get(jobId);
    if (job) res.json(job);
    else res.status(404).json({ error: `no job ${jobId}` });
  });
  r.post(`${jobAgentPaths.jobs}/:jobId/:action`, handle(async (req, res) => {
    const { jobId, action } = validate(actionParams, req.params);
    res.json(await agent.action(jobId, action));
  }));
  return r;
}
