import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentJobSchema, dispatchJobSchema, finishedAgentStatuses, jobActions, jobIdSchema, type AgentJob } from '@plant-twin/contracts';
import { createLogger, HttpError, listen, requireBearer, validate } from '@plant-twin/runtime';
import express, { type NextFunction, type Request, type Response } from 'express';

/**
 * A small, real HTTP job agent implementing packages/contracts job-agent.ts, for orchestrator
 * tests: one job at a time, setup for `setupMs`, then one good part every `cycleMs` (every
 * `scrapEvery`-th part scrap) until the quantity is made. It can go down (port closed, state kept)
 * and come back on the same port, or restart with its memory wiped.
 */
export class FakeAgent {
  jobs = new Map<string, AgentJob>();
  /** jobs in dispatch order */
  history: string[] = [];
  rejectParts = new Set<string>();
  /** per job: autoStart flag and when its current phase (setup, last part) began */
  private readonly progress = new Map<string, { autoStart: boolean; phaseAt: number }>();
  private server: Server | null = null;
  private ticker: NodeJS.Timeout | null = null;
  port = 0;

  constructor(
    readonly machineId: string,
    private readonly token: string,
    private readonly timing = { setupMs: 50, cycleMs: 20, scrapEvery: 10 },
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  current(): AgentJob | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const j = this.jobs.get(this.history[i]!)!;
      if (!finishedAgentStatuses.includes(j.status)) return j;
    }
    return undefined;
  }

  async start(): Promise<this> {
    const app = express();
    app.use(express.json());
    app.use(requireBearer(this.token));
    app.post('/api/v1/jobs', (req, res) => {
      const d = validate(dispatchJobSchema, req.body);
      if (this.jobs.has(d.jobId)) throw new HttpError(409, `job ${d.jobId} already dispatched`);
      const busy = this.current();
      if (busy) throw new HttpError(409, `machine busy with ${busy.jobId}`);
      const rejected = this.rejectParts.has(d.partNumber);
      const job: AgentJob = {
        jobId: d.jobId,
        machineId: this.machineId,
        partNumber: d.partNumber,
        quantity: d.quantity,
        status: rejected ? 'rejected' : 'dispatched',
        good: 0,
        scrap: 0,
        dispatchedAt: new Date().toISOString(),
        startedAt: null,
        endedAt: rejected ? new Date().toISOString() : null,
        message: rejected ? `part ${d.partNumber} not set up on ${this.machineId}` : null,
      };
      this.jobs.set(d.jobId, job);
      this.history.push(d.jobId);
      this.progress.set(d.jobId, { autoStart: d.autoStart, phaseAt: Date.now() });
      res.status(201).json(this.view(job));
    });
    app.get('/api/v1/jobs/current', (_req, res) => {
      const c = this.current();
      if (!c) return void res.status(204).end();
      res.json(this.view(c));
    });
    app.get('/api/v1/jobs', (req, res) => {
      const limit = Number(req.query.limit ?? 20);
      res.json({ jobs: [...this.history].reverse().slice(0, limit).map((id) => this.view(this.jobs.get(id)!)) });
    });
    app.get('/api/v1/jobs/:jobId', (req, res) => {
      const j = this.jobs.get(validate(jobIdSchema, req.params.jobId));
      if (!j) throw new HttpError(404, 'no such job');
      res.json(this.view(j));
    });
    app.post('/api/v1/jobs/:jobId/:action', (req, res) => {
      const j = this.jobs.get(validate(jobIdSchema, req.params.jobId));
      if (!j) throw new HttpError(404, 'no such job');
      const action = req.params.action as (typeof jobActions)[number];
      if (!jobActions.includes(action)) throw new HttpError(404, 'no such action');
      if (finishedAgentStatuses.includes(j.status)) throw new HttpError(409, `job is ${j.status}`);
      const now = new Date().toISOString();
      if (action === 'cancel') Object.assign(j, { status: 'cancelled', endedAt: now, message: 'cancelled by the job manager' });
      else if (action === 'hold') {
        if (j.status !== 'running' && j.status !== 'setup' && j.status !== 'dispatched') throw new HttpError(409, `cannot hold a ${j.status} job`);
        j.status = 'held';
      } else if (action === 'resume') {
        if (j.status !== 'held') throw new HttpError(409, 'job is not held');
        j.status = 'running';
        j.startedAt ??= now;
        this.phase(j, Date.now());
      } else if (action === 'start') {
        if (j.status !== 'dispatched') throw new HttpError(409, `cannot start a ${j.status} job`);
        j.status = 'setup';
      }
      res.json(this.view(j));
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = err as { status?: number; message?: string; fields?: unknown };
      if (e?.fields) return void res.status(400).json({ error: 'invalid request', fields: e.fields });
      res.status(e instanceof HttpError ? e.status : 500).json({ error: e?.message ?? 'error' });
    });
    this.server = await listen(app, this.port, '127.0.0.1');
    this.server.keepAliveTimeout = 65_000;
    this.port = (this.server.address() as AddressInfo).port;
    this.ticker = setInterval(() => this.advance(), 5);
    return this;
  }

  /** Port closed, connections cut; the machine's state stays (the machine keeps working). */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  /** A pod restart that loses everything it knew. */
  async restartWiped(): Promise<void> {
    await this.stop();
    this.jobs.clear();
    this.progress.clear();
    this.history = [];
    await this.start();
  }

  private view(j: AgentJob): AgentJob {
    return agentJobSchema.parse(j);
  }

  private phase(j: AgentJob, at: number) {
    this.progress.get(j.jobId)!.phaseAt = at;
  }

  private advance() {
    const now = Date.now();
    for (const j of this.jobs.values()) {
      const x = this.progress.get(j.jobId)!;
      if (j.status === 'dispatched' && x.autoStart) {
        j.status = 'setup';
        this.phase(j, now);
      }
      if (j.status === 'setup' && now - x.phaseAt >= this.timing.setupMs) {
        j.status = 'running';
        j.startedAt = new Date().toISOString();
        this.phase(j, now);
      }
      if (j.status !== 'running') continue;
      while (now - x.phaseAt >= this.timing.cycleMs && j.good < j.quantity) {
        x.phaseAt += this.timing.cycleMs;
        if ((j.good + j.scrap + 1) % this.timing.scrapEvery === 0) j.scrap++;
        else j.good++;
      }
      if (j.good >= j.quantity) Object.assign(j, { status: 'completed', endedAt: new Date().toISOString() });
    }
  }
}

export const quietLog = () => {
  const log = createLogger('job-manager-test');
  log.level = process.env.TEST_LOG ?? 'silent';
  return log;
};
