import { mkdir, open, readFile, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * Append-only, crash-safe message log in segment files.
 *
 * Record: u32 payload length | u32 CRC32 over (receivedAt + payload) | f64 receivedAt (ms) | payload.
 * Every record has a global index (0, 1, 2, ...); a segment file is named after the index of its first
 * record, so indexes survive the deletion of old segments. Appends are buffered and made durable by
 * `commit()` (one writev + fdatasync per group: group commit); a caller acknowledges nothing it has not
 * seen committed. On open, each segment is scanned and a torn or corrupt tail (SIGKILL, power loss in the
 * middle of a write) is cut at the last record whose length and CRC check out.
 */

export interface LogRecord {
  index: number;
  receivedAt: number;
  payload: Buffer;
}

export interface RecoveryReport {
  segments: number;
  records: number;
  /** bytes cut from segment tails that did not hold whole, CRC-valid records */
  truncatedBytes: number;
  truncatedSegments: string[];
}

interface Segment {
  first: number;
  count: number;
  bytes: number;
  file: string;
  /** byte offset of every CHECKPOINT-th record, so a read can start near any index */
  checkpoints: number[];
}

const HEADER = 16;
const CHECKPOINT = 256;
/** a length beyond this cannot be a record of ours: the header itself is garbage */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const segmentName = (first: number) => `${String(first).padStart(16, '0')}.seg`;
const segmentPattern = /^(\d{16})\.seg$/;

export function encodeRecord(payload: Buffer, receivedAt: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeDoubleLE(receivedAt, 8);
  payload.copy(buf, HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

/**
 * Walks the whole, CRC-valid records at the start of `buf` (stopping early when `onRecord` returns
 * false) and returns the length of the prefix it accepted: where a torn or corrupt tail begins.
 */
function parseRecords(buf: Buffer, onRecord: (offset: number, receivedAt: number, payload: Buffer) => boolean | void): number {
  let pos = 0;
  while (pos + HEADER <= buf.length) {
    const len = buf.readUInt32LE(pos);
    if (len > MAX_RECORD_BYTES || pos + HEADER + len > buf.length) break;
    if (crc32(buf.subarray(pos + 8, pos + HEADER + len)) !== buf.readUInt32LE(pos + 4)) break;
    if (onRecord(pos, buf.readDoubleLE(pos + 8), buf.subarray(pos + HEADER, pos + HEADER + len)) === false) return pos;
    pos += HEADER + len;
  }
  return pos;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class SegmentLog {
  private segments: Segment[] = [];
  private active: FileHandle | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextIndexValue = 0;
  private committed = 0;
  private committing = false;
  private writingBytes = 0;

  private constructor(
    readonly dir: string,
    readonly segmentBytes: number,
  ) {}

  /**
   * Opens (creating) the log in `dir`, recovering torn tails. `minNextIndex` continues the numbering
   * when every segment was deleted (the batch journal knows where the last batch ended).
   */
  static async open(dir: string, opts: { segmentBytes: number; minNextIndex?: number }): Promise<{ log: SegmentLog; recovery: RecoveryReport }> {
    await mkdir(dir, { recursive: true });
    const log = new SegmentLog(dir, opts.segmentBytes);
    const recovery = await log.recover();
    if (log.segments.length === 0) log.nextIndexValue = Math.max(log.nextIndexValue, opts.minNextIndex ?? 0);
    log.committed = log.nextIndexValue;
    await log.openActive();
    return { log, recovery };
  }

  private async recover(): Promise<RecoveryReport> {
    const names = (await readdir(this.dir)).filter((n) => segmentPattern.test(n)).sort();
    const report: RecoveryReport = { segments: names.length, records: 0, truncatedBytes: 0, truncatedSegments: [] };
    for (const name of names) {
      const file = join(this.dir, name);
      const seg: Segment = { first: Number(segmentPattern.exec(name)![1]), count: 0, bytes: 0, file, checkpoints: [] };
      // a segment is at most a few segmentBytes (one commit group may overshoot): read it whole
      const buf = await readFile(file);
      seg.bytes = parseRecords(buf, (offset) => {
        if (seg.count % CHECKPOINT === 0) seg.checkpoints.push(offset);
        seg.count++;
      });
      if (seg.bytes < buf.length) {
        const fh = await open(file, 'r+');
        try {
          await fh.truncate(seg.bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        report.truncatedBytes += buf.length - seg.bytes;
        report.truncatedSegments.push(name);
      }
      this.segments.push(seg);
      report.records += seg.count;
      this.nextIndexValue = seg.first + seg.count;
    }
    return report;
  }

  private async openActive(): Promise<void> {
    let last = this.segments[this.segments.length - 1];
    if (!last) {
      last = { first: this.nextIndexValue, count: 0, bytes: 0, file: join(this.dir, segmentName(this.nextIndexValue)), checkpoints: [] };
      this.segments.push(last);
    }
    this.active = await open(last.file, 'a');
    await fsyncDir(this.dir);
  }

  /** Buffers a record; it is durable (and may be acknowledged) once a later `commit()` resolves. */
  append(payload: Buffer, receivedAt: number): number {
    const rec = encodeRecord(payload, receivedAt);
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    return this.nextIndexValue++;
  }

  /**
   * Writes the buffered group and fdatasyncs it, rolling to a new segment wherever the current one
   * would pass segmentBytes. Not re-entrant: the caller serialises commits.
   */
  async commit(): Promise<void> {
    if (this.committing) throw new Error('commit already running');
    if (this.pending.length === 0) return;
    this.committing = true;
    const group = this.pending;
    this.pending = [];
    this.writingBytes = this.pendingBytes;
    this.pendingBytes = 0;
    try {
      let seg = this.segments[this.segments.length - 1]!;
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await this.active!.writev(chunk);
        await this.active!.datasync();
        for (const rec of chunk) {
          if (seg.count % CHECKPOINT === 0) seg.checkpoints.push(seg.bytes);
          seg.count++;
          seg.bytes += rec.length;
        }
        this.writingBytes -= chunkBytes;
        this.committed = seg.first + seg.count;
        chunk = [];
        chunkBytes = 0;
      };
      for (const rec of group) {
        if (seg.bytes + chunkBytes > 0 && seg.bytes + chunkBytes + rec.length > this.segmentBytes) {
          await flush();
          seg = await this.roll();
        }
        chunk.push(rec);
        chunkBytes += rec.length;
      }
      await flush();
    } finally {
      this.writingBytes = 0;
      this.committing = false;
    }
  }

  private async roll(): Promise<Segment> {
    // the closed segment is already fdatasynced by the commit that filled it
    await this.active!.close();
    const seg: Segment = { first: this.committed, count: 0, bytes: 0, file: join(this.dir, segmentName(this.committed)), checkpoints: [] };
    this.segments.push(seg);
    this.active = await open(seg.file, 'a');
    // the new file's directory entry must survive a power loss before records in it are acknowledged
    await fsyncDir(this.dir);
    return seg;
  }

  /** index the next appended record gets */
  get nextIndex(): number {
    return this.nextIndexValue;
  }
  /** records below this index are durable */
  get committedIndex(): number {
    return this.committed;
  }
  /** index of the oldest record still on disk */
  get firstIndex(): number {
    return this.segments[0]?.first ?? this.committed;
  }
  get pendingCount(): number {
    return this.pending.length;
  }
  /** bytes appended but not yet committed (buffered or being written) */
  get pendingByteCount(): number {
    return this.pendingBytes + this.writingBytes;
  }
  get bytesOnDisk(): number {
    return this.segments.reduce((s, x) => s + x.bytes, 0);
  }
  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Committed records from index `from` on, at most `maxCount` and about `maxBytes` of payload
   * (always at least one record). Indexes missing from disk (a corrupt segment cut short) are skipped.
   */
  async read(from: number, maxCount: number, maxBytes = Number.POSITIVE_INFINITY): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    let bytes = 0;
    let index = Math.max(from, this.firstIndex);
    while (out.length < maxCount && index < this.committed) {
      const si = this.segmentOf(index);
      if (si < 0) break;
      const seg = this.segments[si]!;
      if (index >= seg.first + seg.count) {
        // a gap after a cut segment: continue at the next segment
        const next = this.segments[si + 1];
        if (!next) break;
        index = next.first;
        continue;
      }
      const cp = Math.floor((index - seg.first) / CHECKPOINT);
      let recIndex = seg.first + cp * CHECKPOINT;
      let pos = seg.checkpoints[cp]!;
      let full = false;
      const take = (_offset: number, receivedAt: number, payload: Buffer) => {
        if (recIndex >= index) {
          if (out.length >= maxCount || (out.length > 0 && bytes + payload.length > maxBytes)) {
            full = true;
            return false;
          }
          out.push({ index: recIndex, receivedAt, payload: Buffer.from(payload) });
          bytes += payload.length;
        }
        recIndex++;
      };
      const fh = await open(seg.file, 'r');
      try {
        while (pos < seg.bytes && !full) {
          const header = Buffer.allocUnsafe(HEADER);
          await fh.read(header, 0, HEADER, pos);
          // at least one whole record per read, even one larger than the chunk
          const chunk = Buffer.allocUnsafe(Math.min(Math.max(READ_CHUNK, HEADER + header.readUInt32LE(0)), seg.bytes - pos));
          const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
          const used = parseRecords(chunk.subarray(0, bytesRead), take);
          if (used === 0 && !full) throw new Error(`segment ${seg.file}: unreadable record at byte ${pos}`);
          pos += used;
        }
      } finally {
        await fh.close();
      }
      if (full || out.length >= maxCount || bytes >= maxBytes) break;
      index = seg.first + seg.count;
    }
    return out;
  }

  private segmentOf(index: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.first <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Deletes closed segments whose records are all below `index` (acknowledged by the cloud), keeping
   * the newest `keepClosed` closed segments: they let a restart rebuild the duplicate window.
   */
  async dropBefore(index: number, keepClosed = 1): Promise<number> {
    let freed = 0;
    const closed = this.segments.length - 1;
    let removable = 0;
    while (removable < closed - keepClosed && this.segments[removable]!.first + this.segments[removable]!.count <= index) removable++;
    for (const seg of this.segments.splice(0, removable)) {
      await unlink(seg.file);
      freed += seg.bytes;
    }
    if (removable > 0) await fsyncDir(this.dir);
    return freed;
  }

  async close(): Promise<void> {
    await this.active?.close();
    this.active = null;
  }
}
