import type { Confirmation, ProductionOrder, ReceivedConfirmation } from '@plant-twin/contracts';
import type { CatalogItem } from './catalog.js';
import { Rng } from './rng.js';
import type { ErpStore } from './store.js';

export interface GeneratorOptions {
  seed: number;
  /** simulated seconds per real second */
  speed: number;
  /** mean simulated minutes between new orders; 0 = no generated orders */
  orderIntervalMin: number;
  /** mean simulated minutes between changes (new version or cancellation) of open orders; 0 = none */
  changeIntervalMin: number;
  /** share of changes that cancel the order */
  cancelShare: number;
  /** orders created at once on a fresh start */
  initialOrders: number;
  /** no new orders while this many are released */
  maxOpen: number;
}

export interface NewOrder {
  partNumber: string;
  quantity: number;
  workCenter?: string | undefined;
  dueDate?: string | undefined;
  priority?: number | undefined;
}

export interface OrderChange {
  quantity?: number | undefined;
  dueDate?: string | undefined;
  priority?: number | undefined;
  cancel?: boolean | undefined;
}

export type ConfirmResult =
  | { kind: 'accepted'; confirmation: ReceivedConfirmation }
  | { kind: 'duplicate'; original: ReceivedConfirmation }
  | { kind: 'unknown-order' }
  | { kind: 'wrong-operation'; expected: string };

const minute = 60_000;

/**
 * The simulated ERP: a clock running `speed` times real time, an order book that grows and
 * changes by seeded random events, and the confirmations received. All state is in the store.
 */
export class Erp {
  private readonly rng: Rng;
  private readonly baseSimMs: number;
  private readonly baseRealMs = Date.now();

  constructor(
    readonly store: ErpStore,
    private readonly catalog: CatalogItem[],
    private readonly opts: GeneratorOptions,
  ) {
    if (catalog.length === 0) throw new Error('the plant model offers no parts to order');
    this.baseSimMs = store.simTimeMs ?? Date.now();
    const fresh = store.generator === null;
    store.generator ??= { rng: opts.seed >>> 0 || 1, nextArrivalMs: this.baseSimMs, nextChangeMs: this.baseSimMs, nextOrderNo: 1 };
    this.rng = new Rng(store.generator.rng);
    if (fresh) {
      const g = store.generator;
      for (let i = 0; i < opts.initialOrders; i++) this.generateOrder();
      g.nextArrivalMs = this.baseSimMs + this.rng.exp(opts.orderIntervalMin) * minute;
      g.nextChangeMs = this.baseSimMs + this.rng.exp(opts.changeIntervalMin) * minute;
    }
    this.recoverConfirmedStatus();
    this.persist();
  }

  nowMs(): number {
    return this.baseSimMs + (Date.now() - this.baseRealMs) * this.opts.speed;
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }

  /** Applies every random event due by now in simulated-time order (called periodically). */
  tick(): void {
    const g = this.store.generator!;
    const now = this.nowMs();
    const arrivals = this.opts.orderIntervalMin > 0;
    const changes = this.opts.changeIntervalMin > 0;
    let changed = false;
    for (;;) {
      const nextArrival = arrivals ? g.nextArrivalMs : Infinity;
      const nextChange = changes ? g.nextChangeMs : Infinity;
      if (Math.min(nextArrival, nextChange) > now) break;
      if (nextArrival <= nextChange) {
        if (this.openCount() < this.opts.maxOpen) this.generateOrder(new Date(nextArrival));
        g.nextArrivalMs += Math.max(1, this.rng.exp(this.opts.orderIntervalMin) * minute);
      } else {
        this.randomChange(new Date(nextChange));
        g.nextChangeMs += Math.max(1, this.rng.exp(this.opts.changeIntervalMin) * minute);
      }
      changed = true;
    }
    if (changed) this.persist();
  }

  createOrder(spec: NewOrder, at = new Date(this.nowMs())): ProductionOrder {
    const item = this.catalog.find((c) => c.partNumber === spec.partNumber && (!spec.workCenter || c.workCenter === spec.workCenter));
    if (!item) throw new Error(`no machine makes ${spec.partNumber}${spec.workCenter ? ` at work centre ${spec.workCenter}` : ''}`);
    const g = this.store.generator!;
    const orderId = String(1_000_000 + g.nextOrderNo++).padStart(12, '0');
    const iso = at.toISOString();
    const order: ProductionOrder = {
      orderId,
      version: 1,
      partNumber: item.partNumber,
      quantity: spec.quantity,
      unit: 'PC',
      dueDate: spec.dueDate ?? new Date(at.getTime() + 8 * 60 * minute).toISOString(),
      priority: spec.priority ?? 5,
      operation: item.operation,
      workCenter: item.workCenter,
      eligibleMachines: [...item.eligibleMachines],
      status: 'released',
      createdAt: iso,
      changedAt: iso,
      changeSeq: this.store.nextSeq(),
    };
    this.store.putOrder(order);
    this.persist();
    return order;
  }

  /** A new version of an open order; confirmed and cancelled orders are closed to changes. */
  changeOrder(orderId: string, change: OrderChange, at = new Date(this.nowMs())): ProductionOrder | 'unknown' | 'closed' {
    const o = this.store.orders.get(orderId);
    if (!o) return 'unknown';
    if (o.status !== 'released') return 'closed';
    const next: ProductionOrder = {
      ...o,
      version: o.version + 1,
      quantity: change.quantity ?? o.quantity,
      dueDate: change.dueDate ?? o.dueDate,
      priority: change.priority ?? o.priority,
      status: change.cancel ? 'cancelled' : o.status,
      changedAt: at.toISOString(),
      changeSeq: this.store.nextSeq(),
    };
    this.store.putOrder(next);
    this.persist();
    return next;
  }

  /** Orders changed after the cursor, oldest change first. */
  ordersAfter(cursor: number, pageSize: number): { orders: ProductionOrder[]; hasMore: boolean } {
    const all = [...this.store.orders.values()].filter((o) => o.changeSeq > cursor).sort((a, b) => a.changeSeq - b.changeSeq);
    return { orders: all.slice(0, pageSize), hasMore: all.length > pageSize };
  }

  /** Orders changed at or after a time, oldest change first, one page. */
  ordersSince(sinceMs: number, page: number, pageSize: number): { orders: ProductionOrder[]; hasMore: boolean } {
    const all = [...this.store.orders.values()].filter((o) => Date.parse(o.changedAt) >= sinceMs).sort((a, b) => a.changeSeq - b.changeSeq);
    const from = (page - 1) * pageSize;
    return { orders: all.slice(from, from + pageSize), hasMore: all.length > from + pageSize };
  }

  confirm(c: Confirmation): ConfirmResult {
    const original = this.store.byConfirmationId.get(c.confirmationId);
    if (original) {
      this.store.duplicatesRejected++;
      this.persist();
      return { kind: 'duplicate', original };
    }
    const order = this.store.orders.get(c.orderId);
    if (!order) return { kind: 'unknown-order' };
    if (order.operation !== c.operation) return { kind: 'wrong-operation', expected: order.operation };
    const received: ReceivedConfirmation = { ...c, receivedAt: this.nowIso() };
    this.store.addConfirmation(received);
    if (c.final) this.markConfirmed(order);
    return { kind: 'accepted', confirmation: received };
  }

  persist(): void {
    this.store.generator!.rng = this.rng.state;
    this.store.save(this.nowMs());
  }

  private openCount(): number {
    let n = 0;
    for (const o of this.store.orders.values()) if (o.status === 'released') n++;
    return n;
  }

  private markConfirmed(order: ProductionOrder): void {
    // A final confirmation closes the order even if the ERP cancelled it meanwhile: the parts exist.
    if (order.status === 'confirmed') return;
    this.store.putOrder({ ...order, version: order.version + 1, status: 'confirmed', changedAt: this.nowIso(), changeSeq: this.store.nextSeq() });
    this.persist();
  }

  /** A crash between appending a final confirmation and saving the order book leaves the order open. */
  private recoverConfirmedStatus(): void {
    for (const c of this.store.confirmations) {
      const o = this.store.orders.get(c.orderId);
      if (c.final && o && o.status !== 'confirmed') this.markConfirmed(o);
    }
  }

  private generateOrder(at = new Date(this.nowMs())): ProductionOrder {
    const item = this.rng.pick(this.catalog);
    // half an hour to three hours of work on the slowest eligible machine, in round lots
    const hours = 0.5 + this.rng.next() * 2.5;
    const raw = (hours * 3600) / item.idealCycleS;
    const lot = raw >= 100 ? 50 : raw >= 20 ? 10 : 1;
    const quantity = Math.max(1, Math.round(raw / lot) * lot);
    const dueDate = new Date(at.getTime() + (4 + this.rng.next() * 20) * 60 * minute).toISOString();
    const priority = this.rng.next() < 0.15 ? this.rng.int(1, 3) : this.rng.int(4, 9);
    return this.createOrder({ partNumber: item.partNumber, workCenter: item.workCenter, quantity, dueDate, priority }, at);
  }

  private randomChange(at: Date): void {
    const open = [...this.store.orders.values()].filter((o) => o.status === 'released').sort((a, b) => a.changeSeq - b.changeSeq);
    if (open.length === 0) return;
    const o = this.rng.pick(open);
    if (this.rng.next() < this.opts.cancelShare) {
      this.changeOrder(o.orderId, { cancel: true }, at);
    } else if (this.rng.next() < 0.5) {
      this.changeOrder(o.orderId, { quantity: Math.max(1, Math.round(o.quantity * (0.6 + this.rng.next() * 0.8))) }, at);
    } else {
      this.changeOrder(o.orderId, { dueDate: new Date(Date.parse(o.dueDate) + (this.rng.next() - 0.4) * 8 * 60 * minute).toISOString() }, at);
    }
  }
}
