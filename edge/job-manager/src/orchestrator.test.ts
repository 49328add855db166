import type { ProductionOrder, ReceivedConfirmation } from '@plant-twin/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { jobIdOf } from './sync.js';
import { dbTargets, secrets, startStack, until, type Stack } from './testing/harness.js';

const order = async (s: Stack, spec: Record<string, unknown>) => (await s.erpCall('POST', '/api/v1/_sim/orders', spec)).body as ProductionOrder;
const erpConfirmations = async (s: Stack) => (await s.erpCall('GET', '/api/v1/_sim/confirmations')).body as { confirmations: ReceivedConfirmation[]; duplicatesRejected: number };
const job = async (s: Stack, id: string) => (await s.api('GET', `/api/v1/jobs/${id}`)).body;

describe.each(dbTargets().map((t) => [t().name, t] as const))('orchestrator on %s', (_name, target) => {
  let s: Stack;
  afterEach(async () => s?.close());

  it('runs a machine sequence by priority then due date, follows progress, confirms each job exactly once; REST API', async () => {
    s = await startStack(target, ['CNC-01']);
    const late = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 6, priority: 5, dueDate: '2030-01-02T00:00:00.000Z' });
    const urgent = await order(s, { partNumber: 'KNC-7101', workCenter: 'cnc', quantity: 4, priority: 2, dueDate: '2030-01-03T00:00:00.000Z' });
    const early = await order(s, { partNumber: 'HUB-7002', workCenter: 'cnc', quantity: 5, priority: 5, dueDate: '2030-01-01T00:00:00.000Z' });
    const other = await order(s, { partNumber: 'BRK-4411', workCenter: 'press', quantity: 5 });
    await s.startJm();
    const ids = [urgent, early, late].map(jobIdOf);
    await until('three jobs completed and confirmed', async () => (await erpConfirmations(s)).confirmations.length === 3);
    const agent = s.agents.get('CNC-01')!;
    expect(agent.history).toEqual(ids);
    const truth = await erpConfirmations(s);
    for (const id of ids) {
      const a = agent.jobs.get(id)!;
      const c = truth.confirmations.find((x) => x.confirmationId.startsWith(id))!;
      expect(c).toMatchObject({ goodQuantity: a.good, scrapQuantity: a.scrap, final: true, machineId: 'CNC-01' });
      expect(a.good).toBe(a.quantity);
      const d = await job(s, id);
      expect(d.job).toMatchObject({ status: 'completed', good: a.good, scrap: a.scrap });
      expect(d.events.filter((e: any) => e.kind === 'transition').map((e: any) => e.to)).toEqual(['planned', 'released', 'dispatched', 'running', 'completed']);
      expect(d.confirmations).toMatchObject([{ status: 'delivered', erp_result: 'created' }]);
    }
    expect(truth.duplicatesRejected).toBe(0);

    // REST API: auth, filters, validation, operator actions
    const noAuth = await fetch(`${s.jm!.url}/api/v1/jobs`);
    expect(noAuth.status).toBe(401);
    expect((await s.api('GET', '/api/v1/jobs?status=completed&machine=CNC-01')).body.jobs.map((j: any) => j.id).sort()).toEqual([...ids].sort());
    expect((await s.api('GET', '/api/v1/jobs?part=BRK-4411')).body.jobs.map((j: any) => j.id)).toEqual([jobIdOf(other)]);
    expect((await s.api('GET', '/api/v1/jobs?from=2030-01-01T12:00:00Z&to=2030-01-02T12:00:00Z')).body.jobs.map((j: any) => j.id)).toEqual([jobIdOf(late)]);
    const bad = await s.api('GET', '/api/v1/jobs?status=done&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: any) => f.path).sort()).toEqual(['limit', 'status.0']);
    const press = jobIdOf(other); // no press pod configured: it waits in the queue
    expect((await s.api('POST', `/api/v1/jobs/${press}/priority`, { priority: 1 })).body.job.priority).toBe(1);
    expect((await s.api('POST', `/api/v1/jobs/${press}/priority`, { priority: 0 })).body.fields[0].path).toBe('priority');
    expect((await s.api('POST', `/api/v1/jobs/${press}/hold`)).body.job.status).toBe('held');
    expect((await s.api('POST', `/api/v1/jobs/${press}/hold`)).status).toBe(409);
    expect((await s.api('POST', `/api/v1/jobs/${press}/release`)).body.job.status).toBe('released');
    const machines = (await s.api('GET', '/api/v1/machines')).body;
    expect(machines.machines).toMatchObject([{ machineId: 'CNC-01', current: null, queue: [], health: { reachable: true } }]);
    expect((await s.api('POST', `/api/v1/jobs/${press}/cancel`)).body.job.status).toBe('cancelled');
    expect((await s.api('POST', `/api/v1/jobs/${ids[0]}/cancel`)).status).toBe(409);
    expect((await s.api('GET', '/api/v1/jobs/nope!')).status).toBe(400);
    expect((await s.api('GET', '/api/v1/jobs/000000000000-0010')).status).toBe(404);
    const metrics = await (await fetch(`${s.jm!.url}/metrics`, { headers: { authorization: `Bearer ${secrets.metricsToken}` } })).text();
    expect(metrics).toMatch(/jm_jobs\{status="completed"\} 3/);
  });

  it('applies an ERP cancellation and a lowered quantity to jobs in production', async () => {
    s = await startStack(target, ['CNC-01', 'CNC-02'], { setupMs: 20, cycleMs: 60, scrapEvery: 1000 });
    const x = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 500, priority: 1 });
    const y = await order(s, { partNumber: 'HUB-7002', workCenter: 'cnc', quantity: 500, priority: 1 });
    await s.startJm();
    await until('both running with some parts made', async () => {
      const [a, b] = await Promise.all([job(s, jobIdOf(x)), job(s, jobIdOf(y))]);
      return a.job?.status === 'running' && b.job?.status === 'running' && a.job.good >= 2 && b.job.good >= 2;
    });
    await s.erpCall('PATCH', `/api/v1/_sim/orders/${x.orderId}`, { cancel: true });
    const yJob = await job(s, jobIdOf(y));
    const lowered = yJob.job.good + 3;
    await s.erpCall('PATCH', `/api/v1/_sim/orders/${y.orderId}`, { quantity: lowered });
    const done = await until('x cancelled and y completed', async () => {
      const [a, b] = await Promise.all([job(s, jobIdOf(x)), job(s, jobIdOf(y))]);
      return a.job?.status === 'cancelled' && b.job?.status === 'completed' && [a, b];
    });
    const [xDone, yDone] = done;
    const agentOf = (d: any) => s.agents.get(d.job.machineId)!.jobs.get(d.job.id)!;
    expect(agentOf(xDone).status).toBe('cancelled');
    expect(agentOf(yDone).status).toBe('cancelled'); // stopped early on the machine
    expect(yDone.job.good).toBeGreaterThanOrEqual(lowered);
    expect(yDone.job).toMatchObject({ quantity: lowered, dispatchedQuantity: 500, good: agentOf(yDone).good });
    const truth = await until('both confirmed', async () => {
      const t = await erpConfirmations(s);
      return t.confirmations.length === 2 && t;
    });
    // a user holds a running job on its machine and releases it again
    const z = await order(s, { partNumber: 'KNC-7101', workCenter: 'cnc', quantity: 40, priority: 1 });
    const zid = jobIdOf(z);
    await until('z running', async () => (await job(s, zid)).job?.status === 'running');
    const held = await s.api('POST', `/api/v1/jobs/${zid}/hold`);
    expect(held.body.job).toMatchObject({ status: 'held' });
    expect(s.agents.get(held.body.job.machineId)!.jobs.get(zid)!.status).toBe('held');
    const resumed = await s.api('POST', `/api/v1/jobs/${zid}/release`);
    expect(resumed.body.job).toMatchObject({ status: 'running', machineId: held.body.job.machineId });
    await until('z completed', async () => (await job(s, zid)).job?.status === 'completed');
    // the cancelled job made parts: the ERP hears of them in a final confirmation
    expect(truth.confirmations.find((c) => c.orderId === x.orderId)).toMatchObject({ goodQuantity: agentOf(xDone).good, final: true });
    expect(truth.confirmations.find((c) => c.orderId === y.orderId)).toMatchObject({ goodQuantity: agentOf(yDone).good, final: true });
  });

  it('records a job that started and finished between two passes as running, then completed', async () => {
    s = await startStack(target, ['CNC-01'], { setupMs: 0, cycleMs: 0, scrapEvery: 1000 }); // the first look after dispatch finds it done
    const o = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 3 });
    await s.startJm();
    const d = await until('completed', async () => {
      const j = await job(s, jobIdOf(o));
      return j.job?.status === 'completed' && j;
    });
    const a = s.agents.get('CNC-01')!.jobs.get(jobIdOf(o))!;
    expect(d.events.filter((e: any) => e.kind === 'transition').map((e: any) => e.to)).toEqual(['planned', 'released', 'dispatched', 'running', 'completed']);
    expect(d.job).toMatchObject({ good: 3, startedAt: a.startedAt, endedAt: a.endedAt });
  });

  it('moves a job that has not started off an unreachable pod, and cancels the stray copy when the pod returns', async () => {
    s = await startStack(target, ['PRS-01', 'PRS-02'], (m) => (m === 'PRS-01' ? { setupMs: 600_000, cycleMs: 20, scrapEvery: 10 } : { setupMs: 20, cycleMs: 20, scrapEvery: 10 }));
    const prs1 = s.agents.get('PRS-01')!;
    const prs2 = s.agents.get('PRS-02')!;
    await prs2.stop();
    const o = await order(s, { partNumber: 'BRK-4411', workCenter: 'press', quantity: 20 });
    const id = jobIdOf(o);
    await s.startJm();
    await until('dispatched to PRS-01 (long setup)', async () => prs1.jobs.get(id)?.status === 'setup');
    await prs1.stop();
    await prs2.start();
    const d = await until('completed on PRS-02', async () => {
      const j = await job(s, id);
      return j.job?.status === 'completed' && j;
    });
    expect(d.job.machineId).toBe('PRS-02');
    expect(d.events.some((e: any) => e.to === 'released' && /PRS-01 unreachable/.test(e.reason))).toBe(true);
    await prs1.start(); // same port; it still has the job in setup
    await until('stray copy on PRS-01 cancelled', async () => prs1.jobs.get(id)?.status === 'cancelled');
    const truth = await until('confirmed', async () => {
      const t = await erpConfirmations(s);
      return t.confirmations.length > 0 && t;
    });
    expect(truth.confirmations).toMatchObject([{ orderId: o.orderId, machineId: 'PRS-02', goodQuantity: prs2.jobs.get(id)!.good }]);
  });

  it('reconciles after its own restart and after a pod restart that lost the job', async () => {
    s = await startStack(target, ['CNC-01'], { setupMs: 2000, cycleMs: 30, scrapEvery: 10 });
    const agent = s.agents.get('CNC-01')!;
    const a = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 15, priority: 1 });
    const b = await order(s, { partNumber: 'HUB-7002', workCenter: 'cnc', quantity: 5, priority: 2 });
    await s.startJm();
    await until('a running', async () => (await job(s, jobIdOf(a))).job?.status === 'running');
    await s.stopJm();
    await until('a completed on the machine while the job manager was away', () => agent.jobs.get(jobIdOf(a))?.status === 'completed');
    await s.startJm();
    await until('b dispatched', () => ['dispatched', 'setup'].includes(agent.jobs.get(jobIdOf(b))?.status ?? ''));
    expect((await job(s, jobIdOf(a))).job).toMatchObject({ status: 'completed', good: agent.jobs.get(jobIdOf(a))!.good });
    await agent.restartWiped(); // b was in setup: the pod forgot it
    const bDone = await until('b completed after re-dispatch', async () => {
      const j = await job(s, jobIdOf(b));
      return j.job?.status === 'completed' && j;
    });
    expect(bDone.events.some((e: any) => e.to === 'released' && /does not have the job/.test(e.reason))).toBe(true);
    expect(bDone.job.dispatchAttempts).toBe(2);
    const truth = await until('two confirmations', async () => {
      const t = await erpConfirmations(s);
      return t.confirmations.length === 2 && t;
    });
    expect(truth.confirmations.map((c) => c.orderId).sort()).toEqual([a.orderId, b.orderId].sort());
    expect(truth.duplicatesRejected).toBe(0);
  });
});
