import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that hold a credential: never written, wherever they turn up in a log object (a request's
 * headers, an options object logged whole). No program logs them on purpose; this is the net under it.
 */
const secretFields = ['password', 'token', 'authorization', 'cookie', 'secret'];
const redact = { paths: secretFields.flatMap((f) => [f, `*.${f}`, `*.headers.${f}`]), censor: '[redacted]' };

/** JSON logs to stdout (what Kubernetes collects, or `to`); level from LOG_LEVEL. */
export function createLogger(name: string, bindings: Record<string, unknown> = {}, to?: DestinationStream): Logger {
  const options = { name, level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings }, redact };
  return to ? pino(options, to) : pino(options);
}
