import * as z from 'zod';
import { machineMessageSchema } from './messages.js';

/**
 * Edge -> cloud ingestion. The data publisher POSTs batches to `/api/v1/ingest` over HTTPS,
 * body gzip-compressed JSON (Content-Encoding: gzip), `Authorization: Bearer <edge credential>`,
 * `X-Edge-Id: <edgeId>`. Batches of one edge carry consecutive sequence numbers starting at 1; the
 * cloud stores a batch once (edge id + seq) and answers with the highest seq it holds, so a resent
 * batch is acknowledged without being stored twice.
 */
export const ingestPath = '/api/v1/ingest';

export const ingestBatchSchema = z.strictObject({
  v: z.literal(1),
  edgeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  seq: z.number().int().min(1),
  sentAt: z.number().int().min(0),
  messages: z.array(machineMessageSchema).min(1).max(10_000),
});
export type IngestBatch = z.infer<typeof ingestBatchSchema>;

export const ingestAckSchema = z.strictObject({
  /** highest batch seq of this edge the cloud has stored */
  ack: z.number().int().min(0),
  duplicate: z.boolean(),
  stored: z.number().int().min(0),
  /** messages of the batch stamped outside the cloud's accepted time window, kept in its quarantine (absent: none) */
  quarantined: z.number().int().min(1).optional(),
});
export type IngestAck = z.infer<typeof ingestAckSchema>;
