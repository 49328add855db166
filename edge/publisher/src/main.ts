import { createLogger, onShutdown } from '@plant-twin/runtime';
import { publisherConfigFromEnv } from './config.js';
import { startPublisher } from './publisher.js';

const log = createLogger('publisher');
try {
  const config = publisherConfigFromEnv();
  const publisher = await startPublisher({ ...config, log: log.child({ edgeId: config.edgeId }) });
  log.info({ port: publisher.port, plantId: config.plantId, mqttUrl: config.mqttUrl, cloudUrl: config.cloudUrl, bufferDir: config.bufferDir }, 'publisher started');
  onShutdown(log)(() => publisher.close());
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : err }, 'publisher failed to start');
  process.exit(1);
}
