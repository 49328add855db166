import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The job manager's side of the command channel: every command it was given, by id, with the
 * result it reported (a second delivery of the same id answers this stored result, never applies
 * again), and whether the cloud has that result yet.
 */
export type AppliedCommandTable = {
  id: string;
  seq: number;
  type: string;
  target: string;
  /** applying (a crash in between leaves it so: never applied again) | applied | refused */
  status: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  applied_at: Date;
  reported_at: Date | null;
};

export type CloudLinkTables = {
  applied_command: AppliedCommandTable;
};

export const cloudLinkMigrations: Record<string, Migration> = {
  '0002_cloud_link': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('applied_command')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('before', 'jsonb')
        .addColumn('after', 'jsonb')
        .addColumn('applied_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('reported_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('applied_command_unreported').on('applied_command').columns(['reported_at', 'seq']).execute();
    },
  },
};
