import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command, CompareAnswer, JobDto, StoredPlan, WhatIfAnswer } from '@plant-twin/contracts';
import { checkPlan, type ScheduleProblemInput } from '@plant-twin/scheduler';
import { call } from '../test-support/http.js';
import { startTestCloud, testEdge, type TestCloud } from '../test-support/cloud.js';

/**
 * The schedule API over HTTP against a cloud on PostgreSQL (its start is a tenth of PGlite's here), with jobs pushed through the edge's own endpoint:
 * every plan the cloud answers is checked again here with the scheduler's feasibility checker, from the
 * problem the cloud stored with it.
 */
const hour = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const now0 = Date.now();
const job = (id: string, over: Partial<JobDto> = {}): JobDto => ({
  id, orderId: `O-${id}`, operation: '0010', orderVersion: 1, partNumber: 'BRK-4411', workCenter: 'press', quantity: 3000, dispatchedQuantity: null,
  dueDate: iso(now0 + 12 * hour), priority: 5, eligibleMachines: ['PRS-01', 'PRS-02'], status: 'released', machineId: null, good: 0, scrap: 0,
  cancelRequested: false, dispatchAttempts: 0, startedAt: null, endedAt: null, message: null, createdAt: iso(now0 - hour), updatedAt: iso(now0 - hour), ...over,
});

/** presses, moulding and machining: 22 jobs, one running on PRS-01 and one dispatched to IMM-01 */
function plantJobs(): JobDto[] {
  const parts = [
    ['BRK-4411', ['PRS-01', 'PRS-02'], 3000],
    ['BRK-4412', ['PRS-01', 'PRS-02'], 2500],
    ['RNF-2201', ['PRS-01', 'PRS-02'], 1500],
    ['CLP-1001', ['IMM-01', 'IMM-02'], 400],
    ['HSG-3001', ['IMM-01', 'IMM-02'], 200],
    ['HUB-7001', ['CNC-01', 'CNC-02'], 60],
    ['KNC-7101', ['CNC-01', 'CNC-02'], 40],
  ] as const;
  return Array.from({ length: 22 }, (_, i) => {
    const [partNumber, eligible, quantity] = parts[i % parts.length]!;
    return job(`J-${String(i + 1).padStart(2, '0')}`, { partNumber, eligibleMachines: [...eligible], quantity, priority: 1 + ((i * 5) % 9), dueDate: iso(now0 + (4 + ((i * 7) % 40)) * hour) });
  }).map((j) => (j.id === 'J-01' ? { ...j, status: 'running', machineId: 'PRS-01', good: 1000, startedAt: iso(now0 - hour) } : j.id === 'J-04' ? { ...j, status: 'dispatched', machineId: 'IMM-01' } : j));
}

describe('schedule API (PostgreSQL)', () => {
  let t: TestCloud;
  let url: string;
  let planner: string;
  let viewer: string;
  const api = (method: string, path: string, body?: unknown, token = planner) => call(method, `${url}/api/v1${path}`, { token, timeoutMs: 120_000, ...(body === undefined ? {} : { body }) });
  const edge = (method: string, path: string, body?: unknown) => call(method, `${url}/api/v1${path}`, { token: testEdge.token, headers: { 'x-edge-id': testEdge.id }, ...(body === undefined ? {} : { body }) });
  const push = (jobs: JobDto[]) => edge('POST', '/edge/jobs', { edgeId: testEdge.id, jobs, events: [] });
  /** the plan and the problem the cloud planned, checked with the scheduler's checker (against its parent for edits and re-plans) */
  const fetchChecked = async (id: string, previous?: StoredPlan) => {
    const r = await api('GET', `/schedule/plans/${id}?problem=1`);
    expect(r.status).toBe(200);
    const { plan, problem } = r.body as { plan: StoredPlan; problem: ScheduleProblemInput };
    expect(checkPlan(problem, plan.plan, previous ? { previous: previous.plan } : {})).toEqual([]);
    expect(plan.violations).toEqual([]);
    return { plan, problem };
  };
  const sequences = (p: StoredPlan) => Object.fromEntries(p.plan.machines.map((m) => [m.machineId, m.jobs.map((j) => j.jobId)]));
  const create = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/schedule/plans', { seed: 3, maxTicks: 3000, boundS: 0, ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return (await fetchChecked(r.body.plan.id)).plan;
  };
  let base: StoredPlan;

  beforeAll(async () => {
    t = await startTestCloud('postgres', { commandLifetimeMs: 60_000 });
    url = t.cloud.url;
    planner = (await t.user('paula', 'planner')).token;
    viewer = (await t.user('vic', 'viewer')).token;
    expect((await push(plantJobs())).status).toBe(200);
    base = await create({ label: 'base', start: now0, boundS: 3 });
  });
  afterAll(async () => t?.close());

  it('plans the open jobs of the mirror: running jobs first with what is left, rates, calendars and per-job data', async () => {
    expect(base.plan.machines.flatMap((m) => m.jobs)).toHaveLength(22);
    const prs1 = base.plan.machines.find((m) => m.machineId === 'PRS-01')!;
    expect(prs1.jobs[0]).toMatchObject({ jobId: 'J-01', running: true });
    expect(base.plan.machines.find((m) => m.machineId === 'IMM-01')!.jobs[0]).toMatchObject({ jobId: 'J-04', running: true });
    // no OEE history in this cloud: the documented fallback
    expect(base.rates['PRS-01']).toEqual({ performance: 1, availability: 1, scrapRate: 0, source: 'ideal', hours: 0 });
    expect(base.jobs['J-05']).toMatchObject({ orderId: 'O-J-05', priority: expect.any(Number), eligible: [{ machineId: 'IMM-01' }, { machineId: 'IMM-02' }] });
    // breaks of the three-shift calendar greyed out on every machine
    expect(base.offShift['PRS-01']!.some((o) => o.kind === 'off' && o.to - o.from === 15 * 60_000)).toBe(true);
    expect(base.plan.lowerBound.total).toBeLessThanOrEqual(base.plan.score.total);
    // HiGHS's bound of the relaxation beats the scheduler's own here, and the gap says how far from optimal at most
    expect(base.plan.lowerBound.method).toMatch(/^highs/);
    expect(base.plan.gap).toBeLessThan(0.5);
    expect(base.plan.score.total).toBeGreaterThanOrEqual(0);
    const list = await api('GET', '/schedule/plans', undefined, viewer);
    expect(list.status).toBe(200);
    expect(list.body.plans.find((p: { id: string }) => p.id === base.id)).toMatchObject({ label: 'base', jobCount: 22, createdBy: 'paula', publication: null });
  });

  it('is deterministic under a seed through the API (the same start, seed and ticks give the same plan)', async () => {
    const again = await create({ start: now0 });
    expect(sequences(again)).toEqual(sequences(base));
    expect(again.plan.score).toEqual(base.plan.score);
    const other = await create({ start: now0, seed: 4, objective: 'makespan' });
    expect(other.objective).toBe('makespan');
    expect(other.plan.objective).toEqual({ tardiness: 0, setup: 0, makespan: 1 });
  });

  it('moves a job (locked where the planner put it, the rest repaired around it), locks, unlocks and re-optimises around locks', async () => {
    // the first job after the running one on PRS-01 goes to the head of PRS-02
    const mover = sequences(base)['PRS-01']![1]!;
    const moved = await api('POST', `/schedule/plans/${base.id}/move`, { jobId: mover, machineId: 'PRS-02', position: 0 });
    expect(moved.status, JSON.stringify(moved.body)).toBe(201);
    const m = (await fetchChecked(moved.body.plan.id, base)).plan;
    expect(m.parentId).toBe(base.id);
    expect(m.operation).toEqual({ kind: 'move', jobId: mover, machineId: 'PRS-02', position: 0 });
    expect(sequences(m)['PRS-02']![0]).toBe(mover);
    expect(m.locks).toContainEqual({ jobId: mover, machineId: 'PRS-02', position: 0 });
    // the others keep their order on both machines
    for (const id of ['PRS-01', 'PRS-02']) expect(sequences(m)[id]!.filter((j) => j !== mover)).toEqual(sequences(base)[id]!.filter((j) => j !== mover));

    const locked = await api('POST', `/schedule/plans/${m.id}/lock`, { jobId: 'J-05' });
    expect(locked.status).toBe(201);
    const l = (await fetchChecked(locked.body.plan.id, m)).plan;
    const where = l.plan.machines.flatMap((x) => x.jobs).find((j) => j.jobId === 'J-05')!;
    expect(l.locks).toContainEqual({ jobId: 'J-05', machineId: where.machineId, position: where.position });
    expect(where.locked).toBe(true);

    const optimised = await api('POST', `/schedule/plans/${l.id}/optimise`, { maxTicks: 2000, boundS: 0 });
    expect(optimised.status).toBe(201);
    const o = (await fetchChecked(optimised.body.plan.id, l)).plan;
    expect(sequences(o)['PRS-02']![0]).toBe(mover);
    expect(o.plan.machines.flatMap((x) => x.jobs).find((j) => j.jobId === 'J-05')).toMatchObject({ machineId: where.machineId, position: where.position });
    expect(o.plan.score.total).toBeLessThanOrEqual(l.plan.score.total + 1e-6);

    const unlocked = await api('POST', `/schedule/plans/${o.id}/unlock`, { jobId: 'J-05' });
    expect(unlocked.status).toBe(201);
    expect((await fetchChecked(unlocked.body.plan.id, o)).plan.locks.map((x) => x.jobId)).toEqual([mover]);

    const cmp = await api('GET', `/schedule/compare?a=${base.id}&b=${m.id}`, undefined, viewer);
    expect(cmp.status).toBe(200);
    const c = cmp.body as CompareAnswer;
    expect(c.moved.find((x) => x.jobId === mover)).toMatchObject({ from: { machineId: 'PRS-01', position: 1 }, to: { machineId: 'PRS-02', position: 0 } });
    // a job on a machine the move did not touch has not moved
    expect(c.moved.map((x) => x.jobId)).not.toContain(sequences(base)['CNC-01']![0]);
    expect(c.delta.total).toBeCloseTo(m.plan.score.total - base.plan.score.total, 6);
  });

  it('re-plans after a machine fault at once, keeping every job of the frozen window where it was', async () => {
    const busiest = [...base.plan.machines].sort((a, b) => b.jobs.length - a.jobs.length)[0]!.machineId;
    const r = await api('POST', `/schedule/plans/${base.id}/replan`, { event: { kind: 'fault', machineId: busiest, repairMin: 90 } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const { plan: re, problem } = await fetchChecked(r.body.plan.id, base);
    expect(re.operation).toEqual({ kind: 'replan', event: { kind: 'fault', machineId: busiest, repairMin: 90 } });
    expect(re.frozenWindowMin).toBe(120);
    expect(problem.frozenWindowMin).toBe(120);
    expect(problem.machines.find((m) => m.id === busiest)!.downtime).toContainEqual(expect.objectContaining({ reason: 'fault (expected repair 90 min)' }));
    expect(re.plan.stats.msFirstFeasible).toBeLessThan(2000);
    // a rush order of a job the mirror has, and one that is new
    const rush = await api('POST', `/schedule/plans/${re.id}/replan`, { event: { kind: 'rush', jobId: 'J-20', priority: 1, dueDate: Date.now() + 3 * hour }, timeLimitMs: 200 });
    expect(rush.status).toBe(201);
    expect((await fetchChecked(rush.body.plan.id, re)).plan.jobs['J-20']!.priority).toBe(1);
    const fresh = await api('POST', `/schedule/plans/${re.id}/replan`, { event: { kind: 'rush', jobId: 'R-1', partNumber: 'HUB-7002', quantity: 20, dueDate: Date.now() + 6 * hour }, timeLimitMs: 200 });
    expect(fresh.status).toBe(201);
    const f = (await fetchChecked(fresh.body.plan.id, re)).plan;
    expect(f.jobs['R-1']).toMatchObject({ status: 'rush', eligible: [{ machineId: 'CNC-01' }, { machineId: 'CNC-02' }] });
    // a plan with a job the job manager does not know cannot go to the edge
    const refused = await api('POST', `/schedule/plans/${f.id}/publish`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/does not know R-1/);
  });

  it('optimises off the event loop: probes answer while it runs, and a plan takes one change at a time', async () => {
    const order: string[] = [];
    const long = api('POST', `/schedule/plans/${base.id}/optimise`, { timeLimitMs: 3000, boundS: 0 }).then((r) => (order.push('plan'), r));
    await new Promise((r) => setTimeout(r, 300));
    const probe = await call('GET', `${url}/health/live`);
    order.push('probe');
    expect(probe.status).toBe(200);
    const second = await api('POST', `/schedule/plans/${base.id}/lock`, { jobId: 'J-05' });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(/being worked on \(optimise\)/);
    const done = await long;
    expect(done.status).toBe(201);
    expect(order).toEqual(['probe', 'plan']);
    await fetchChecked(done.body.plan.id, base);
  });

  it('answers bad input with the job and machine named, never a crash', async () => {
    const lockBad = await api('POST', `/schedule/plans/${base.id}/lock`, { jobId: 'J-03', machineId: 'CNC-01', position: 1 });
    expect(lockBad.status).toBe(422);
    expect(lockBad.body.error).toMatch(/J-03.*CNC-01.*not among its eligible machines/);
    expect(lockBad.body.issues[0]).toMatchObject({ code: 'lock-ineligible-machine', jobId: 'J-03', machineId: 'CNC-01' });
    expect((await api('POST', `/schedule/plans/${base.id}/move`, { jobId: 'J-99', machineId: 'PRS-01', position: 0 })).status).toBe(404);
    const malformed = await api('POST', '/schedule/plans', { objective: 'fastest', timeLimitMs: -1 });
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['objective', 'timeLimitMs']));
    expect((await api('POST', '/schedule/plans', {}, viewer)).status).toBe(403);
    expect((await api('GET', '/schedule/plans/not-a-plan')).status).toBe(400);

    // a job the edge reports without any eligible machine
    await push([job('J-BAD', { eligibleMachines: [] })]);
    const noMachine = await api('POST', '/schedule/plans', { maxTicks: 0, boundS: 0 });
    expect(noMachine.status).toBe(422);
    expect(noMachine.body.error).toMatch(/job J-BAD has no eligible machine/);
    expect(noMachine.body.issues).toContainEqual(expect.objectContaining({ code: 'no-eligible-machine', jobId: 'J-BAD' }));
    // left out by the planner, the rest is planned and the plan says so
    const without = await api('POST', '/schedule/plans', { maxTicks: 0, exclude: ['J-BAD'], boundS: 0 });
    expect(without.status).toBe(201);
    expect((await fetchChecked(without.body.plan.id)).plan.excluded).toContainEqual({ jobId: 'J-BAD', reason: 'left out by the planner' });

    // no working time before a due date: planned maintenance covers the only machine until after it
    await push([job('J-BAD', { status: 'cancelled', eligibleMachines: [], updatedAt: iso(Date.now()) }), job('J-TIGHT', { partNumber: 'SFR-5502', eligibleMachines: ['WLD-01'], quantity: 10, dueDate: iso(Date.now() + 5 * hour) })]);
    const w = await api('POST', '/schedule/maintenance', { machineId: 'WLD-01', from: Date.now() - 60_000, to: Date.now() + 8 * hour, reason: 'robot overhaul' });
    expect(w.status).toBe(201);
    const noCapacity = await api('POST', '/schedule/plans', { maxTicks: 0, boundS: 0 });
    expect(noCapacity.status).toBe(422);
    expect(noCapacity.body.issues).toContainEqual(expect.objectContaining({ code: 'no-capacity-before-due', jobId: 'J-TIGHT' }));
    expect(noCapacity.body.error).toMatch(/J-TIGHT.*WLD-01.*no working time/);
    expect((await api('POST', '/schedule/maintenance', { machineId: 'WLD-01', from: 5, to: 1, reason: 'x' })).status).toBe(400);
    expect((await api('POST', '/schedule/maintenance', { machineId: 'XYZ-01', from: Date.now(), to: Date.now() + hour, reason: 'x' })).body.error).toMatch(/no machine XYZ-01/);
    // the window is shown as maintenance in a plan made after it
    await api('DELETE', `/schedule/maintenance/${w.body.window.id}`);
    await api('POST', '/schedule/maintenance', { machineId: 'WLD-01', from: Date.now() + hour, to: Date.now() + 2 * hour, reason: 'robot overhaul' });
    const withWindow = await api('POST', '/schedule/plans', { maxTicks: 0, boundS: 0 });
    expect(withWindow.status).toBe(201);
    expect((await fetchChecked(withWindow.body.plan.id)).plan.offShift['WLD-01']).toContainEqual(expect.objectContaining({ kind: 'maintenance', reason: 'maintenance: robot overhaul' }));
    await push([job('J-TIGHT', { status: 'cancelled', updatedAt: iso(Date.now()) })]);
  });

  it('simulates a plan on the machine behaviour model with its spread', async () => {
    const r = await api('POST', `/schedule/plans/${base.id}/whatif`, { seeds: 3, horizonH: 24 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const w = (r.body as WhatIfAnswer).whatIf;
    expect(w.seeds).toBe(3);
    const j = w.jobs['J-03']!;
    expect(j.completion.p10).toBeLessThanOrEqual(j.completion.p50);
    expect(j.completion.p50).toBeLessThanOrEqual(j.completion.p90);
    const prs = w.machines['PRS-02']!;
    expect(prs.oee!.p50).toBeGreaterThan(0.3);
    expect(prs.oee!.p90).toBeLessThanOrEqual(1.2);
    // same seeds, same answer
    const again = (await api('POST', `/schedule/plans/${base.id}/whatif`, { seeds: 3, horizonH: 24 })).body as WhatIfAnswer;
    expect(again.whatIf.jobs).toEqual(w.jobs);
    expect((await api('GET', `/schedule/plans/${base.id}`)).body.plan.whatIf.seeds).toBe(3);
    // compared with a plan without a what-if: the simulated figures of the one that has one
    const other = (await api('GET', '/schedule/plans?limit=200')).body.plans.find((p: StoredPlan) => p.id !== base.id);
    const cmp = (await api('GET', `/schedule/compare?a=${base.id}&b=${other.id}`)).body as CompareAnswer;
    expect(cmp.whatIf.a).toMatchObject({ seeds: 3, lateJobs: w.plant.lateJobs });
    expect(cmp.whatIf.b).toBeNull();
  });

  it('publishes a plan as a schedule.publish command the edge fetches, and shows its result', async () => {
    const r = await api('POST', `/schedule/plans/${base.id}/publish`, { reason: 'morning plan' });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const command = r.body.command as Command;
    expect(command).toMatchObject({ type: 'schedule.publish', target: base.id, status: 'pending', createdBy: 'paula' });
    const args = command.args as { machines: Record<string, string[]>; frozenUntil: number; planId: string };
    expect(args.planId).toBe(base.id);
    // the running job stays where it is and is not sent
    expect(args.machines['PRS-01']).toEqual(sequences(base)['PRS-01']!.slice(1));
    expect(args.frozenUntil - command.createdAt).toBe(120 * 60_000);
    expect(r.body.plan.publication).toMatchObject({ commandId: command.id, status: 'pending', by: 'paula' });
    const audit = await call('GET', `${url}/api/v1/audit?action=schedule.publish`, { token: t.adminToken });
    expect(audit.body[0]).toMatchObject({ username: 'paula', action: 'schedule.publish', target: base.id, detail: { commandId: command.id, after: args.machines, reason: 'morning plan' } });

    const fetched = await edge('GET', '/edge/commands?after=0&waitS=0');
    expect(fetched.body.commands.map((c: Command) => c.id)).toContain(command.id);
    expect((await edge('POST', `/edge/commands/${command.id}/result`, { status: 'applied', before: {}, after: args.machines, at: Date.now() })).status).toBe(200);
    const after = (await api('GET', `/schedule/plans/${base.id}`, undefined, viewer)).body.plan as StoredPlan;
    expect(after.publication).toMatchObject({ commandId: command.id, status: 'applied' });
  });
});
