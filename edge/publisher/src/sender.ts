import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { backoffDelay, type Logger } from '@plant-twin/runtime';
import type { CloudClient, PostResult } from './cloud-client.js';
import type { Batch, BatchJournal } from './journal.js';
import type { SegmentLog } from './segment-log.js';

const gzip = promisify(gzipCb);

export interface SenderOptions {
  edgeId: string;
  log: SegmentLog;
  journal: BatchJournal;
  client: CloudClient;
  logger: Logger;
  batchMaxMessages: number;
  batchMaxBytes: number;
  /** how long to wait for more messages before cutting a batch smaller than batchMaxMessages */
  lingerMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** called after the cloud acknowledged batches (segments may be freed) */
  onAcked(batch: Batch, messages: number): Promise<void>;
  /** keeps a batch the cloud refused as invalid (its messages and the cloud's reason), durably */
  onRejected(batch: Batch, payloads: Buffer[], error: string): Promise<void>;
  onResult(kind: 'sent' | 'acked' | 'retried' | 'rejected', result?: PostResult): void;
}

/**
 * Sends the log to the cloud in order: one batch in flight at a time, because the cloud's ack is
 * "highest seq stored" and a later batch overtaking a failed one would acknowledge it too. Draining a
 * backlog is fast through large batches instead. A batch is journalled before its first send and
 * resent byte-identical (same seq, same records, same sentAt) until acknowledged.
 */
export class Sender {
  private stopped = false;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private body: { seq: number; gz: Buffer; messages: number } | null = null;
  private failures = 0;
  private stopSleep: (() => void) | null = null;
  cloudReachable = false;
  lastError: string | null = null;
  lastAckAt: number | null = null;

  constructor(private readonly o: SenderOptions) {}

  start(): void {
    this.running = this.loop().catch((err: unknown) => {
      this.o.logger.fatal({ err }, 'sender stopped by an error');
      throw err;
    });
  }

  /** new committed records are available */
  notify(): void {
    this.wake?.();
  }

  /** Waits ms; stop() always ends the wait, notify() only when `wakeable` (waiting for records). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.stopSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = wakeable ? done : null;
      this.stopSleep = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const batch = this.o.journal.unacked[0] ?? (await this.cut());
      if (!batch) continue;
      const body = this.body?.seq === batch.seq ? this.body : await this.build(batch);
      this.body = body;
      if (this.stopped) break;
      if (this.failures > 0) this.o.onResult('retried');
      const result = await this.o.client.post(body.gz);
      this.o.onResult('sent', result);
      await this.handle(batch, body.messages, result);
    }
  }

  /** Cuts the next batch from committed records; undefined when there is nothing (after waiting). */
  private async cut(): Promise<Batch | undefined> {
    const { log, journal } = this.o;
    const available = () => log.committedIndex - journal.nextFrom;
    if (available() <= 0) {
      await this.sleep(1_000, true);
      return undefined;
    }
    if (available() < this.o.batchMaxMessages && this.o.lingerMs > 0) {
      const until = Date.now() + this.o.lingerMs;
      while (!this.stopped && available() < this.o.batchMaxMessages && Date.now() < until) await this.sleep(until - Date.now(), true);
    }
    if (this.stopped) return undefined;
    const records = await log.read(journal.nextFrom, this.o.batchMaxMessages, this.o.batchMaxBytes);
    if (records.length === 0) {
      // the records between nextFrom and the first readable one are gone (a corrupt segment was cut)
      this.o.logger.error({ from: journal.nextFrom, committed: log.committedIndex }, 'log records missing; skipping to the next readable one');
      await this.sleep(1_000, false);
      return undefined;
    }
    const batch = await journal.addBatch({ from: journal.nextFrom, to: records[records.length - 1]!.index + 1, sentAt: Date.now(), firstReceivedAt: records[0]!.receivedAt });
    this.body = await this.encode(batch, records.map((r) => r.payload));
    return batch;
  }

  private async build(batch: Batch): Promise<{ seq: number; gz: Buffer; messages: number }> {
    const records = await this.o.log.read(batch.from, batch.to - batch.from);
    return this.encode(
      batch,
      records.filter((r) => r.index < batch.to).map((r) => r.payload),
    );
  }

  private async encode(batch: Batch, payloads: Buffer[]): Promise<{ seq: number; gz: Buffer; messages: number }> {
    // payloads are the validated messages as JSON: splice them in rather than parse and re-serialise
    const head = Buffer.from(`{"v":1,"edgeId":${JSON.stringify(this.o.edgeId)},"seq":${batch.seq},"sentAt":${batch.sentAt},"messages":[`);
    const parts: Buffer[] = [head];
    payloads.forEach((p, i) => {
      if (i > 0) parts.push(comma);
      parts.push(p);
    });
    parts.push(tail);
    return { seq: batch.seq, gz: await gzip(Buffer.concat(parts), { level: 4 }), messages: payloads.length };
  }

  private async handle(batch: Batch, messages: number, result: PostResult): Promise<void> {
    const { journal, logger } = this.o;
    const ack = result.ack?.ack;
    if (ack !== undefined && ack > journal.highestCut) {
      logger.error({ cloudAck: ack, ourSeq: journal.highestCut }, 'the cloud holds higher batch numbers than this edge ever sent (buffer replaced?): renumbering unsent batches after them');
      await journal.rebase(ack);
      this.body = null;
      return;
    }
    if (result.ok && ack !== undefined && ack >= batch.seq) {
      this.failures = 0;
      this.cloudReachable = true;
      this.lastError = null;
      this.lastAckAt = Date.now();
      await journal.ack(ack);
      this.body = null;
      this.o.onResult('acked', result);
      await this.o.onAcked(batch, messages);
      return;
    }
    if (!result.ok && isRejection(result)) {
      // the cloud stores a batch all or nothing and names the bad message: resending cannot help.
      // Kept on the edge with the cloud's reason; the next batch takes the next seq (the cloud accepts the gap).
      const records = await this.o.log.read(batch.from, batch.to - batch.from);
      await this.o.onRejected(
        batch,
        records.filter((r) => r.index < batch.to).map((r) => r.payload),
        result.error,
      );
      logger.error({ seq: batch.seq, messages, error: result.error }, 'the cloud refused the batch as invalid: kept in rejected-batches.ndjson, going on with the next');
      this.failures = 0;
      this.cloudReachable = true;
      await journal.ack(batch.seq);
      this.body = null;
      this.o.onResult('rejected', result);
      await this.o.onAcked(batch, 0);
      return;
    }
    this.failures++;
    this.cloudReachable = result.status > 0;
    this.lastError = result.ok ? `cloud acknowledged only up to seq ${ack} after batch ${batch.seq}` : `HTTP ${result.status || '-'}: ${result.error}`;
    const delay = backoffDelay(this.failures, this.o.backoffBaseMs ?? 500, this.o.backoffMaxMs ?? 10_000);
    const level = result.status === 401 || result.status === 403 || result.status === 400 || result.status === 413 ? 'error' : 'warn';
    logger[level]({ seq: batch.seq, status: result.status, error: this.lastError, retryInMs: delay, failures: this.failures }, 'batch not acknowledged, will resend');
    await this.sleep(delay, false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSleep?.();
    await this.running?.catch(() => undefined);
  }
}

/** A validation refusal of the batch's content (400 with field errors), as opposed to a proxy's or a transient error. */
function isRejection(result: Extract<PostResult, { ok: false }>): boolean {
  return result.status === 400 && Array.isArray(result.body?.fields);
}

const comma = Buffer.from(',');
const tail = Buffer.from(']}');
