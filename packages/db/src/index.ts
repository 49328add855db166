export * from './open.js';
export { PgliteDialect } from './pglite-dialect.js';
