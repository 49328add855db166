/**
 * Wakes the long polls of an edge when a command for it is created (in this process; a long poll
 * also ends after its wait and asks the database again, so nothing depends on the wake-up).
 */
export class CommandSignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves when a command for the edge is created, after `ms`, or when `signal` aborts. */
  wait(edgeId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(edgeId);
      if (!set) this.waiters.set(edgeId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (!set.size) this.waiters.delete(edgeId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      set.add(done);
    });
  }

  notify(edgeId: string): void {
    for (const w of [...(this.waiters.get(edgeId) ?? [])]) w();
  }

  /** Ends every wait (the cloud is stopping). */
  wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w();
  }
}
