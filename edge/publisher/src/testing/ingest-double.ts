import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ingestBatchSchema, ingestPath, parseWith, type IngestBatch, type MachineMessage } from '@plant-twin/contracts';
import { selfSignedTls, tokenMatches } from '@plant-twin/runtime';

/**
 * A small but real ingestion endpoint implementing packages/contracts/src/ingest.ts, for tests and the
 * benchmark until the cloud is at hand: HTTPS (self-signed) or HTTP, per-edge bearer credentials,
 * gzip bodies, a batch stored all or nothing once per edge + seq, ack = highest seq stored, an invalid
 * batch refused with 400 and field errors (as the cloud does). It counts gaps in the sequence (which it
 * accepts, as the cloud does), flags a resent seq whose content differs, can be taken down (every
 * connection reset, the port kept) and brought back, and records everything it stored.
 */
export interface IngestDouble {
  url: string;
  /** PEM certificate to trust (https) */
  ca: string | undefined;
  port: number;
  /** stored batches of an edge in seq order */
  batches(edgeId: string): IngestBatch[];
  /** stored messages of an edge in the order stored */
  messages(edgeId: string): MachineMessage[];
  stats: { requests: number; stored: number; duplicates: number; gaps: number; conflicts: number; rejected: number; unauthorized: number };
  /** the next ingest request is held (stored but not answered) until the returned release() */
  holdNext(): Promise<{ batch: IngestBatch; release: () => void }>;
  /** delay every answer by ms (a slow cloud) */
  setDelay(ms: number): void;
  /** refuse batches as invalid (400 with fields) when this returns a reason: a cloud with a stricter contract */
  setRejector(fn: ((batch: IngestBatch) => string | null) | null): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startIngestDouble(opts: { credentials: Record<string, string>; tls?: boolean; port?: number }): Promise<IngestDouble> {
  const pair = opts.tls === false ? undefined : await selfSignedTls();
  const stored = new Map<string, IngestBatch[]>();
  const bodies = new Map<string, string>();
  const stats = { requests: 0, stored: 0, duplicates: 0, gaps: 0, conflicts: 0, rejected: 0, unauthorized: 0 };
  let hold: ((h: { batch: IngestBatch; release: () => void }) => void) | null = null;
  let delayMs = 0;
  let rejector: ((batch: IngestBatch) => string | null) | null = null;
  const ackOf = (edgeId: string) => stored.get(edgeId)?.at(-1)?.seq ?? 0;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const send = () => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== ingestPath) return reply(res, 404, { error: 'not found' });
    stats.requests++;
    const edgeId = String(req.headers['x-edge-id'] ?? '');
    const auth = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined;
    const expected = opts.credentials[edgeId];
    if (!expected || !tokenMatches(auth, expected)) {
      stats.unauthorized++;
      return reply(res, 401, { error: 'unknown edge or bad credential' });
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let text: string;
    try {
      const raw = Buffer.concat(chunks);
      text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      stats.rejected++;
      return reply(res, 400, { error: 'body is not gzip' });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      stats.rejected++;
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const parsed = parseWith(ingestBatchSchema, data);
    const reason = parsed.ok ? rejector?.(parsed.value) : parsed.error;
    if (!parsed.ok || reason) {
      stats.rejected++;
      return reply(res, 400, { error: `invalid batch: ${reason}`, fields: [{ path: 'messages', message: reason }] });
    }
    const batch = parsed.value;
    if (batch.edgeId !== edgeId) {
      stats.rejected++;
      return reply(res, 400, { error: 'edgeId does not match X-Edge-Id' });
    }
    const key = `${edgeId}/${batch.seq}`;
    let answer: { status: number; body: unknown };
    if (bodies.has(key)) {
      stats.duplicates++;
      if (bodies.get(key) !== JSON.stringify(batch)) stats.conflicts++;
      answer = { status: 200, body: { ack: ackOf(edgeId), duplicate: true, stored: 0 } };
    } else {
      if (batch.seq !== ackOf(edgeId) + 1) stats.gaps++;
      if (!stored.has(edgeId)) stored.set(edgeId, []);
      stored.get(edgeId)!.push(batch);
      bodies.set(key, JSON.stringify(batch));
      stats.stored++;
      stored.get(edgeId)!.sort((a, b) => a.seq - b.seq);
      answer = { status: 200, body: { ack: ackOf(edgeId), duplicate: false, stored: batch.messages.length } };
    }
    if (hold) {
      const h = hold;
      hold = null;
      await new Promise<void>((release) => h({ batch, release }));
    }
    reply(res, answer.status, answer.body);
  };

  const sockets = new Set<Socket>();
  let isDown = false;
  const server: Server = pair ? createHttpsServer({ key: pair.key, cert: pair.cert }) : createHttpServer();
  server.on('request', (req, res) => void handle(req, res).catch(() => reply(res, 500, { error: 'internal error' })));
  server.on('connection', (sock: Socket) => {
    // down: the port stays bound (a released ephemeral port could be taken), connections are reset
    if (isDown) return void sock.resetAndDestroy();
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const down = async () => {
    isDown = true;
    for (const sock of sockets) sock.destroy();
  };
  const up = async () => {
    isDown = false;
  };
  const close = async () => {
    await down();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };

  return {
    url: `${pair ? 'https' : 'http'}://127.0.0.1:${port}`,
    ca: pair?.cert,
    port,
    batches: (edgeId) => stored.get(edgeId) ?? [],
    messages: (edgeId) => (stored.get(edgeId) ?? []).flatMap((b) => b.messages),
    stats,
    holdNext: () => new Promise((resolve) => (hold = resolve)),
    setDelay: (ms) => (delayMs = ms),
    setRejector: (fn) => (rejector = fn),
    down,
    up,
    close,
  };
}
