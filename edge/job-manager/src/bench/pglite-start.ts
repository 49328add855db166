import { readFileSync } from 'node:fs';
import { migrate, openDb, sql, type PgliteTuning } from '@plant-twin/db';
import { migrations, type JobDatabase } from '../schema.js';

/**
 * One start of the job database as the job manager opens it, with the PGlite tuning given as JSON:
 * `node edge/job-manager/dist/bench/pglite-start.js <dataDir> '<tuning>' [jobs]` opens (copying the
 * template or running initdb into an empty dataDir), migrates, adds `jobs` jobs with ten events each
 * unless there are some, runs the orchestrator's kind of queries and prints one JSON line: how it
 * started, ms to ready, and resident memory now and at its peak (MB). `npm run bench:edge` runs it
 * per option (hil/src/bench/edge-stack.ts).
 */
const [dataDir, tuningJson = '{}', jobsArg = '20000'] = process.argv.slice(2);
if (!dataDir) {
  console.error("usage: pglite-start.js <dataDir> '<PgliteTuning JSON>' [jobs]");
  process.exit(2);
}
const memory = () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mb = (key: string) => Math.round(Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024);
  return { rss_mb: mb('VmRSS'), peak_mb: mb('VmHWM') };
};

const t0 = Date.now();
const handle = await openDb<JobDatabase>({ dataDir, schema: 'job_manager', pglite: JSON.parse(tuningJson) as PgliteTuning });
await migrate(handle.db, migrations, 'job_manager');
const readyMs = Date.now() - t0;
const db = handle.db;
const { n } = await db.selectFrom('jobs').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
if (Number(n) === 0) {
  // about a year of the plant's jobs (the 8-hour scenario makes ~25), each with ten events
  await sql`insert into jobs (id, order_id, operation, order_version, part_number, work_center, quantity, due_date, priority, eligible_machines, status, good, scrap)
    select 'ORD-' || g || '-0010', 'ORD-' || g, '0010', 1, 'P-' || (g % 40), 'WC-' || (g % 11), 100 + g % 400, now() + (g % 90) * interval '1 day', g % 5,
      array['PRS-01', 'PRS-02'], (array['completed', 'completed', 'completed', 'released', 'running'])[1 + g % 5], g % 400, g % 7
    from generate_series(1, ${Number(jobsArg)}) g`.execute(db);
  await sql`insert into job_events (job_id, kind, from_status, to_status, actor, reason, detail)
    select 'ORD-' || (g / 10 + 1) || '-0010', 'transition', 'released', 'dispatched', 'orchestrator', 'bench', jsonb_build_object('n', g)
    from generate_series(0, ${Number(jobsArg) * 10 - 1}) g`.execute(db);
}
// what the orchestrator and the API ask, repeatedly
for (let i = 0; i < 50; i++) {
  await db.selectFrom('jobs').selectAll().where('status', 'in', ['released', 'held']).orderBy('priority', 'desc').orderBy('due_date').limit(100).execute();
  await db.selectFrom('jobs').select(['status', db.fn.countAll<number>().as('n')]).groupBy('status').execute();
  await db.selectFrom('job_events').selectAll().where('job_id', '=', `ORD-${1 + ((i * 97) % Number(jobsArg))}-0010`).orderBy('id').execute();
}
console.log(JSON.stringify({ start: handle.pgliteStart, ready_ms: readyMs, ...memory() }));
await handle.close();
