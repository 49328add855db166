import { agentJobSchema, jobAgentPaths, type AgentJob, type DispatchJob, type JobAction } from '@plant-twin/contracts';
import { requestJson } from './http-client.js';

export type AgentAnswer = { ok: true; job: AgentJob } | { ok: false; status: number; error: string };

/** Client of one machine pod's job agent (bearer token). Transport failures throw Unreachable. */
export class AgentClient {
  constructor(
    readonly machineId: string,
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    return requestJson(this.baseUrl.replace(/\/$/, '') + path, { method, headers: { authorization: `Bearer ${this.token}` }, body, timeoutMs: this.timeoutMs });
  }

  private answer(r: { status: number; body: unknown }): AgentAnswer {
    if (r.status >= 200 && r.status < 300) return { ok: true, job: agentJobSchema.parse(r.body) };
    const error = (r.body as { error?: string } | null)?.error ?? `HTTP ${r.status}`;
    return { ok: false, status: r.status, error };
  }

  async dispatch(job: DispatchJob): Promise<AgentAnswer> {
    return this.answer(await this.call('POST', jobAgentPaths.jobs, job));
  }

  async action(jobId: string, action: JobAction): Promise<AgentAnswer> {
    return this.answer(await this.call('POST', jobAgentPaths.action(jobId, action)));
  }

  /** null: the agent has no such job */
  async get(jobId: string): Promise<AgentJob | null> {
    const r = await this.call('GET', jobAgentPaths.job(jobId));
    if (r.status === 404) return null;
    const a = this.answer(r);
    if (!a.ok) throw new Error(`job agent ${this.machineId} answered ${a.status}: ${a.error}`);
    return a.job;
  }

  /** null: the machine has no current job */
  async current(): Promise<AgentJob | null> {
    const r = await this.call('GET', jobAgentPaths.current);
    if (r.status === 204) return null;
    const a = this.answer(r);
    if (!a.ok) throw new Error(`job agent ${this.machineId} answered ${a.status}: ${a.error}`);
    return a.job;
  }
}
