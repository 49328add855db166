import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productionOrderPageSchema, type Confirmation, type ProductionOrder } from '@plant-twin/contracts';
import { loadPlant } from '@plant-twin/plant-model';
import { createLogger } from '@plant-twin/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { orderCatalog } from './catalog.js';
import { startErpSim, type ErpSim, type ErpSimOptions } from './server.js';

const plant = loadPlant();
const log = createLogger('erp-sim-test');
log.level = process.env.TEST_LOG ?? 'silent';
const dirs: string[] = [];
const sims: ErpSim[] = [];
afterAll(async () => {
  for (const s of sims) await s.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const auth = { authorization: `Basic ${Buffer.from('erp:s3cret').toString('base64')}` };
async function start(extra: Partial<ErpSimOptions> = {}) {
  const sim = await startErpSim({ plant, log, user: 'erp', password: 's3cret', host: '127.0.0.1', ...extra, generator: { initialOrders: 0, orderIntervalMin: 0, changeIntervalMin: 0, ...extra.generator } });
  sims.push(sim);
  return sim;
}
function tmp() {
  const d = mkdtempSync(join(tmpdir(), 'erp-sim-'));
  dirs.push(d);
  return d;
}
async function call(sim: ErpSim, method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const r = await fetch(sim.url + path, { method, headers: { ...headers, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: r.status, body: r.status === 204 ? null : ((await r.json()) as any) };
}
const confirmation = (order: ProductionOrder, id: string, extra: Partial<Confirmation> = {}): Confirmation => ({
  confirmationId: id,
  orderId: order.orderId,
  operation: order.operation,
  goodQuantity: order.quantity,
  scrapQuantity: 2,
  start: '2026-01-01T06:00:00.000Z',
  end: '2026-01-01T07:00:00.000Z',
  final: true,
  ...extra,
});

describe('ERP simulator', () => {
  it('orders what the machines that take jobs make, one routing operation per work centre and part', () => {
    const catalog = orderCatalog(plant);
    expect(catalog.find((c) => c.workCenter === 'cmm')).toBeUndefined(); // the CMM takes no job files
    expect(catalog.find((c) => c.workCenter === 'welding' && c.partNumber === 'BRK-4411')).toMatchObject({ eligibleMachines: ['WLD-01'], idealCycleS: 18, operation: '0030' });
    expect(catalog.find((c) => c.workCenter === 'press' && c.partNumber === 'BRK-4411')).toMatchObject({ eligibleMachines: ['PRS-01', 'PRS-02'], operation: '0010' });
  });

  it('refuses requests without valid credentials', async () => {
    const sim = await start();
    expect((await call(sim, 'GET', '/api/v1/production-orders', undefined, {})).status).toBe(401);
    const wrong = { authorization: `Basic ${Buffer.from('erp:nope').toString('base64')}` };
    expect((await call(sim, 'GET', '/api/v1/production-orders', undefined, wrong)).status).toBe(401);
    expect((await call(sim, 'GET', '/api/v1/production-orders')).status).toBe(200);
  });

  it('lists changed orders by cursor and by timestamp, each once in its latest version', async () => {
    const sim = await start();
    const a = (await call(sim, 'POST', '/api/v1/_sim/orders', { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 40 })).body as ProductionOrder;
    const b = (await call(sim, 'POST', '/api/v1/_sim/orders', { partNumber: 'BRK-4411', workCenter: 'press', quantity: 500, priority: 2 })).body as ProductionOrder;
    expect(a.eligibleMachines).toEqual(['CNC-01', 'CNC-02']);
    expect(b.eligibleMachines).toEqual(['PRS-01', 'PRS-02']);
    const first = productionOrderPageSchema.parse((await call(sim, 'GET', '/api/v1/production-orders?pageSize=1')).body);
    expect(first.orders.map((o) => o.orderId)).toEqual([a.orderId]);
    expect(first.hasMore).toBe(true);
    const second = productionOrderPageSchema.parse((await call(sim, 'GET', `/api/v1/production-orders?pageSize=1&cursor=${first.nextCursor}`)).body);
    expect(second.orders.map((o) => o.orderId)).toEqual([b.orderId]);
    expect(second.hasMore).toBe(false);
    const changed = (await call(sim, 'PATCH', `/api/v1/_sim/orders/${a.orderId}`, { quantity: 60 })).body as ProductionOrder;
    expect(changed.version).toBe(2);
    const third = productionOrderPageSchema.parse((await call(sim, 'GET', `/api/v1/production-orders?cursor=${second.nextCursor}`)).body);
    expect(third.orders).toMatchObject([{ orderId: a.orderId, version: 2, quantity: 60 }]);
    const empty = productionOrderPageSchema.parse((await call(sim, 'GET', `/api/v1/production-orders?cursor=${third.nextCursor}`)).body);
    expect(empty.orders).toEqual([]);
    expect(empty.nextCursor).toBe(third.nextCursor);
    const since = productionOrderPageSchema.parse((await call(sim, 'GET', `/api/v1/production-orders?changedSince=${encodeURIComponent(a.createdAt)}&page=1&pageSize=10`)).body);
    expect(since.orders.map((o) => [o.orderId, o.version])).toEqual([[b.orderId, 1], [a.orderId, 2]]);
    const bad = await call(sim, 'GET', '/api/v1/production-orders?changedSince=yesterday&pageSize=9999');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: any) => f.path).sort()).toEqual(['changedSince', 'pageSize']);
  });

  it('accepts a confirmation once and answers 409 with the original to a repeat, across a restart', async () => {
    const dataDir = tmp();
    const sim = await start({ dataDir });
    const o = (await call(sim, 'POST', '/api/v1/_sim/orders', { partNumber: 'CLP-1001', quantity: 100 })).body as ProductionOrder;
    const c = confirmation(o, 'job-1:0010:final');
    const first = await call(sim, 'POST', '/api/v1/confirmations', c);
    expect(first.status).toBe(201);
    expect(first.body.confirmation).toMatchObject(c);
    await sim.close();
    const again = await start({ dataDir });
    const dup = await call(again, 'POST', '/api/v1/confirmations', { ...c, goodQuantity: 1 });
    expect(dup.status).toBe(409);
    expect(dup.body.original).toEqual(first.body.confirmation);
    const truth = (await call(again, 'GET', '/api/v1/_sim/confirmations')).body;
    expect(truth.confirmations).toHaveLength(1);
    expect(truth.duplicatesRejected).toBe(1);
    const orders = (await call(again, 'GET', '/api/v1/_sim/orders')).body.orders as ProductionOrder[];
    expect(orders).toMatchObject([{ orderId: o.orderId, status: 'confirmed' }]);
  });

  it('validates confirmations and names the fields', async () => {
    const sim = await start();
    const o = (await call(sim, 'POST', '/api/v1/_sim/orders', { partNumber: 'CLP-1001', quantity: 100 })).body as ProductionOrder;
    const r = await call(sim, 'POST', '/api/v1/confirmations', { ...confirmation(o, 'x'), goodQuantity: -1, final: 'yes' });
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: any) => f.path).sort()).toEqual(['confirmationId', 'final', 'goodQuantity']);
    const unknown = await call(sim, 'POST', '/api/v1/confirmations', { ...confirmation(o, 'abcdefgh-1'), orderId: '000009999999' });
    expect(unknown.status).toBe(404);
    const backwards = await call(sim, 'POST', '/api/v1/confirmations', { ...confirmation(o, 'abcdefgh-2'), end: '2026-01-01T05:00:00.000Z' });
    expect(backwards.body.fields).toEqual([{ path: 'end', message: 'must not be before start' }]);
  });

  it('generates the same orders from the same seed and changes or cancels some over simulated time', async () => {
    const gen = { seed: 7, speed: 3600 * 4, orderIntervalMin: 30, changeIntervalMin: 20, initialOrders: 3 };
    const a = await start({ generator: gen, tickMs: 20 });
    const b = await start({ generator: gen, tickMs: 20 });
    await new Promise((r) => setTimeout(r, 1500)); // ~6 simulated hours
    await Promise.all([a.close(), b.close()]);
    const strip = (sim: ErpSim) => sim.erp.store.history.slice(0, 12).map((o) => [o.orderId, o.version, o.partNumber, o.quantity, o.status, o.priority]);
    expect(a.erp.store.history.length).toBeGreaterThan(12);
    expect(strip(a)).toEqual(strip(b));
    const statuses = new Set(a.erp.store.history.map((o) => o.status));
    expect(statuses.has('cancelled')).toBe(true);
    expect(a.erp.store.history.some((o) => o.version > 1 && o.status === 'released')).toBe(true);
  });

  it('injects faults: 503, dropped connections, and dropping the answer after recording', async () => {
    const sim = await start();
    const o = (await call(sim, 'POST', '/api/v1/_sim/orders', { partNumber: 'CLP-1001', quantity: 100 })).body as ProductionOrder;
    expect((await call(sim, 'PUT', '/api/v1/_sim/faults', { down: true })).status).toBe(200);
    expect((await call(sim, 'GET', '/api/v1/production-orders')).status).toBe(503);
    await call(sim, 'PUT', '/api/v1/_sim/faults', { drop: 1 });
    await expect(call(sim, 'GET', '/api/v1/production-orders')).rejects.toThrow();
    await call(sim, 'PUT', '/api/v1/_sim/faults', { dropAfterCommit: 1 });
    await expect(call(sim, 'POST', '/api/v1/confirmations', confirmation(o, 'lost-answer-1'))).rejects.toThrow();
    await call(sim, 'PUT', '/api/v1/_sim/faults', {});
    const retry = await call(sim, 'POST', '/api/v1/confirmations', confirmation(o, 'lost-answer-1'));
    expect(retry.status).toBe(409);
    const bad = await call(sim, 'PUT', '/api/v1/_sim/faults', { error5xx: 2 });
    expect(bad.body.fields[0].path).toBe('error5xx');
  });
});
