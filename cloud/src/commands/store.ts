import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Command, CommandResult, CommandStatus, CommandType } from '@plant-twin/contracts';
import type { CloudTables } from '../db/schema.js';

/**
 * Commands wait in the cloud until their edge fetches them over a connection it opens (long poll):
 * pending -> delivered (fetched) -> applied | refused (the edge's result), or expired when nobody
 * fetched them in time (a delivered one gets `resultGraceMs` more for its result to arrive). The
 * edge never applies an expired command; a result that arrives after the cloud marked one expired
 * is still recorded (the edge's word is the truth), and said so in the audit.
 */
type Row = {
  seq: number;
  id: string;
  edge_id: string;
  type: CommandType;
  target: string;
  args: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  status: CommandStatus;
  reason: string | null;
  before_doc: string | null;
  after_doc: string | null;
  delivered_at: number | null;
  result_at: number | null;
};

const columns = sql`seq, id, edge_id, type, target, args, created_by, created_at, expires_at, status, reason, before_doc, after_doc, delivered_at, result_at`;

export function commandOf(r: Row): Command {
  return {
    id: r.id,
    seq: Number(r.seq),
    type: r.type,
    target: r.target,
    args: JSON.parse(r.args) as Record<string, unknown>,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    status: r.status,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.before_doc !== null ? { before: JSON.parse(r.before_doc) as unknown } : {}),
    ...(r.after_doc !== null ? { after: JSON.parse(r.after_doc) as unknown } : {}),
    ...(r.delivered_at !== null ? { deliveredAt: Number(r.delivered_at) } : {}),
    ...(r.result_at !== null ? { resultAt: Number(r.result_at) } : {}),
  };
}

export interface NewCommand {
  edgeId: string;
  type: CommandType;
  target: string;
  args: Record<string, unknown>;
  createdBy: string;
  lifetimeMs: number;
}

/**
 * One at a time (a transaction lock): commands commit in the order of their seq, so an edge that
 * has seen seq n has seen every command before it (its cursor never skips one committed late).
 */
export async function createCommand(db: Kysely<CloudTables>, c: NewCommand, now = Date.now()): Promise<Command> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(7140001)`.execute(trx);
    const r = await sql<Row>`insert into command (id, edge_id, type, target, args, created_by, created_at, expires_at, status)
      values (${randomUUID()}, ${c.edgeId}, ${c.type}, ${c.target}, ${JSON.stringify(c.args)}, ${c.createdBy}, ${now}, ${now + c.lifetimeMs}, 'pending')
      returning ${columns}`.execute(trx);
    return commandOf(r.rows[0]!);
  });
}

export async function getCommand(db: Kysely<CloudTables>, id: string): Promise<(Command & { edgeId: string }) | null> {
  const r = await sql<Row>`select ${columns} from command where id = ${id}`.execute(db);
  return r.rows[0] ? { ...commandOf(r.rows[0]), edgeId: r.rows[0].edge_id } : null;
}

export async function listCommands(db: Kysely<CloudTables>, q: { status?: readonly CommandStatus[] | undefined; target?: string | undefined; limit: number }): Promise<Command[]> {
  const status = q.status ? [...q.status] : null;
  const r = await sql<Row>`select ${columns} from command where (${status}::text[] is null or status = any(${status}::text[]))
    and (${q.target ?? null}::text is null or target = ${q.target ?? null}) order by seq desc limit ${q.limit}`.execute(db);
  return r.rows.map(commandOf);
}

/**
 * The edge's unfinished, unexpired commands after its cursor, oldest first (at most `limit`);
 * pending ones become delivered. Returns them and those whose status changed.
 */
export async function fetchForEdge(db: Kysely<CloudTables>, edgeId: string, after: number, now = Date.now(), limit = 100): Promise<{ commands: Command[]; delivered: Command[] }> {
  return db.transaction().execute(async (trx) => {
    const r = await sql<Row>`select ${columns} from command where edge_id = ${edgeId} and seq > ${after} and status in ('pending', 'delivered') and expires_at > ${now}
      order by seq limit ${limit}`.execute(trx);
    const pending = r.rows.filter((x) => x.status === 'pending').map((x) => x.id);
    const delivered = pending.length
      ? (await sql<Row>`update command set status = 'delivered', delivered_at = ${now} where id = any(${pending}::text[]) and status = 'pending' returning ${columns}`.execute(trx)).rows.map(commandOf)
      : [];
    const byId = new Map(delivered.map((c) => [c.id, c]));
    return { commands: r.rows.map((x) => byId.get(x.id) ?? commandOf(x)), delivered };
  });
}

/** Marks the commands nobody fetched in time (and delivered ones without a result after the grace) expired. */
export async function expireCommands(db: Kysely<CloudTables>, now = Date.now(), resultGraceMs = 30_000): Promise<Command[]> {
  const r = await sql<Row>`update command set status = 'expired', reason = 'nobody applied it before it expired', result_at = ${now}
    where (status = 'pending' and expires_at <= ${now}) or (status = 'delivered' and expires_at <= ${now - resultGraceMs})
    returning ${columns}`.execute(db);
  return r.rows.map(commandOf);
}

export type ResultOutcome = { kind: 'recorded'; command: Command; late: boolean } | { kind: 'same'; command: Command } | { kind: 'conflict'; command: Command } | { kind: 'unknown' };

/** Records the edge's result once: the same result again is fine, a different one is a conflict. */
export async function recordResult(db: Kysely<CloudTables>, edgeId: string, id: string, result: CommandResult, now = Date.now()): Promise<ResultOutcome> {
  return db.transaction().execute(async (trx) => {
    const r = await sql<Row>`select ${columns} from command where id = ${id} and edge_id = ${edgeId} for update`.execute(trx);
    const row = r.rows[0];
    if (!row) return { kind: 'unknown' };
    const current = commandOf(row);
    // an expiry by the cloud is not a result: the edge's result replaces it
    if (row.status === 'applied' || row.status === 'refused') {
      const same = row.status === result.status && (row.reason ?? undefined) === result.reason;
      return same ? { kind: 'same', command: current } : { kind: 'conflict', command: current };
    }
    const u = await sql<Row>`update command set status = ${result.status}, reason = ${result.reason ?? null},
      before_doc = ${result.before === undefined ? null : JSON.stringify(result.before)}, after_doc = ${result.after === undefined ? null : JSON.stringify(result.after)},
      delivered_at = coalesce(delivered_at, ${now}), result_at = ${now} where id = ${id} returning ${columns}`.execute(trx);
    return { kind: 'recorded', command: commandOf(u.rows[0]!), late: row.status === 'expired' };
  });
}
