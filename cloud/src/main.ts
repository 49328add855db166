import { createLogger, onShutdown } from '@plant-twin/runtime';
import { startCloud } from './app.js';
import { configFromEnv } from './config.js';

const log = createLogger('cloud');
try {
  const cloud = await startCloud(configFromEnv(), log);
  onShutdown(log)(() => cloud.close());
} catch (err) {
  log.fatal({ err }, 'cloud failed to start');
  process.exit(1);
}
