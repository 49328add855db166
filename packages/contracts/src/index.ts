export * from './messages.js';
export * from './topics.js';
export * from './job-agent.js';
export * from './ingest.js';
export * from './erp.js';
export * from './twin-api.js';
export * from './live.js';
export * from './acceptance-report.js';
