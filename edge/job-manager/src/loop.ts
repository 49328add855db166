import type { Logger } from '@plant-twin/runtime';

/** Runs `pass` every `everyMs` (never overlapping), logging failures; stop() waits for a pass in flight. */
export function every(name: string, everyMs: number, pass: () => Promise<unknown>, log: Logger) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let failures = 0;
  const run = async () => {
    try {
      await pass();
      if (failures > 0) log.info({ loop: name, after: failures }, 'loop recovered');
      failures = 0;
    } catch (err) {
      failures++;
      if (failures === 1 || failures % 20 === 0) log.warn({ loop: name, failures, err: err instanceof Error ? err.message : String(err) }, 'loop pass failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = null;
        schedule();
      });
    }, everyMs);
  };
  schedule();
  return {
    /** run a pass now (waits for the one in flight first) */
    async kick(): Promise<void> {
      if (running) await running;
      await run();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
