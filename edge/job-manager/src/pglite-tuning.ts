import { fileURLToPath } from 'node:url';
import type { PgliteTuning } from '@plant-twin/db';

/** Where `npm run build` leaves the job database's PGlite template (edge/job-manager/dist/pglite-template). */
export const pgliteTemplateRoot = fileURLToPath(new URL('../dist/pglite-template/', import.meta.url));

/**
 * The embedded job database as the edge runs it, chosen by `npm run bench:edge` (README, job manager
 * memory): a first start copies the build-time template (PGlite's in-process initdb left 750-850 MB
 * behind), 16 MB of shared buffers (the job tables are a few MB; PostgreSQL's 128 MB default costs
 * ~115 MB resident in PGlite), WebAssembly compiled by V8's baseline compiler only (~55 MB less).
 */
export const jobDatabaseTuning: PgliteTuning = { settings: { shared_buffers: '16MB' }, templateRoot: pgliteTemplateRoot, baselineCompilerOnly: true };
