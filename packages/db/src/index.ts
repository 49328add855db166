export * from './open.js';
export { PgliteDialect } from './pglite-dialect.js';
export { ensurePgliteTemplate, pgliteTemplateDir } from './pglite-template.js';
