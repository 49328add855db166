import { createLogger, type Logger } from '@plant-twin/runtime';

/** A logger for the drivers the suites run: their findings go into the report, not to the console. */
export function quietLog(): Logger {
  const log = createLogger('hil');
  log.level = process.env.HIL_LOG_LEVEL ?? 'silent';
  return log;
}
