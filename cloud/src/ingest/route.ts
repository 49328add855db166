import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ingestBatchSchema, type MachineMessage } from '@plant-twin/contracts';
import { bearerToken, readBody } from '@plant-twin/runtime';
import type { EdgeAuth } from '../auth/edge-auth.js';
import type { CloudTables } from '../db/schema.js';
import { storeBatch } from './store.js';
import type { AcceptWindow } from './window.js';

const gunzipAsync = promisify(gunzip);

export interface IngestDeps {
  db: Kysely<CloudTables>;
  edges: EdgeAuth;
  smallStopThresholdS: number;
  log: Logger;
  registry: Registry;
  onStored: (messages: MachineMessage[], edgeId: string) => void;
  /** compressed body limit (bytes) */
  maxBodyBytes?: number;
  /** decompressed body limit (bytes): guards against gzip bombs */
  maxJsonBytes?: number;
  /** message times taken into the history; others are quarantined (default: window.ts) */
  window?: AcceptWindow | undefined;
}

const pathOf = (path: readonly PropertyKey[]) => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(body)';

/**
 * POST /api/v1/ingest. A batch is all or nothing: one invalid message rejects the whole batch with
 * 400 naming the message index and field, and stores nothing, so the publisher can dead-letter exactly
 * that batch and go on with the next sequence number (a gap in the sequence is accepted). A valid
 * message stamped outside the accepted time window is not invalid: it is quarantined (store.ts).
 */
export function ingestHandler(deps: IngestDeps) {
  const batches = new Counter({ name: 'cloud_ingest_batches_total', help: 'ingest batches by result', labelNames: ['result'], registers: [deps.registry] });
  const stored = new Counter({ name: 'cloud_ingest_messages_total', help: 'messages stored', registers: [deps.registry] });
  const quarantined = new Counter({ name: 'cloud_ingest_quarantined_total', help: 'messages quarantined: stamped outside the accepted time window', labelNames: ['reason'], registers: [deps.registry] });
  const duration = new Histogram({ name: 'cloud_ingest_seconds', help: 'batch ingest duration', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [deps.registry] });
  const maxBody = deps.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxJson = deps.maxJsonBytes ?? 128 * 1024 * 1024;

  const fail = (res: Response, status: number, result: string, body: Record<string, unknown>) => {
    batches.inc({ result });
    res.status(status).json(body);
  };

  return async (req: Request, res: Response) => {
    const end = duration.startTimer();
    try {
      const edgeId = req.get('x-edge-id');
      const token = bearerToken(req);
      if (!edgeId || !token || !(await deps.edges.check(edgeId, token))) {
        // the body is never read: the connection closes after the answer
        res.set({ 'WWW-Authenticate': 'Bearer', Connection: 'close' });
        return fail(res, 401, 'unauthorized', { error: 'missing or invalid edge credential (Authorization: Bearer <token>, X-Edge-Id)' });
      }
      const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
      if (encoding !== 'gzip' && encoding !== 'identity') return fail(res, 415, 'invalid', { error: `unsupported Content-Encoding ${encoding} (use gzip)` });
      let raw = await readBody(req, maxBody);
      if (encoding === 'gzip') {
        try {
          raw = await gunzipAsync(raw, { maxOutputLength: maxJson });
        } catch (e) {
          if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return fail(res, 413, 'invalid', { error: `decompressed body larger than ${maxJson} bytes` });
          return fail(res, 400, 'invalid', { error: `body is not valid gzip: ${(e as Error).message}`, fields: [] });
        }
      }
      let data: unknown;
      try {
        data = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        return fail(res, 400, 'invalid', { error: `body is not valid JSON: ${(e as Error).message}`, fields: [] });
      }
      const parsed = ingestBatchSchema.safeParse(data);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
        const first = parsed.error.issues.find((i) => i.path[0] === 'messages' && typeof i.path[1] === 'number');
        const messageIndex = first ? (first.path[1] as number) : null;
        deps.log.warn({ edgeId, fields: fields.slice(0, 5), messageIndex }, 'rejected invalid batch');
        return fail(res, 400, 'invalid', { error: `invalid batch: ${fields.slice(0, 5).map((f) => `${f.path}: ${f.message}`).join('; ')}`, fields, messageIndex });
      }
      const batch = parsed.data;
      if (batch.edgeId !== edgeId) return fail(res, 403, 'forbidden', { error: `batch edgeId ${batch.edgeId} does not match X-Edge-Id ${edgeId}` });
      const r = await storeBatch(deps.db, batch, { smallStopThresholdS: deps.smallStopThresholdS, window: deps.window });
      batches.inc({ result: r.duplicate ? 'duplicate' : 'stored' });
      stored.inc(r.stored);
      for (const q of r.quarantinedMessages) quarantined.inc({ reason: q.reason });
      if (r.quarantinedMessages.length) {
        const first = r.quarantinedMessages[0]!.message;
        deps.log.warn({ edgeId, seq: batch.seq, quarantined: r.quarantinedMessages.length, first: { id: first.id, ts: first.ts } }, 'quarantined messages stamped outside the accepted time window');
      }
      res.json({ ack: r.ack, duplicate: r.duplicate, stored: r.stored, ...(r.quarantinedMessages.length ? { quarantined: r.quarantinedMessages.length } : {}) });
      if (r.fresh.length) deps.onStored(r.fresh, edgeId);
    } catch (e) {
      if ((e as { type?: string }).type === 'entity.too.large') {
        // the rest of the body is not read: the connection closes after the answer
        res.set('Connection', 'close');
        return fail(res, 413, 'invalid', { error: (e as Error).message });
      }
      deps.log.error({ err: e }, 'ingest failed');
      if (!res.headersSent) fail(res, 503, 'error', { error: 'could not store the batch, retry later' });
    } finally {
      end();
    }
  };
}
