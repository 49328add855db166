import { maxMqttPacketBytes } from '@plant-twin/contracts';
import { startEdgeBroker, type EdgeBroker } from '@plant-twin/edge-broker';

/**
 * The embedded edge broker without authentication on 127.0.0.1: for tests and the benchmark that
 * measure the publisher alone (the brokers' authentication is tested in edge/broker and with the
 * deployment's credentials in packages/supervisor).
 */
export const startOpenBroker = (port = 0) =>
  startEdgeBroker({ port, host: '127.0.0.1', auth: 'anonymous', maxPacketBytes: maxMqttPacketBytes }) as Promise<EdgeBroker & { port: number }>;
