import * as z from 'zod';

/**
 * The ERP's production-order interface as the job manager uses it (the ERP simulator serves it;
 * an adapter for a real ERP maps onto it). HTTP Basic auth.
 *   GET  /api/v1/production-orders?cursor=<c>&pageSize=<n>            changes after a cursor (preferred: no ties, no gaps)
 *   GET  /api/v1/production-orders?changedSince=<iso>&page=<p>&pageSize=<n>   changes at or after a timestamp, paged
 *        -> 200 ProductionOrderPage; each order appears once, in its latest version
 *   POST /api/v1/confirmations   body Confirmation -> 201 { confirmation } | 409 { error, original } (id already received)
 * Errors: 400 { error, fields: [{ path, message }] }, 401, 404 { error } (unknown order).
 */
const isoTime = z.iso.datetime({ offset: true });

export const erpOrderStatuses = ['released', 'cancelled', 'confirmed'] as const;
export type ErpOrderStatus = (typeof erpOrderStatuses)[number];

export const orderIdSchema = z.string().regex(/^[0-9]{6,12}$/, 'must be an order number of 6-12 digits');
export const operationSchema = z.string().regex(/^[0-9]{4}$/, 'must be a 4-digit operation number like 0010');

export const productionOrderSchema = z.strictObject({
  orderId: orderIdSchema,
  /** bumped by every change of quantity, due date, priority or status */
  version: z.number().int().min(1),
  partNumber: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,23}$/),
  quantity: z.number().int().min(1),
  unit: z.literal('PC'),
  dueDate: isoTime,
  /** 1 = most urgent … 9 = least */
  priority: z.number().int().min(1).max(9),
  operation: operationSchema,
  /** work centre (machine kind) and the machines of it that may run the order */
  workCenter: z.string(),
  eligibleMachines: z.array(z.string()).min(1),
  status: z.enum(erpOrderStatuses),
  createdAt: isoTime,
  changedAt: isoTime,
  /** position in the ERP's change log; the cursor of the next page is the last order's changeSeq */
  changeSeq: z.number().int().min(1),
});
export type ProductionOrder = z.infer<typeof productionOrderSchema>;

export const productionOrderPageSchema = z.strictObject({
  orders: z.array(productionOrderSchema),
  /** pass as cursor to get the changes after this page (equal to the request's cursor when nothing changed) */
  nextCursor: z.string(),
  hasMore: z.boolean(),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
  /** the ERP's clock (simulated time in the simulator) */
  serverTime: isoTime,
});
export type ProductionOrderPage = z.infer<typeof productionOrderPageSchema>;

export const confirmationSchema = z.strictObject({
  /** the client's idempotency key: the ERP refuses a second confirmation with the same id */
  confirmationId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$/, 'must be 8-64 letters, digits, "_", ".", ":" or "-"'),
  orderId: orderIdSchema,
  operation: operationSchema,
  machineId: z.string().min(1).max(32).optional(),
  goodQuantity: z.number().int().min(0),
  scrapQuantity: z.number().int().min(0),
  start: isoTime,
  end: isoTime,
  /** true: the operation is finished (final confirmation) */
  final: z.boolean(),
});
export type Confirmation = z.infer<typeof confirmationSchema>;

export const receivedConfirmationSchema = confirmationSchema.extend({ receivedAt: isoTime });
export type ReceivedConfirmation = z.infer<typeof receivedConfirmationSchema>;

export const erpPaths = {
  orders: '/api/v1/production-orders',
  confirmations: '/api/v1/confirmations',
} as const;
