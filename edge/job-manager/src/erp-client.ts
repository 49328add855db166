import { erpPaths, productionOrderPageSchema, type Confirmation, type ProductionOrderPage } from '@plant-twin/contracts';
import { requestJson } from './http-client.js';

export interface ErpClientOptions {
  url: string;
  user: string;
  password: string;
  timeoutMs?: number;
}

export type ConfirmOutcome = { kind: 'created' } | { kind: 'duplicate' } | { kind: 'rejected'; status: number; error: string } | { kind: 'retry'; status: number; error: string };

/** The job manager's side of the ERP production-order interface (HTTP Basic auth). */
export class ErpClient {
  private readonly auth: string;
  constructor(private readonly opts: ErpClientOptions) {
    this.auth = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  }

  async ordersAfter(cursor: string, pageSize = 100): Promise<ProductionOrderPage> {
    const r = await requestJson(`${this.opts.url}${erpPaths.orders}?cursor=${encodeURIComponent(cursor)}&pageSize=${pageSize}`, {
      method: 'GET',
      headers: { authorization: this.auth },
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    if (r.status !== 200) throw new Error(`ERP order list answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
    return productionOrderPageSchema.parse(r.body);
  }

  /** 201 and 409 both mean the ERP has this confirmation id; other 4xx will not get better by retrying. */
  async confirm(c: Confirmation): Promise<ConfirmOutcome> {
    const r = await requestJson(`${this.opts.url}${erpPaths.confirmations}`, {
      method: 'POST',
      headers: { authorization: this.auth },
      body: c,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    if (r.status === 201 || r.status === 200) return { kind: 'created' };
    if (r.status === 409) return { kind: 'duplicate' };
    const error = JSON.stringify(r.body).slice(0, 500);
    if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 408 && r.status !== 429) return { kind: 'rejected', status: r.status, error };
    return { kind: 'retry', status: r.status, error };
  }
}
