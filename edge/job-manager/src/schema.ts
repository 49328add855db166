import { sql, type Generated, type Kysely, type Migration, type Selectable } from 'kysely';

export const jobStatuses = ['planned', 'released', 'dispatched', 'running', 'held', 'completed', 'cancelled', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];
export const finishedStatuses: readonly JobStatus[] = ['completed', 'cancelled', 'failed'];
/** statuses in which the job may be on a machine (held: only when machine_id is set) */
export const onMachineStatuses: readonly JobStatus[] = ['dispatched', 'running', 'held'];

export interface JobsTable {
  /** `<orderId>-<operation>`: one job per ERP order operation, stable across versions */
  id: string;
  order_id: string;
  operation: string;
  order_version: number;
  part_number: string;
  work_center: string;
  /** the ERP's current quantity */
  quantity: number;
  /** the quantity sent to the machine (null until dispatched) */
  dispatched_quantity: number | null;
  due_date: Date;
  priority: number;
  eligible_machines: string[];
  status: JobStatus;
  /** the machine the job is on (dispatched / running / held on it) or finished on */
  machine_id: string | null;
  good: number;
  scrap: number;
  /** the ERP cancelled or a user asked to cancel while the job is on a machine: cancel there first */
  cancel_requested: boolean;
  dispatch_attempts: number;
  /** not before this time may the orchestrator try to dispatch it again */
  next_dispatch_at: Date | null;
  /** machines that refused or were unreachable for this job since its last release */
  avoid_machines: string[];
  started_at: Date | null;
  ended_at: Date | null;
  message: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface JobEventsTable {
  id: Generated<number>;
  job_id: string;
  at: Generated<Date>;
  /** transition | change (ERP or user changed data) | progress | note */
  kind: string;
  from_status: JobStatus | null;
  to_status: JobStatus | null;
  actor: string;
  reason: string;
  detail: unknown;
}

export const outboxStatuses = ['pending', 'delivered', 'rejected'] as const;
export interface OutboxTable {
  id: Generated<number>;
  /** the idempotency key the ERP sees; unique, derived from job + operation + final flag */
  confirmation_id: string;
  job_id: string;
  payload: unknown;
  status: (typeof outboxStatuses)[number];
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  /** created (201) or duplicate (409: the ERP already had it) */
  erp_result: string | null;
  created_at: Generated<Date>;
  delivered_at: Date | null;
}

export interface SyncStateTable {
  key: string;
  value: string;
  updated_at: Generated<Date>;
}

export interface JobDatabase {
  jobs: JobsTable;
  job_events: JobEventsTable;
  outbox: OutboxTable;
  sync_state: SyncStateTable;
}
export type Job = Selectable<JobsTable>;
export type JobEvent = Selectable<JobEventsTable>;
export type OutboxRow = Selectable<OutboxTable>;

const now = sql`now()`;
/** Versioned migrations; names sort in the order they apply. Never edit one that has shipped: add the next. */
export const migrations: Record<string, Migration> = {
  '0001_jobs': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('order_version', 'integer', (c) => c.notNull())
        .addColumn('part_number', 'text', (c) => c.notNull())
        .addColumn('work_center', 'text', (c) => c.notNull())
        .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
        .addColumn('dispatched_quantity', 'integer')
        .addColumn('due_date', 'timestamptz', (c) => c.notNull())
        .addColumn('priority', 'integer', (c) => c.notNull())
        .addColumn('eligible_machines', sql`text[]`, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sql.join(jobStatuses.map((s) => sql.lit(s)))})`))
        .addColumn('machine_id', 'text')
        .addColumn('good', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('scrap', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('dispatch_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_dispatch_at', 'timestamptz')
        .addColumn('avoid_machines', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('started_at', 'timestamptz')
        .addColumn('ended_at', 'timestamptz')
        .addColumn('message', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addUniqueConstraint('jobs_order_operation', ['order_id', 'operation'])
        .execute();
      await db.schema.createIndex('jobs_status').on('jobs').column('status').execute();
      await db.schema.createIndex('jobs_machine').on('jobs').columns(['machine_id', 'status']).execute();
      await db.schema
        .createTable('job_events')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb')
        .execute();
      await db.schema.createIndex('job_events_job').on('job_events').columns(['job_id', 'id']).execute();
      await db.schema
        .createTable('outbox')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('confirmation_id', 'text', (c) => c.notNull().unique())
        .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('last_error', 'text')
        .addColumn('erp_result', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('delivered_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('outbox_pending').on('outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema
        .createTable('sync_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();
    },
  },
};
