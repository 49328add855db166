export { startPublisher, type Publisher, type PublisherConfig, type PublisherStats } from './publisher.js';
export { SegmentLog, encodeRecord, type LogRecord, type RecoveryReport } from './segment-log.js';
export { BatchJournal, type Batch } from './journal.js';
export { CloudClient, checkCloudUrl } from './cloud-client.js';
export { publisherConfigFromEnv } from './config.js';
