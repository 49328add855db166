import { createLogger, onShutdown } from '@plant-twin/runtime';
import { startCloud } from './app.js';
import { configFromEnv } from './config.js';

const log = createLogger('cloud');
try {
  const starting = startCloud(configFromEnv(), log);
  // registered before startup finishes: a SIGTERM during startup waits for it, then closes cleanly
  onShutdown(log)(async () => (await starting.catch(() => undefined))?.close());
  await starting;
} catch (err) {
  log.fatal({ err }, 'cloud failed to start');
  process.exit(1);
}
