import type { ProductionOrder } from '@plant-twin/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedTransitions, transition, TransitionError } from './lifecycle.js';
import { jobStatuses } from './schema.js';
import { jobIdOf } from './sync.js';
import { dbTargets, startStack, type Stack } from './testing/harness.js';

describe.each(dbTargets().map((t) => [t().name, t] as const))('ERP sync and lifecycle on %s', (_name, target) => {
  let s: Stack;
  afterEach(async () => s?.close());

  it('turns orders into jobs once per (order, version), applies new versions and cancellations, keeps its cursor', async () => {
    s = await startStack(target, []);
    const a = (await s.erpCall('POST', '/api/v1/_sim/orders', { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 40, priority: 3 })).body as ProductionOrder;
    const b = (await s.erpCall('POST', '/api/v1/_sim/orders', { partNumber: 'BRK-4411', workCenter: 'press', quantity: 500 })).body as ProductionOrder;
    const jm = await s.startJm({ syncMs: 60_000 });
    await jm.step();
    await jm.step(); // the same orders again change nothing
    const jobs = await jm.db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(jobs.map((j) => [j.id, j.status, j.quantity, j.order_version, j.eligible_machines])).toEqual([
      [jobIdOf(a), 'released', 40, 1, ['CNC-01', 'CNC-02']],
      [jobIdOf(b), 'released', 500, 1, ['PRS-01', 'PRS-02']],
    ]);
    const events = await jm.db.selectFrom('job_events').select(['job_id', 'from_status', 'to_status']).where('kind', '=', 'transition').orderBy('id').execute();
    expect(events).toEqual([
      { job_id: jobIdOf(a), from_status: null, to_status: 'planned' },
      { job_id: jobIdOf(a), from_status: 'planned', to_status: 'released' },
      { job_id: jobIdOf(b), from_status: null, to_status: 'planned' },
      { job_id: jobIdOf(b), from_status: 'planned', to_status: 'released' },
    ]);

    await s.erpCall('PATCH', `/api/v1/_sim/orders/${a.orderId}`, { quantity: 60, dueDate: '2030-01-01T00:00:00.000Z' });
    await s.erpCall('PATCH', `/api/v1/_sim/orders/${b.orderId}`, { cancel: true });
    // a restart in between: the cursor is in the database, so only the two changes come
    await s.stopJm();
    const jm2 = await s.startJm({ syncMs: 60_000 });
    await jm2.step();
    const after = await jm2.db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(after.map((j) => [j.status, j.quantity, j.order_version, j.due_date.toISOString()])).toEqual([
      ['released', 60, 2, '2030-01-01T00:00:00.000Z'],
      ['cancelled', 500, 2, b.dueDate],
    ]);
    const change = await jm2.db.selectFrom('job_events').selectAll().where('job_id', '=', jobIdOf(a)).where('kind', '=', 'change').executeTakeFirstOrThrow();
    expect(change.detail).toMatchObject({ quantity: { from: 40, to: 60 } });
    const cursor = (await s.api('GET', '/api/v1/sync')).body.cursor;
    expect(Number(cursor)).toBe(4);
    expect(await jm2.db.selectFrom('job_events').select(jm2.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 7 });
  });

  it('enforces the transition table, records each transition, and writes the final confirmation with the completion', async () => {
    s = await startStack(target, []);
    const o = (await s.erpCall('POST', '/api/v1/_sim/orders', { partNumber: 'CLP-1001', quantity: 10 })).body as ProductionOrder;
    const jm = await s.startJm({ syncMs: 60_000, outboxMs: 60_000 });
    await jm.step();
    const id = jobIdOf(o);
    await expect(jm.db.transaction().execute((trx) => transition(trx, id, 'completed', { actor: 'api', reason: 'skip ahead' }))).rejects.toBeInstanceOf(TransitionError);
    // a failure later in the same transaction takes the transition, its event and its outbox row back
    await expect(
      jm.db.transaction().execute(async (trx) => {
        await transition(trx, id, 'dispatched', { actor: 'orchestrator', reason: 't', set: { machine_id: 'IMM-01' } });
        await transition(trx, id, 'completed', { actor: 'agent', reason: 't', set: { good: 10, scrap: 1 } });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect((await jm.db.selectFrom('outbox').selectAll().execute()).length).toBe(0);
    expect((await jm.db.selectFrom('jobs').select('status').executeTakeFirstOrThrow()).status).toBe('released');
    await jm.db.transaction().execute(async (trx) => {
      await transition(trx, id, 'dispatched', { actor: 'orchestrator', reason: 't', set: { machine_id: 'IMM-01' } });
      await transition(trx, id, 'completed', { actor: 'agent', reason: 't', set: { good: 10, scrap: 1, started_at: new Date('2026-01-01T06:00:00Z'), ended_at: new Date('2026-01-01T07:00:00Z') } });
    });
    const [row] = await jm.db.selectFrom('outbox').selectAll().execute();
    expect(row).toMatchObject({ confirmation_id: `${id}.${o.operation}.final`, status: 'pending' });
    expect(row!.payload).toEqual({ confirmationId: `${id}.${o.operation}.final`, orderId: o.orderId, operation: o.operation, machineId: 'IMM-01', goodQuantity: 10, scrapQuantity: 1, start: '2026-01-01T06:00:00.000Z', end: '2026-01-01T07:00:00.000Z', final: true });
    const detail = (await s.api('GET', `/api/v1/jobs/${id}`)).body;
    expect(detail.events.map((e: any) => `${e.from}->${e.to}`)).toEqual(['null->planned', 'planned->released', 'released->dispatched', 'dispatched->completed']);
    // every finished status is terminal; every status is in the table
    expect(Object.keys(allowedTransitions).sort()).toEqual([...jobStatuses].sort());
    for (const f of ['completed', 'cancelled', 'failed'] as const) expect(allowedTransitions[f]).toEqual([]);
  });
});
