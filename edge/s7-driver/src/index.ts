export * from './planner.js';
export * from './errors.js';
export * from './codec.js';
export { remoteTsapFor, type AreaItem, type WriteItem } from './protocol.js';
export * from './connection.js';
export * from './poller.js';
export * from './mailbox.js';
export * from './metrics.js';
export * from './machine.js';
