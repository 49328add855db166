import type { Logger } from 'pino';

type Closer = () => Promise<void> | void;

/**
 * Runs the registered closers (last registered first) on SIGTERM/SIGINT, then exits. A second
 * signal or a closer taking longer than `graceMs` forces the exit, as Kubernetes would.
 */
export function onShutdown(log: Logger, graceMs = 10_000): (closer: Closer) => void {
  const closers: Closer[] = [];
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      log.error({ graceMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const c of [...closers].reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return (closer) => closers.push(closer);
}
