import { edgeCommandsAnswerSchema, edgePaths, maxEdgePushEvents, maxEdgePushJobs, type CommandResult, type JobDto, type JobEventDto } from '@plant-twin/contracts';
import { backoffDelay, type Logger } from '@plant-twin/runtime';
import { sql } from 'kysely';
import { eventDto, jobDto } from '../api.js';
import type { JobActions } from '../job-actions.js';
import type { Db } from '../lifecycle.js';
import { every } from '../loop.js';
import type { Orchestrator } from '../orchestrator.js';
import type { Job, JobEvent } from '../schema.js';
import { CommandApplier, jobHandlers, type LinkDb } from './apply.js';
import { CloudHttp, type CloudEndpoint } from './http.js';
import type { CloudLinkTables } from './schema.js';

export interface CloudLinkOptions extends CloudEndpoint {
  /** how often changed jobs are pushed (default 1 s) */
  pushMs?: number;
  /** long poll wait the cloud is asked for (default 25 s) */
  waitS?: number;
  /** retry delays while the cloud cannot be reached */
  backoff?: { baseMs: number; maxMs: number };
}

export interface CloudLink {
  applier: CommandApplier;
  /** push what changed now (tests; the loop does it every pushMs) */
  pushNow(): Promise<void>;
  stop(): Promise<void>;
}

const jobsCursorKey = 'cloud.jobs.cursor';
const eventsCursorKey = 'cloud.events.cursor';

/**
 * The job manager's link to the cloud, opened from the plant (outbound HTTPS only):
 * - pushes its jobs (by update time) and job events (by id) since the cursors it keeps in its own
 *   database, with each machine's queue in sequence order; a cursor moves only after the cloud said
 *   it stored the push, so an outage loses nothing (the next push carries everything since);
 * - long-polls the cloud for commands, applies each once per id (CommandApplier) and reports the
 *   result; results the cloud has not taken yet are reported again before the next poll.
 */
export function startCloudLink(jobDb: Db, orchestrator: Orchestrator, actions: JobActions, opts: CloudLinkOptions, log: Logger): CloudLink {
  const db: LinkDb = jobDb.withTables<CloudLinkTables>();
  const http = new CloudHttp(opts);
  const applier = new CommandApplier(db);
  for (const [type, handler] of Object.entries(jobHandlers(jobDb, actions))) applier.on(type as keyof ReturnType<typeof jobHandlers>, handler!);
  const backoff = opts.backoff ?? { baseMs: 1000, maxMs: 30_000 };
  const waitS = opts.waitS ?? 25;
  let lastQueues = '';

  const readCursor = async (key: string) => (await db.selectFrom('sync_state').select('value').where('key', '=', key).executeTakeFirst())?.value;
  const writeCursor = (key: string, value: string) =>
    db.insertInto('sync_state').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: new Date() })).execute();

  /** One push of what changed since the cursors; true when more is waiting. */
  async function pushOnce(): Promise<boolean> {
    const jc = JSON.parse((await readCursor(jobsCursorKey)) ?? '{"ts":"-infinity","id":""}') as { ts: string; id: string };
    const ec = Number((await readCursor(eventsCursorKey)) ?? 0);
    // the database's own text of updated_at (microseconds) is the cursor: a JS Date would cut it to ms
    const jobs = await sql<Job & { ts: string }>`select *, updated_at::text as ts from jobs where (updated_at, id) > (${jc.ts}::timestamptz, ${jc.id})
      order by updated_at, id limit ${maxEdgePushJobs}`.execute(db);
    const events = await db.selectFrom('job_events').selectAll().where('id', '>', ec).orderBy('id').limit(maxEdgePushEvents).execute();
    const queues: Record<string, string[]> = {};
    for (const m of orchestrator.agents.keys()) queues[m] = (await orchestrator.queue(m)).map((j) => j.id);
    const queuesText = JSON.stringify(queues);
    if (!jobs.rows.length && !events.length && queuesText === lastQueues) return false;
    const body = {
      edgeId: opts.edgeId,
      jobs: jobs.rows.map((j) => jobDto(j) satisfies JobDto),
      events: events.map((e: JobEvent) => eventDto(e) as JobEventDto),
      queues,
      sequencer: orchestrator.sequencer.name,
    };
    const r = await http.call('POST', edgePaths.jobs, { body, timeoutMs: 30_000 });
    if (r.status !== 200) throw new Error(`cloud refused the jobs push: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    const lastJob = jobs.rows.at(-1);
    if (lastJob) await writeCursor(jobsCursorKey, JSON.stringify({ ts: lastJob.ts, id: lastJob.id }));
    const lastEvent = events.at(-1);
    if (lastEvent) await writeCursor(eventsCursorKey, String(lastEvent.id));
    lastQueues = queuesText;
    return jobs.rows.length === maxEdgePushJobs || events.length === maxEdgePushEvents;
  }
  const pushAll = async () => {
    while (await pushOnce()) {
      /* a backlog (after an outage): push on until it is gone */
    }
  };

  /** Reports a result; true once the cloud holds a result for the command (this one, or another it kept). */
  async function report(id: string, result: CommandResult): Promise<void> {
    const r = await http.call('POST', edgePaths.result(id), { body: result, timeoutMs: 15_000 });
    if (r.status === 409) log.warn({ commandId: id, answer: r.body }, 'the cloud holds another result for this command; ours is kept here');
    else if (r.status === 404) log.warn({ commandId: id }, 'the cloud does not know this command');
    else if (r.status !== 200) throw new Error(`cloud refused the result of command ${id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    await db.updateTable('applied_command').set({ reported_at: new Date() }).where('id', '=', id).execute();
  }

  async function pollOnce(signal: AbortSignal): Promise<void> {
    for (const row of await db.selectFrom('applied_command').select('id').where('reported_at', 'is', null).where('status', '<>', 'applying').orderBy('seq').execute()) {
      await report(row.id, (await applier.stored(row.id))!);
    }
    const cursor = await db.selectFrom('applied_command').select(db.fn.max('seq').as('seq')).executeTakeFirst();
    const after = Number(cursor?.seq ?? 0);
    const r = await http.call('GET', `${edgePaths.commands}?after=${after}&waitS=${waitS}`, { timeoutMs: (waitS + 15) * 1000, signal });
    const receivedAt = Date.now();
    if (r.status !== 200) throw new Error(`cloud refused the command poll: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    const answer = edgeCommandsAnswerSchema.parse(r.body);
    for (const command of answer.commands.sort((a, b) => a.seq - b.seq)) {
      // the cloud's clock says how long the command has left; this edge counts that on its own clock
      const result = await applier.apply(command, receivedAt + (command.expiresAt - answer.serverTime));
      log.info({ commandId: command.id, type: command.type, target: command.target, status: result.status, reason: result.reason }, 'command from the cloud');
      await report(command.id, result);
    }
  }

  const stopping = new AbortController();
  const pushLoop = every('cloud-push', opts.pushMs ?? 1000, pushAll, log);
  const polling = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        await pollOnce(stopping.signal);
        if (failures > 0) log.info({ after: failures }, 'command channel to the cloud is back');
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) break;
        failures++;
        if (failures === 1 || failures % 20 === 0) log.warn({ failures, err: (err as Error).message }, 'command channel to the cloud failed; retrying');
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            stopping.signal.removeEventListener('abort', done);
            resolve();
          };
          const t = setTimeout(done, backoffDelay(failures, backoff.baseMs, backoff.maxMs));
          stopping.signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  })();

  return {
    applier,
    pushNow: () => pushLoop.kick(),
    async stop() {
      stopping.abort();
      await pushLoop.stop();
      await polling;
      http.close();
    },
  };
}
