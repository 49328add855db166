import type { Request, RequestHandler } from 'express';
import { bearerToken, refuse } from '@plant-twin/runtime';
import type { EdgeAuth } from './edge-auth.js';

/** The edge a request was authenticated as (edge endpoints only). */
export const edgeOf = (req: Request): string => (req as Request & { edgeId: string }).edgeId;

/**
 * Edge endpoints (jobs push, command channel): `Authorization: Bearer <edge token>` and
 * `X-Edge-Id`, the same check as ingest, before any body is read.
 */
export function edgeGuard(edges: EdgeAuth): RequestHandler {
  return (req, res, next) => {
    const edgeId = req.get('x-edge-id');
    const token = bearerToken(req);
    const refused = () => refuse(req, res, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: 'missing or invalid edge credential (Authorization: Bearer <token>, X-Edge-Id)' } });
    if (!edgeId || !token) return refused();
    edges.check(edgeId, token).then((ok) => {
      if (!ok) return refused();
      (req as Request & { edgeId: string }).edgeId = edgeId;
      next();
    }, next);
  };
}
