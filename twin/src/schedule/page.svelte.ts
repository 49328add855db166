import type { Command, CompareAnswer, CreatePlanRequest, PlanAnswer, PlanEvent, PlanSummary, ScheduleRefusal, StoredPlan } from '@plant-twin/contracts';
import { ApiError } from '../lib/api/index.js';
import { scheduleApi } from './api.js';

/**
 * The schedule page's state: the plans the cloud holds, the one on screen, the one it is compared with,
 * the selected job, what is running (one change at a time: the cloud works on a plan's change in order),
 * and the last refusal with the cloud's reasons. Every change answers a new plan, which becomes the one
 * on screen (its id goes into the URL, so back returns to the plan before the change).
 */
export type Busy = 'create' | 'move' | 'lock' | 'unlock' | 'optimise' | 'replan' | 'whatif' | 'compare' | 'publish' | 'load';

export class SchedulePage {
  plans = $state<PlanSummary[]>([]);
  current = $state<StoredPlan | null>(null);
  comparison = $state<CompareAnswer | null>(null);
  selected = $state<string | null>(null);
  busy = $state<Busy | null>(null);
  error = $state<string | null>(null);
  issues = $state<ScheduleRefusal['issues']>([]);
  /** the jobs placed differently in the compared plan */
  moved = $derived(new Set(this.comparison?.moved.map((m) => m.jobId) ?? []));

  constructor(
    private readonly api = scheduleApi,
    /** told the id of each new plan (the view puts it into the URL) */
    private readonly onPlan: (id: string) => void = () => undefined,
  ) {}

  private async run<T>(what: Busy, f: () => Promise<T>): Promise<T | null> {
    if (this.busy) return null;
    this.busy = what;
    this.error = null;
    this.issues = [];
    try {
      return await f();
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      if (e instanceof ApiError && e.body && typeof e.body === 'object' && 'issues' in e.body) this.issues = (e.body as ScheduleRefusal).issues;
      return null;
    } finally {
      this.busy = null;
    }
  }

  async loadList(): Promise<void> {
    try {
      this.plans = (await this.api.list()).plans;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  /** Shows a plan (the newest when no id is given). */
  async open(id: string | null): Promise<void> {
    const target = id ?? this.plans[0]?.id ?? null;
    if (!target || target === this.current?.id) return;
    await this.run('load', async () => {
      this.current = (await this.api.get(target)).plan;
      if (this.selected && !this.current.plan.machines.some((m) => m.jobs.some((j) => j.jobId === this.selected))) this.selected = null;
    });
  }

  private async take(what: Busy, f: () => Promise<PlanAnswer>): Promise<boolean> {
    const r = await this.run(what, f);
    if (!r) return false;
    this.current = r.plan;
    this.comparison = null;
    this.onPlan(r.plan.id);
    void this.loadList();
    return true;
  }

  create(body: CreatePlanRequest): Promise<boolean> {
    return this.take('create', () => this.api.create(body));
  }

  move(jobId: string, machineId: string, position: number): Promise<boolean> {
    const id = this.current?.id;
    return id ? this.take('move', () => this.api.move(id, { jobId, machineId, position })) : Promise.resolve(false);
  }

  toggleLock(jobId: string): Promise<boolean> {
    const cur = this.current;
    if (!cur) return Promise.resolve(false);
    const locked = cur.locks.some((l) => l.jobId === jobId);
    return this.take(locked ? 'unlock' : 'lock', () => (locked ? this.api.unlock(cur.id, jobId) : this.api.lock(cur.id, { jobId })));
  }

  optimise(timeLimitMs: number): Promise<boolean> {
    const id = this.current?.id;
    return id ? this.take('optimise', () => this.api.optimise(id, { timeLimitMs })) : Promise.resolve(false);
  }

  replan(event: PlanEvent): Promise<boolean> {
    const id = this.current?.id;
    return id ? this.take('replan', () => this.api.replan(id, event)) : Promise.resolve(false);
  }

  async whatIf(seeds: number): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const r = await this.run('whatif', () => this.api.whatIf(cur.id, { seeds }));
    if (r && this.current?.id === cur.id) this.current = { ...this.current, whatIf: r.whatIf };
  }

  async compareWith(other: string | null): Promise<void> {
    const cur = this.current;
    if (!cur || !other) {
      this.comparison = null;
      return;
    }
    this.comparison = await this.run('compare', () => this.api.compare(other, cur.id));
  }

  async publish(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const r = await this.run('publish', () => this.api.publish(cur.id));
    if (r && this.current?.id === cur.id) this.current = { ...this.current, publication: r.plan.publication };
    void this.loadList();
  }

  /** A live `command` event: the publication of the plan on screen moves from pending to applied or refused. */
  applyCommand(c: Command): void {
    if (c.type !== 'schedule.publish') return;
    const cur = this.current;
    if (cur?.publication?.commandId === c.id && rank(c.status) >= rank(cur.publication.status)) {
      this.current = { ...cur, publication: { ...cur.publication, status: c.status, ...(c.reason ? { reason: c.reason } : {}) } };
    }
    this.plans = this.plans.map((p) => (p.publication?.commandId === c.id && rank(c.status) >= rank(p.publication.status) ? { ...p, publication: { ...p.publication, status: c.status } } : p));
  }
}

const rank = (s: Command['status']) => (s === 'pending' ? 0 : s === 'delivered' ? 1 : 2);
