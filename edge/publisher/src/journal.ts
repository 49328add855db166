import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The batch journal: which log records form which batch seq, and the highest seq the cloud has
 * acknowledged. A batch is journalled (fdatasync) before it is first sent, so after any crash the
 * same seq is resent with exactly the same records; batches are never re-cut.
 *
 * Fixed 48-byte records: u32 type | u32 CRC32 over the rest | f64 seq | f64 from | f64 to |
 * f64 sentAt | f64 firstReceivedAt. A torn tail is cut on open. The file is rewritten (temp file +
 * rename) with only what is still needed once it grows past `compactBytes`.
 */

export interface Batch {
  seq: number;
  /** log index range [from, to) */
  from: number;
  to: number;
  sentAt: number;
  /** when the oldest message of the batch reached the publisher (oldest-unsent age) */
  firstReceivedAt: number;
}

const RECORD = 48;
const TYPE_BATCH = 1;
const TYPE_ACK = 2;

function encode(type: number, b: Batch): Buffer {
  const buf = Buffer.alloc(RECORD);
  buf.writeUInt32LE(type, 0);
  buf.writeDoubleLE(b.seq, 8);
  buf.writeDoubleLE(b.from, 16);
  buf.writeDoubleLE(b.to, 24);
  buf.writeDoubleLE(b.sentAt, 32);
  buf.writeDoubleLE(b.firstReceivedAt, 40);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class BatchJournal {
  private fh: FileHandle | null = null;
  private size = 0;
  private ackSeq = 0;
  /** not yet acknowledged, ascending seq */
  private open: Batch[] = [];
  /** the newest batch ever cut, acknowledged or not: where the next one starts */
  private last: Batch | null = null;

  private constructor(
    readonly file: string,
    private readonly compactBytes: number,
  ) {}

  static async open(dir: string, compactBytes = 1024 * 1024): Promise<{ journal: BatchJournal; truncatedBytes: number }> {
    const j = new BatchJournal(join(dir, 'batches.journal'), compactBytes);
    let buf: Buffer;
    try {
      buf = await readFile(j.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      buf = Buffer.alloc(0);
    }
    let valid = 0;
    for (let pos = 0; pos + RECORD <= buf.length; pos += RECORD) {
      const rec = buf.subarray(pos, pos + RECORD);
      if (crc32(rec.subarray(8)) !== rec.readUInt32LE(4)) break;
      const b: Batch = { seq: rec.readDoubleLE(8), from: rec.readDoubleLE(16), to: rec.readDoubleLE(24), sentAt: rec.readDoubleLE(32), firstReceivedAt: rec.readDoubleLE(40) };
      const type = rec.readUInt32LE(0);
      if (type === TYPE_BATCH) j.applyBatch(b);
      else if (type === TYPE_ACK) j.applyAck(b.seq);
      else break;
      valid = pos + RECORD;
    }
    j.fh = await open(j.file, 'a');
    // a new journal's directory entry must outlive a power loss like the batches in it
    if (buf.length === 0) await syncDir(dir);
    if (valid < buf.length) {
      await j.fh.truncate(valid);
      await j.fh.sync();
    }
    j.size = valid;
    return { journal: j, truncatedBytes: buf.length - valid };
  }

  private applyBatch(b: Batch): void {
    this.open.push(b);
    this.last = b;
  }

  private applyAck(seq: number): void {
    this.ackSeq = Math.max(this.ackSeq, seq);
    while (this.open.length && this.open[0]!.seq <= this.ackSeq) this.open.shift();
  }

  get acked(): number {
    return this.ackSeq;
  }
  /** seq the next cut batch gets */
  get nextSeq(): number {
    return Math.max(this.last?.seq ?? 0, this.ackSeq) + 1;
  }
  /** log index the next cut batch starts at */
  get nextFrom(): number {
    return this.last?.to ?? 0;
  }
  /** log index below which every record is acknowledged by the cloud */
  get ackedTo(): number {
    return this.open[0]?.from ?? this.nextFrom;
  }
  get unacked(): readonly Batch[] {
    return this.open;
  }
  get highestCut(): number {
    return this.last?.seq ?? 0;
  }

  private async write(buf: Buffer): Promise<void> {
    await this.fh!.write(buf);
    await this.fh!.datasync();
    this.size += buf.length;
  }

  /** Journals a newly cut batch; resolves once it is durable (send it only then). */
  async addBatch(b: Omit<Batch, 'seq'>): Promise<Batch> {
    const batch: Batch = { ...b, seq: this.nextSeq };
    if (batch.from !== this.nextFrom) throw new Error(`batch must start at ${this.nextFrom}, not ${batch.from}`);
    await this.write(encode(TYPE_BATCH, batch));
    this.applyBatch(batch);
    return batch;
  }

  /** Records the cloud's acknowledgement (highest seq it holds). */
  async ack(seq: number): Promise<void> {
    if (seq <= this.ackSeq) return;
    await this.write(encode(TYPE_ACK, { seq, from: 0, to: 0, sentAt: 0, firstReceivedAt: 0 }));
    this.applyAck(seq);
    if (this.size > this.compactBytes) await this.rewrite();
  }

  /**
   * The cloud holds a higher seq than we ever cut (this edge's buffer was wiped, the cloud kept its
   * history): our unacknowledged batches were taken as duplicates of old ones and must be renumbered
   * after the cloud's seq, with the same records.
   */
  async rebase(cloudAck: number): Promise<void> {
    let seq = cloudAck;
    this.open = this.open.map((b) => ({ ...b, seq: ++seq }));
    this.ackSeq = cloudAck;
    if (this.last) this.last = this.open[this.open.length - 1] ?? { ...this.last, seq: cloudAck };
    await this.rewrite();
  }

  private async rewrite(): Promise<void> {
    // keep the newest batch even when acknowledged (it says where the next batch starts); the ack
    // record goes last so that replay marks it acknowledged again
    const keep = this.open.length ? this.open : this.last ? [this.last] : [];
    const parts = keep.map((b) => encode(TYPE_BATCH, b));
    parts.push(encode(TYPE_ACK, { seq: this.ackSeq, from: 0, to: 0, sentAt: 0, firstReceivedAt: 0 }));
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writev(parts);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.fh!.close();
    await rename(tmp, this.file);
    await syncDir(dirname(this.file));
    this.fh = await open(this.file, 'a');
    this.size = parts.length * RECORD;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}
