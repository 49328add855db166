import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Kysely } from 'kysely';
import { csrfCookie, csrfHeader, sessionCookie, type Role } from '@plant-twin/contracts';
import { bearerToken, jsonBody, refuse } from '@plant-twin/runtime';
import type { CloudTables } from '../db/schema.js';
import { cookieOf } from './cookies.js';
import { sessionOf, type Principal } from './sessions.js';

/**
 * Every API route: the session is checked first (cookie or bearer), then, for a cookie session's
 * change (POST/PUT/PATCH/DELETE), the CSRF double-submit token, then the role; only then is the
 * body read, within the route's own bound. Refusals say why: 401 without a session, 403 naming the
 * role needed (and the caller's), 403 for a missing or wrong CSRF token.
 */
export type Roles = readonly Role[] | 'any';
export const anyRole: Roles = 'any';
export const adminOnly: readonly Role[] = ['admin'];
export const alarmAckRoles: readonly Role[] = ['supervisor', 'engineer', 'admin'];
export const planners: readonly Role[] = ['planner', 'admin'];
export const engineers: readonly Role[] = ['admin', 'engineer'];

export type AuthedRequest = Request & { principal: Principal };
export const principalOf = (req: Request): Principal => (req as AuthedRequest).principal;

/** The session token a request carries: Authorization: Bearer first, else the pt_session cookie. */
export function credentialsOf(headers: { authorization?: string | undefined; cookie?: string | undefined }): { token: string | undefined; via: Principal['via'] } {
  const bearer = bearerToken({ headers });
  if (bearer) return { token: bearer, via: 'bearer' };
  return { token: cookieOf(headers.cookie, sessionCookie), via: 'cookie' };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** A cookie session's change must carry X-CSRF-Token equal to its pt_csrf cookie and to the session's own. */
export function csrfOk(req: Request, p: Principal): boolean {
  if (p.via !== 'cookie' || safeMethods.has(req.method)) return true;
  const header = req.get(csrfHeader);
  const cookie = cookieOf(req.headers.cookie, csrfCookie);
  return Boolean(header && cookie && p.csrf && same(header, cookie) && same(header, p.csrf));
}

export const unauthorized = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { error: 'log in first: no valid session (the pt_session cookie, or Authorization: Bearer <session token>)' } };
export const roleRefusal = (allowed: readonly Role[], p: Principal) => ({ status: 403, body: { error: `needs role ${allowed.join(' or ')} (you are ${p.role})` } });
export const csrfRefusal = { status: 403, body: { error: 'CSRF token missing or wrong: reload the page' } };

export type Handler = (req: AuthedRequest, res: Response) => unknown;

/**
 * Builds route handlers: `endpoint(roles, handler)` for routes without a body,
 * `endpoint(roles, handler, limitBytes)` for routes that take one. A handler's return value (when not
 * undefined and nothing was sent yet) is the JSON answer.
 */
export function endpoints(db: Kysely<CloudTables>) {
  const guard = (allowed: Roles): RequestHandler => (req, res, next) => {
    const c = credentialsOf(req.headers);
    sessionOf(db, c.token, c.via).then((p) => {
      if (!p) return refuse(req, res, unauthorized);
      if (!csrfOk(req, p)) return refuse(req, res, csrfRefusal);
      if (allowed !== 'any' && !allowed.includes(p.role)) return refuse(req, res, roleRefusal(allowed, p));
      (req as AuthedRequest).principal = p;
      next();
    }, next);
  };
  return (allowed: Roles, handler: Handler, bodyLimit?: number): RequestHandler[] => [guard(allowed), ...(bodyLimit ? [jsonBody(bodyLimit)] : []), run(handler)];
}
export type Endpoint = ReturnType<typeof endpoints>;

/** Runs a handler, answering with what it returns and passing errors on. */
export function run(handler: (req: AuthedRequest, res: Response) => unknown): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => handler(req as AuthedRequest, res))
      .then((value) => {
        if (value !== undefined && !res.headersSent) res.json(value);
      }, next);
  };
}

/** Body bounds per kind of route (bytes). */
export const bodyLimits = { small: 4 * 1024, form: 16 * 1024, edgePush: 4 * 1024 * 1024, result: 256 * 1024 } as const;
