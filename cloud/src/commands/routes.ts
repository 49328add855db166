import { Router } from 'express';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import { commandResultSchema, commandsQuerySchema, edgeCommandsQuerySchema, jobCommandRequestSchema, type CommandAnswer, type CommandsAnswer, type EdgeCommandsAnswer } from '@plant-twin/contracts';
import { HttpError, jsonBody, validate, type Logger } from '@plant-twin/runtime';
import { edgeGuard, edgeOf } from '../auth/edge-guard.js';
import type { EdgeAuth } from '../auth/edge-auth.js';
import { anyRole, bodyLimits, planners, principalOf, run, type Endpoint } from '../auth/guard.js';
import { audit } from '../auth/users.js';
import type { CloudTables } from '../db/schema.js';
import { mirroredJob } from '../jobs-mirror/store.js';
import type { LiveHub } from '../live/hub.js';
import type { CommandSignals } from './signals.js';
import { createCommand, expireCommands, fetchForEdge, getCommand, listCommands, recordResult } from './store.js';

export interface CommandRoutesDeps {
  db: Kysely<CloudTables>;
  endpoint: Endpoint;
  edges: EdgeAuth;
  hub: LiveHub;
  signals: CommandSignals;
  /** how long a command waits for its edge (default 2 minutes) */
  lifetimeMs: number;
  log: Logger;
}

const idParam = z.uuid('not a command id');

/** Twin: POST /jobs/:id/commands, GET /commands, GET /commands/:id. Edge: the long poll and results. */
export function commandRouter(deps: CommandRoutesDeps): Router {
  const { db, endpoint, hub, signals } = deps;
  const r = Router();

  r.post('/jobs/:id/commands', ...endpoint(planners, async (req, res) => {
    const body = validate(jobCommandRequestSchema, req.body);
    const mirrored = await mirroredJob(db, String(req.params.id));
    if (!mirrored) throw new HttpError(404, `no job ${String(req.params.id)} (the edge has not reported it)`);
    const p = principalOf(req);
    const { job } = mirrored;
    const args = { ...(body.priority !== undefined ? { priority: body.priority } : {}), ...(body.reason ? { reason: body.reason } : {}) };
    const command = await createCommand(db, { edgeId: mirrored.edgeId, type: `job.${body.action}`, target: job.id, args, createdBy: p.username, lifetimeMs: deps.lifetimeMs });
    await audit(db, p.username, 'command.create', job.id, { commandId: command.id, type: command.type, args, before: { status: job.status, priority: job.priority, machineId: job.machineId } });
    hub.broadcast('command', { command });
    signals.notify(mirrored.edgeId);
    res.status(202);
    return { command } satisfies CommandAnswer;
  }, bodyLimits.small));

  r.get('/commands', ...endpoint(anyRole, async (req) => ({ commands: await listCommands(db, validate(commandsQuerySchema, req.query)) }) satisfies CommandsAnswer));

  r.get('/commands/:id', ...endpoint(anyRole, async (req) => {
    const c = await getCommand(db, validate(idParam, req.params.id));
    if (!c) throw new HttpError(404, `no command ${String(req.params.id)}`);
    const { edgeId: _edge, ...command } = c;
    return { command } satisfies CommandAnswer;
  }));

  const guard = edgeGuard(deps.edges);

  r.get('/edge/commands', guard, run(async (req, res) => {
    const q = validate(edgeCommandsQuerySchema, req.query);
    const edgeId = edgeOf(req);
    // a poll whose edge went away delivers nothing (its commands stay pending for the next one)
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    if (req.socket.destroyed) gone.abort();
    const fetch = () => (gone.signal.aborted ? null : fetchForEdge(db, edgeId, q.after));
    let fetched = await fetch();
    if (fetched && !fetched.commands.length && q.waitS > 0) {
      await signals.wait(edgeId, q.waitS * 1000, gone.signal);
      fetched = await fetch();
    }
    if (!fetched) return undefined;
    for (const command of fetched.delivered) hub.broadcast('command', { command });
    return { commands: fetched.commands, serverTime: Date.now() } satisfies EdgeCommandsAnswer;
  }));

  r.post('/edge/commands/:id/result', guard, jsonBody(bodyLimits.result), run(async (req, res) => {
    const id = validate(idParam, req.params.id);
    const result = validate(commandResultSchema, req.body);
    const edgeId = edgeOf(req);
    const outcome = await recordResult(db, edgeId, id, result);
    if (outcome.kind === 'unknown') throw new HttpError(404, `no command ${id} for edge ${edgeId}`);
    if (outcome.kind === 'conflict') {
      deps.log.warn({ commandId: id, held: outcome.command.status, got: result.status }, 'a second, different result for a command: ignored');
      res.status(409);
      return { error: `command ${id} has the result ${outcome.command.status} already; a different one is ignored`, command: outcome.command };
    }
    if (outcome.kind === 'recorded') {
      const c = outcome.command;
      await audit(db, `edge:${edgeId}`, 'command.result', c.target, { commandId: c.id, type: c.type, status: c.status, reason: c.reason, before: c.before, after: c.after, edgeAt: result.at, ...(outcome.late ? { late: 'the cloud had marked it expired' } : {}) });
      hub.broadcast('command', { command: c });
    }
    return { command: outcome.command } satisfies CommandAnswer;
  }));

  return r;
}

/** Marks commands nobody took in time expired, audits and announces each. */
export async function expireAndAnnounce(db: Kysely<CloudTables>, hub: LiveHub): Promise<number> {
  const expired = await expireCommands(db);
  for (const c of expired) {
    await audit(db, null, 'command.expire', c.target, { commandId: c.id, type: c.type, createdBy: c.createdBy, expiresAt: c.expiresAt });
    hub.broadcast('command', { command: c });
  }
  return expired.length;
}
