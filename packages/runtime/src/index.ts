export * from './logger.js';
export * from './env.js';
export * from './shutdown.js';
export * from './http.js';
export * from './backoff.js';
export * from './tls.js';
export * from './secret-hash.js';
export * from './random.js';
