import { benchContention } from './contention.js';
import { benchIngest } from './ingest.js';
import { benchOeeYear } from './oee-year.js';

/**
 * `node cloud/dist/bench/run.js [--json] [--only ingest|oee|contention]`; BENCH_DATABASE_URL runs against
 * PostgreSQL instead of PGlite, BENCH_DAYS shortens the OEE year for a quick look, BENCH_DATA_DIR
 * keeps the generated year in a PGlite directory for repeated runs.
 */
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const databaseUrl = process.env.BENCH_DATABASE_URL || undefined;
const out: Record<string, unknown> = {};
if (!only || only === 'ingest') Object.assign(out, await benchIngest({ databaseUrl }));
if (!only || only === 'oee') Object.assign(out, await benchOeeYear({ databaseUrl, dataDir: process.env.BENCH_DATA_DIR || undefined, ...(process.env.BENCH_DAYS ? { days: Number(process.env.BENCH_DAYS) } : {}) }));
if (!only || only === 'contention') {
  Object.assign(out, await benchContention({ databaseUrl, ...(process.env.BENCH_DAYS ? { days: Number(process.env.BENCH_DAYS) } : {}), probeTooWide: process.env.BENCH_TOO_WIDE !== '0' }));
}
process.stdout.write(`${JSON.stringify(out, null, args.includes('--json') ? 0 : 2)}\n`);
process.exit(0);
