import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProductionOrder, ReceivedConfirmation } from '@plant-twin/contracts';

export interface GeneratorState {
  rng: number;
  nextArrivalMs: number;
  nextChangeMs: number;
  nextOrderNo: number;
}

interface Snapshot {
  simTimeMs: number;
  changeSeq: number;
  generator: GeneratorState | null;
  orders: ProductionOrder[];
  duplicatesRejected: number;
}

/**
 * The ERP's records: orders (latest version of each, plus every version in `history`) and every
 * confirmation received. Confirmations are appended and fsync'ed before the ERP answers, so an
 * accepted confirmation survives any crash; orders are a snapshot replaced atomically on change.
 * Without a data directory everything lives in memory.
 */
export class ErpStore {
  readonly orders = new Map<string, ProductionOrder>();
  readonly history: ProductionOrder[] = [];
  readonly confirmations: ReceivedConfirmation[] = [];
  readonly byConfirmationId = new Map<string, ReceivedConfirmation>();
  changeSeq = 0;
  duplicatesRejected = 0;
  simTimeMs: number | null = null;
  generator: GeneratorState | null = null;
  private confFd: number | null = null;

  constructor(private readonly dir?: string) {
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const snap = join(dir, 'orders.json');
    if (existsSync(snap)) {
      const s = JSON.parse(readFileSync(snap, 'utf8')) as Snapshot;
      this.simTimeMs = s.simTimeMs;
      this.changeSeq = s.changeSeq;
      this.generator = s.generator;
      this.duplicatesRejected = s.duplicatesRejected;
      for (const o of s.orders) this.orders.set(o.orderId, o);
    }
    const confFile = join(dir, 'confirmations.jsonl');
    if (existsSync(confFile)) {
      for (const line of readFileSync(confFile, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let c: ReceivedConfirmation;
        try {
          c = JSON.parse(line) as ReceivedConfirmation;
        } catch {
          continue; // a line torn by a crash mid-append was never acknowledged
        }
        this.confirmations.push(c);
        this.byConfirmationId.set(c.confirmationId, c);
      }
    }
    this.confFd = openSync(confFile, 'a');
  }

  nextSeq(): number {
    return ++this.changeSeq;
  }

  putOrder(o: ProductionOrder): void {
    this.orders.set(o.orderId, o);
    this.history.push(o);
  }

  /** Durable before it returns: the caller answers the client only afterwards. */
  addConfirmation(c: ReceivedConfirmation): void {
    if (this.confFd !== null) {
      writeSync(this.confFd, `${JSON.stringify(c)}\n`);
      fsyncSync(this.confFd);
    }
    this.confirmations.push(c);
    this.byConfirmationId.set(c.confirmationId, c);
  }

  save(simTimeMs: number): void {
    this.simTimeMs = simTimeMs;
    if (!this.dir) return;
    const s: Snapshot = { simTimeMs, changeSeq: this.changeSeq, generator: this.generator, orders: [...this.orders.values()], duplicatesRejected: this.duplicatesRejected };
    const tmp = join(this.dir, 'orders.json.tmp');
    writeFileSync(tmp, JSON.stringify(s));
    renameSync(tmp, join(this.dir, 'orders.json'));
  }

  close(): void {
    if (this.confFd !== null) closeSync(this.confFd);
    this.confFd = null;
  }
}
