import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stdout (what Kubernetes collects); level from LOG_LEVEL. */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings } });
}
