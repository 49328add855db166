import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { confirmationSchema, erpPaths, orderIdSchema, type ProductionOrderPage } from '@plant-twin/contracts';
import type { Plant } from '@plant-twin/plant-model';
import { createServiceApp, HttpError, jsonBody, listen, validate, ValidationError, type Logger } from '@plant-twin/runtime';
import { Counter, Gauge } from 'prom-client';
import * as z from 'zod';
import { requireBasic } from './auth.js';
import { orderCatalog } from './catalog.js';
import { Erp, type GeneratorOptions } from './erp.js';
import { FaultInjector, faultsSchema, reply, type Faults } from './faults.js';
import { ErpStore } from './store.js';

export interface ErpSimOptions {
  plant: Plant;
  user: string;
  password: string;
  log: Logger;
  port?: number;
  host?: string;
  /** persistent records; omitted: in memory */
  dataDir?: string | undefined;
  generator?: Partial<GeneratorOptions>;
  faults?: Partial<Faults>;
  /** real milliseconds between applications of due random events */
  tickMs?: number;
}

export interface ErpSim {
  url: string;
  port: number;
  erp: Erp;
  faults: FaultInjector;
  close(): Promise<void>;
}

export const defaultGenerator: GeneratorOptions = {
  seed: 1,
  speed: 1,
  orderIntervalMin: 30,
  changeIntervalMin: 120,
  cancelShare: 0.25,
  initialOrders: 8,
  maxOpen: 40,
};

const isoTime = z.iso.datetime({ offset: true });
const listQuery = z
  .object({
    cursor: z.string().regex(/^\d{1,15}$/, 'must be a cursor returned as nextCursor').optional(),
    changedSince: isoTime.optional(),
    page: z.coerce.number().int().min(1).default(1),
    pageSize: z.coerce.number().int().min(1).max(500).default(100),
  })
  .refine((q) => !(q.cursor !== undefined && q.changedSince !== undefined), { message: 'give either cursor or changedSince, not both', path: ['cursor'] })
  .refine((q) => !(q.cursor !== undefined && q.page !== 1), { message: 'page applies to changedSince; with a cursor use nextCursor', path: ['page'] });

const newOrderSchema = z.strictObject({
  partNumber: z.string().min(1),
  quantity: z.number().int().min(1).max(1_000_000),
  workCenter: z.string().optional(),
  dueDate: isoTime.optional(),
  priority: z.number().int().min(1).max(9).optional(),
});
const orderChangeSchema = z.strictObject({
  quantity: z.number().int().min(1).max(1_000_000).optional(),
  dueDate: isoTime.optional(),
  priority: z.number().int().min(1).max(9).optional(),
  cancel: z.literal(true).optional(),
});

/** Starts the ERP simulator's HTTP service in this process. */
export async function startErpSim(opts: ErpSimOptions): Promise<ErpSim> {
  const gen: GeneratorOptions = { ...defaultGenerator, ...opts.generator };
  const store = new ErpStore(opts.dataDir);
  const erp = new Erp(store, orderCatalog(opts.plant), gen);
  const faults = new FaultInjector(faultsSchema.parse(opts.faults ?? {}), gen.seed);
  const { app, registry, finish } = createServiceApp({ log: opts.log, ready: () => true });

  const confirmations = new Counter({ name: 'erp_confirmations_total', help: 'confirmations received, by outcome', labelNames: ['outcome'], registers: [registry] });
  new Gauge({
    name: 'erp_orders',
    help: 'production orders by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { released: 0, cancelled: 0, confirmed: 0 };
      for (const o of store.orders.values()) counts[o.status]!++;
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });

  app.use('/api', requireBasic(opts.user, opts.password), jsonBody());

  app.get(erpPaths.orders, faults.middleware('orders'), (req, res) => {
    const q = validate(listQuery, req.query);
    const page =
      q.changedSince !== undefined ? erp.ordersSince(Date.parse(q.changedSince), q.page, q.pageSize) : erp.ordersAfter(Number(q.cursor ?? 0), q.pageSize);
    const last = page.orders.at(-1);
    const body: ProductionOrderPage = {
      orders: page.orders,
      nextCursor: String(last ? last.changeSeq : Number(q.cursor ?? 0)),
      hasMore: page.hasMore,
      page: q.page,
      pageSize: q.pageSize,
      serverTime: erp.nowIso(),
    };
    reply(res, 200, body);
  });

  app.post(erpPaths.confirmations, faults.middleware('confirmations'), (req, res) => {
    const c = validate(confirmationSchema, req.body);
    if (Date.parse(c.end) < Date.parse(c.start)) throw new ValidationError([{ path: 'end', message: 'must not be before start' }]);
    const r = erp.confirm(c);
    switch (r.kind) {
      case 'accepted':
        confirmations.inc({ outcome: 'accepted' });
        return reply(res, 201, { confirmation: r.confirmation });
      case 'duplicate':
        confirmations.inc({ outcome: 'duplicate' });
        return reply(res, 409, { error: `confirmation ${c.confirmationId} was already received`, original: r.original });
      case 'unknown-order':
        confirmations.inc({ outcome: 'rejected' });
        throw new HttpError(404, `no production order ${c.orderId}`);
      case 'wrong-operation':
        confirmations.inc({ outcome: 'rejected' });
        throw new ValidationError([{ path: 'operation', message: `order ${c.orderId} has operation ${r.expected}` }]);
    }
  });

  // Simulator back door: ground truth for tests and scenario runs, and a way to script orders.
  app.get('/api/v1/_sim/orders', (_req, res) => {
    res.json({ orders: [...store.orders.values()].sort((a, b) => a.orderId.localeCompare(b.orderId)), versions: store.history.length, serverTime: erp.nowIso() });
  });
  app.post('/api/v1/_sim/orders', (req, res) => {
    const spec = validate(newOrderSchema, req.body);
    try {
      res.status(201).json(erp.createOrder(spec));
    } catch (err) {
      throw new ValidationError([{ path: 'partNumber', message: (err as Error).message }]);
    }
  });
  app.patch('/api/v1/_sim/orders/:orderId', (req, res) => {
    const orderId = validate(orderIdSchema, req.params.orderId);
    const r = erp.changeOrder(orderId, validate(orderChangeSchema, req.body));
    if (r === 'unknown') throw new HttpError(404, `no production order ${orderId}`);
    if (r === 'closed') throw new HttpError(409, `order ${orderId} is closed (confirmed or cancelled)`);
    res.json(r);
  });
  app.get('/api/v1/_sim/confirmations', (_req, res) => {
    res.json({ confirmations: store.confirmations, duplicatesRejected: store.duplicatesRejected });
  });
  app.get('/api/v1/_sim/faults', (_req, res) => void res.json(faults.faults));
  app.put('/api/v1/_sim/faults', (req, res) => {
    faults.faults = validate(faultsSchema, req.body);
    opts.log.warn({ faults: faults.faults }, 'fault injection changed');
    res.json(faults.faults);
  });
  finish();

  const ticker = setInterval(() => {
    try {
      erp.tick();
    } catch (err) {
      opts.log.error({ err }, 'order generator failed');
    }
  }, opts.tickMs ?? 200);
  let server: Server;
  try {
    server = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  } catch (err) {
    clearInterval(ticker);
    store.close();
    throw err;
  }
  // idle keep-alive sockets: let the client close first (undici: 4 s), or a reused socket the
  // server just closed comes back as ECONNRESET
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port, speed: gen.speed, seed: gen.seed, orders: store.orders.size, confirmations: store.confirmations.length }, 'ERP simulator listening');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    erp,
    faults,
    close: async () => {
      clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      erp.persist();
      store.close();
    },
  };
}
