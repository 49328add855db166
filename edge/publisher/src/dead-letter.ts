import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Dead letters, one JSON line each: messages that failed validation (time, topic, error, payload as
 * text or base64; synced with the commit group that acknowledges them, so a bad message is never
 * acknowledged without a trace) and batches the cloud refused as invalid. Bounded: past `maxBytes`
 * the file becomes `<name>.1.ndjson` (the previous one is replaced).
 */
export class DeadLetterFile {
  private fh: FileHandle | null = null;
  private size = 0;
  private pending: string[] = [];
  readonly file: string;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly name: string,
  ) {
    this.file = join(dir, `${name}.ndjson`);
  }

  static async open(dir: string, maxBytes: number, name = 'dead-letter'): Promise<DeadLetterFile> {
    const d = new DeadLetterFile(dir, maxBytes, name);
    d.fh = await open(d.file, 'a');
    d.size = (await stat(d.file)).size;
    return d;
  }

  /** Buffers an entry; `sync()` (part of the commit group) writes and fdatasyncs it. */
  add(topic: string, payload: Buffer, error: string): void {
    const text = payload.toString('utf8');
    const printable = Buffer.from(text, 'utf8').equals(payload);
    this.addRecord({ topic, error, ...(printable ? { payload: text } : { payloadBase64: payload.toString('base64') }) });
  }

  addRecord(record: Record<string, unknown>): void {
    this.pending.push(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
  }

  private async rotate(): Promise<void> {
    await this.fh!.sync();
    await this.fh!.close();
    await rename(this.file, join(this.dir, `${this.name}.1.ndjson`));
    this.fh = await open(this.file, 'a');
    this.size = 0;
  }

  async sync(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
      await this.fh!.write(line);
      this.size += bytes;
    }
    await this.fh!.datasync();
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}
