import { closeSync, existsSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { MachineMessage, MessageKind } from '@plant-twin/contracts';
import { writeFileAtomic } from './state-file.js';

export interface OutboxEntry {
  topic: string;
  retain: boolean;
  kind: MessageKind;
  /**
   * the message as sent (JSON): a queued message costs its text, ~0.3 KB for a typical sample,
   * instead of an object graph five times that while the broker is away
   */
  payload: string;
  /** on disk: a message built from a volatile source (S7 values) must survive a pod restart */
  durable: boolean;
  /** settled when the broker acknowledged it (QoS 1 PUBACK), or rejected when the pod stops first */
  waiters: { resolve: () => void; reject: (e: Error) => void }[];
  inflight: boolean;
}

/**
 * The pod's outgoing queue, in order. Durable entries are journaled to a JSON-lines file before
 * they count as accepted, so messages built while the broker is away survive a pod restart and are
 * sent (with their original ids) after it. The journal is truncated when everything is acknowledged
 * and compacted when acknowledged lines pile up. Writes are flushed to the page cache at once and
 * fdatasync'ed at most every `syncMs`, so a process crash loses nothing and a power loss at most
 * that window.
 */
export class Outbox {
  readonly entries: OutboxEntry[] = [];
  /** characters of message text held (the queue's memory is about twice that) */
  bytes = 0;
  private fd: number;
  private durableOnDisk = 0;
  private ackedOnDisk = 0;
  private dirty = false;
  private readonly syncTimer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    syncMs = 200,
  ) {
    const restored: OutboxEntry[] = [];
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = JSON.parse(line) as { t: string; r: boolean; m: MachineMessage };
          restored.push({ topic: r.t, retain: r.r, kind: r.m.kind, payload: JSON.stringify(r.m), durable: true, waiters: [], inflight: false });
        } catch {
          // a line torn by a crash mid-write is the only way to get here: it was never accepted
        }
      }
    }
    writeFileAtomic(file, restored.map(serialise).join(''));
    this.fd = openSync(file, 'a');
    this.entries.push(...restored);
    for (const e of restored) this.bytes += e.payload.length;
    this.durableOnDisk = restored.length;
    this.syncTimer = setInterval(() => this.sync(), syncMs);
    this.syncTimer.unref();
  }

  get restoredCount(): number {
    return this.durableOnDisk;
  }

  push(entry: OutboxEntry): void {
    if (entry.durable) {
      writeSync(this.fd, serialise(entry));
      this.durableOnDisk++;
      this.dirty = true;
    }
    this.entries.push(entry);
    this.bytes += entry.payload.length;
  }

  /** Removes an acknowledged entry; rewrites the journal when it is mostly acknowledged lines. */
  ack(entry: OutboxEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) {
      this.entries.splice(i, 1);
      this.bytes -= entry.payload.length;
    }
    if (!entry.durable) return;
    this.ackedOnDisk++;
    if (this.ackedOnDisk === this.durableOnDisk) this.truncate();
    else if (this.ackedOnDisk > 5000 && this.ackedOnDisk > this.durableOnDisk / 2) this.rewrite();
  }

  /**
   * Everything on disk is acknowledged: empty the journal in place (no fsync: should a crash undo
   * the truncation, the acknowledged messages are sent again with their ids and deduplicated downstream).
   */
  private truncate(): void {
    ftruncateSync(this.fd, 0);
    this.durableOnDisk = 0;
    this.ackedOnDisk = 0;
    this.dirty = false;
  }

  private rewrite(): void {
    const keep = this.entries.filter((e) => e.durable);
    closeSync(this.fd);
    writeFileAtomic(this.file, keep.map(serialise).join(''));
    this.fd = openSync(this.file, 'a');
    this.durableOnDisk = keep.length;
    this.ackedOnDisk = 0;
    this.dirty = false;
  }

  sync(): void {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      fdatasyncSync(this.fd);
    } catch {
      this.dirty = true;
    }
  }

  close(): void {
    clearInterval(this.syncTimer);
    this.sync();
    closeSync(this.fd);
  }
}

/** one journal line: {"t": topic, "r": retain, "m": message} */
function serialise(e: Pick<OutboxEntry, 'topic' | 'retain' | 'payload'>): string {
  return `{"t":${JSON.stringify(e.topic)},"r":${e.retain},"m":${e.payload}}\n`;
}
