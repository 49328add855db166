import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../state-file.js';

export type LedgerOutcome = 'archived' | 'quarantined';
interface LedgerEntry {
  name: string;
  sha256: string;
  outcome: LedgerOutcome;
  at: string;
}

/**
 * Which result files were handled (name + content hash), persisted as fsync'ed JSON lines so a file
 * is processed once even if the pod dies between handling it and moving it out of the outbox.
 */
export class FileLedger {
  private readonly seen = new Map<string, LedgerOutcome>();

  constructor(
    private readonly file: string,
    keep = 100_000,
  ) {
    const entries: LedgerEntry[] = [];
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        try {
          if (line.trim()) entries.push(JSON.parse(line) as LedgerEntry);
        } catch {
          // torn last line: that file was not recorded, so it is handled again
        }
      }
    }
    const kept = entries.slice(-keep);
    writeFileAtomic(file, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
    for (const e of kept) this.seen.set(key(e.name, e.sha256), e.outcome);
  }

  outcome(name: string, sha256: string): LedgerOutcome | undefined {
    return this.seen.get(key(name, sha256));
  }

  record(name: string, sha256: string, outcome: LedgerOutcome): void {
    appendFileSync(this.file, `${JSON.stringify({ name, sha256, outcome, at: new Date().toISOString() })}\n`);
    const fd = openSync(this.file, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.seen.set(key(name, sha256), outcome);
  }
}

const key = (name: string, sha: string) => `${name}\u0000${sha}`;
