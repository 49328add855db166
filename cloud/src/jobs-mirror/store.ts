import { sql, type Kysely } from 'kysely';
import type { EdgeJobsPush, JobDto, JobEventDto, JobStatus, MachineQueueAnswer } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

/**
 * The cloud's mirror of the edge job manager: jobs by id (a snapshot older than the one held never
 * overwrites it), their events by the edge's event id, and each machine's queue in the order the job
 * manager runs it. Pushes are idempotent: the edge resends after an outage and nothing doubles.
 */
export async function storeJobsPush(db: Kysely<CloudTables>, push: EdgeJobsPush, now = Date.now()): Promise<{ ack: number; changed: JobDto[] }> {
  return db.transaction().execute(async (trx) => {
    const changed: JobDto[] = [];
    if (push.jobs.length) {
      const j = push.jobs;
      const r = await sql<{ doc: string }>`
        insert into job_mirror (id, edge_id, status, machine_id, part_number, order_id, eligible, due_date, updated_at, received_at, doc)
        select id, ${push.edgeId}, status, machine_id, part_number, order_id, array(select jsonb_array_elements_text(eligible::jsonb)), due_date, updated_at, ${now}, doc
        from unnest(${j.map((x) => x.id)}::text[], ${j.map((x) => x.status)}::text[], ${j.map((x) => x.machineId)}::text[], ${j.map((x) => x.partNumber)}::text[],
          ${j.map((x) => x.orderId)}::text[], ${j.map((x) => JSON.stringify(x.eligibleMachines))}::text[], ${j.map((x) => Date.parse(x.dueDate))}::bigint[],
          ${j.map((x) => Date.parse(x.updatedAt))}::bigint[], ${j.map((x) => JSON.stringify(x))}::text[])
          as t(id, status, machine_id, part_number, order_id, eligible, due_date, updated_at, doc)
        on conflict (id) do update set edge_id = excluded.edge_id, status = excluded.status, machine_id = excluded.machine_id, part_number = excluded.part_number,
          order_id = excluded.order_id, eligible = excluded.eligible, due_date = excluded.due_date, updated_at = excluded.updated_at, received_at = excluded.received_at, doc = excluded.doc
        where job_mirror.updated_at < excluded.updated_at or (job_mirror.updated_at = excluded.updated_at and job_mirror.doc <> excluded.doc)
        returning doc`.execute(trx);
      changed.push(...r.rows.map((x) => JSON.parse(x.doc) as JobDto));
    }
    if (push.events.length) {
      const e = push.events;
      await sql`insert into job_event_mirror (edge_id, id, job_id, at, doc)
        select ${push.edgeId}, id, job_id, at, doc from unnest(${e.map((x) => x.id)}::bigint[], ${e.map((x) => x.jobId)}::text[], ${e.map((x) => Date.parse(x.at))}::bigint[], ${e.map((x) => JSON.stringify(x))}::text[]) as t(id, job_id, at, doc)
        on conflict (edge_id, id) do nothing`.execute(trx);
    }
    for (const [machineId, jobIds] of Object.entries(push.queues ?? {})) {
      await sql`insert into job_queue (machine_id, edge_id, job_ids, sequencer, as_of) values (${machineId}, ${push.edgeId}, ${JSON.stringify(jobIds)}, ${push.sequencer ?? null}, ${now})
        on conflict (machine_id) do update set edge_id = excluded.edge_id, job_ids = excluded.job_ids, sequencer = excluded.sequencer, as_of = excluded.as_of`.execute(trx);
    }
    const ack = await sql<{ ack: number | null }>`select max(id) as ack from job_event_mirror where edge_id = ${push.edgeId}`.execute(trx);
    return { ack: Number(ack.rows[0]?.ack ?? 0), changed };
  });
}

export interface JobsFilter {
  status?: readonly JobStatus[] | undefined;
  machine?: string | undefined;
  part?: string | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** Jobs by due date, filtered: status, machine (on it or eligible for it), part, free text. */
export async function listJobs(db: Kysely<CloudTables>, f: JobsFilter): Promise<{ jobs: JobDto[]; total: number }> {
  const status = f.status ? [...f.status] : null;
  const like = f.q ? `%${f.q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%` : null;
  const where = sql`(${status}::text[] is null or status = any(${status}::text[]))
    and (${f.machine ?? null}::text is null or machine_id = ${f.machine ?? null} or ${f.machine ?? null} = any(eligible))
    and (${f.part ?? null}::text is null or part_number = ${f.part ?? null})
    and (${like}::text is null or lower(id) like ${like} or lower(order_id) like ${like} or lower(part_number) like ${like})`;
  const rows = await sql<{ doc: string }>`select doc from job_mirror where ${where} order by due_date, id limit ${f.limit} offset ${f.offset}`.execute(db);
  const total = await sql<{ n: number }>`select count(*)::int as n from job_mirror where ${where}`.execute(db);
  return { jobs: rows.rows.map((r) => JSON.parse(r.doc) as JobDto), total: Number(total.rows[0]?.n ?? 0) };
}

export interface MirroredJob {
  job: JobDto;
  edgeId: string;
}

export async function mirroredJob(db: Kysely<CloudTables>, id: string): Promise<MirroredJob | null> {
  const r = await sql<{ doc: string; edge_id: string }>`select doc, edge_id from job_mirror where id = ${id}`.execute(db);
  return r.rows[0] ? { job: JSON.parse(r.rows[0].doc) as JobDto, edgeId: r.rows[0].edge_id } : null;
}

/** A job's history, oldest first (at most `limit` entries, the latest ones). */
export async function jobEvents(db: Kysely<CloudTables>, jobId: string, limit = 1000): Promise<JobEventDto[]> {
  const r = await sql<{ doc: string }>`select doc from (select doc, id from job_event_mirror where job_id = ${jobId} order by id desc limit ${limit}) x order by id`.execute(db);
  return r.rows.map((x) => JSON.parse(x.doc) as JobEventDto);
}

const onMachine: readonly JobStatus[] = ['dispatched', 'running', 'held'];

/** What is on the machine, then its released jobs in the order the job manager last reported. */
export async function machineQueue(db: Kysely<CloudTables>, machineId: string): Promise<MachineQueueAnswer> {
  const current = await sql<{ doc: string }>`select doc from job_mirror where machine_id = ${machineId} and status = any(${[...onMachine]}::text[]) order by updated_at desc limit 1`.execute(db);
  const q = await sql<{ job_ids: string; sequencer: string | null; as_of: number }>`select job_ids, sequencer, as_of from job_queue where machine_id = ${machineId}`.execute(db);
  const ids = q.rows[0] ? (JSON.parse(q.rows[0].job_ids) as string[]) : [];
  const docs = ids.length ? await sql<{ id: string; doc: string; status: string }>`select id, doc, status from job_mirror where id = any(${ids}::text[])`.execute(db) : { rows: [] };
  const byId = new Map(docs.rows.map((d) => [d.id, d]));
  // a job released from the queue since the edge's report has moved on: leave it out
  const queue = ids.flatMap((id) => {
    const d = byId.get(id);
    return d && d.status === 'released' ? [JSON.parse(d.doc) as JobDto] : [];
  });
  return {
    machineId,
    current: current.rows[0] ? (JSON.parse(current.rows[0].doc) as JobDto) : null,
    queue,
    sequencer: q.rows[0]?.sequencer ?? null,
    asOf: q.rows[0] ? Number(q.rows[0].as_of) : null,
  };
}
