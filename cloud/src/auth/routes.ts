import { Router, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import { deviceLoginRequestSchema, loginRequestSchema, passwordChangeRequestSchema, type BearerLoginAnswer, type CookieLoginAnswer, type DeviceLoginAnswer, type MeAnswer } from '@plant-twin/contracts';
import { HttpError, jsonBody, refuse, validate, type Logger } from '@plant-twin/runtime';
import type { CloudTables } from '../db/schema.js';
import { clearedSessionCookies, cookieOf, knownClientCookie, knownClientCookieOf, sessionCookies } from './cookies.js';
import { deviceOfToken } from './devices.js';
import { anyRole, bodyLimits, principalOf, run, type Endpoint } from './guard.js';
import { knownClientOf, rememberClient } from './known-clients.js';
import { createDeviceSession, createUserSession, endSession } from './sessions.js';
import type { LoginThrottle, ThrottleVerdict } from './throttle.js';
import { audit, checkPassword, updateUser, verifyPassword } from './users.js';

export interface AuthRoutesDeps {
  db: Kysely<CloudTables>;
  endpoint: Endpoint;
  throttle: LoginThrottle;
  /** Secure cookies (false only for plain-HTTP test setups) */
  secureCookies: boolean;
  log: Logger;
}

const tooMany = (res: Response, req: Request, v: Extract<ThrottleVerdict, { ok: false }>) => {
  const s = Math.ceil(v.retryAfterMs / 1000);
  res.set('Retry-After', String(s));
  refuse(req, res, { status: 429, body: { error: `${v.why}: try again in ${s} s` } });
};

/** /auth/login, /auth/device, /auth/logout, /auth/me, /auth/password */
export function authRouter(deps: AuthRoutesDeps): Router {
  const { db, endpoint, throttle, secureCookies } = deps;
  const r = Router();
  const addressOf = (req: Request) => req.ip ?? req.socket.remoteAddress;

  // the address is judged before the body is read; the account once the body names it
  const addressGate = (req: Request, res: Response, next: () => void) => {
    const v = throttle.checkAddress(addressOf(req));
    if (!v.ok && !cookieOf(req.headers.cookie, knownClientCookie)) return tooMany(res, req, v);
    next();
  };

  r.post('/auth/login', addressGate, jsonBody(bodyLimits.small), run(async (req, res) => {
    const body = validate(loginRequestSchema, req.body);
    const knownClient = await knownClientOf(db, cookieOf(req.headers.cookie, knownClientCookie), body.username);
    const attempt = { address: addressOf(req), account: body.username, knownClient };
    const verdict = throttle.check(attempt);
    if (!verdict.ok) return tooMany(res, req, verdict);
    const user = await checkPassword(db, body.username, body.password);
    if (!user) {
      throttle.failure(attempt);
      await audit(db, body.username, 'auth.login_failed', body.username, { address: attempt.address, knownClient: Boolean(knownClient) });
      throw new HttpError(401, 'wrong user name or password');
    }
    throttle.success(attempt);
    const cookie = body.session === 'cookie';
    const s = await createUserSession(db, user.id, cookie);
    const cookies = cookie ? sessionCookies(s.token, s.csrf!, s.expiresAt, secureCookies) : [];
    if (!knownClient) cookies.push(knownClientCookieOf(await rememberClient(db, user.id), secureCookies));
    if (cookies.length) res.append('Set-Cookie', cookies);
    await audit(db, user.username, 'auth.login', user.username, { session: body.session, address: attempt.address });
    const u = { username: user.username, role: user.role };
    return cookie ? ({ expiresAt: s.expiresAt, user: u, csrfToken: s.csrf! } satisfies CookieLoginAnswer) : ({ token: s.token, expiresAt: s.expiresAt, user: u } satisfies BearerLoginAnswer);
  }));

  // device tokens are 256 random bits: guessing one is hopeless, so an andon screen behind the
  // plant's NAT is never held back by someone else's failed password logins from that address
  r.post('/auth/device', jsonBody(bodyLimits.small), run(async (req, res) => {
    const { token } = validate(deviceLoginRequestSchema, req.body);
    const device = await deviceOfToken(db, token);
    if (!device) {
      deps.log.warn({ address: addressOf(req) }, 'andon device login with an unknown token');
      throw new HttpError(401, 'unknown device token: ask an admin for a new one (Admin, Devices)');
    }
    const s = await createDeviceSession(db, device.id);
    res.append('Set-Cookie', sessionCookies(s.token, s.csrf!, s.expiresAt, secureCookies));
    await audit(db, `device:${device.name}`, 'auth.device', String(device.id), { address: addressOf(req) });
    return { expiresAt: s.expiresAt, user: { username: `device:${device.name}`, role: 'viewer' }, csrfToken: s.csrf!, kind: 'device' } satisfies DeviceLoginAnswer;
  }));

  r.post('/auth/logout', ...endpoint(anyRole, async (req, res) => {
    const p = principalOf(req);
    await endSession(db, p.tokenHash);
    res.append('Set-Cookie', clearedSessionCookies(secureCookies));
    await audit(db, p.username, 'auth.logout', p.username);
    return { ok: true };
  }));

  r.get('/auth/me', ...endpoint(anyRole, (req) => {
    const p = principalOf(req);
    return { username: p.username, role: p.role, expiresAt: p.expiresAt, kind: p.kind, ...(p.via === 'cookie' && p.csrf ? { csrfToken: p.csrf } : {}) } satisfies MeAnswer;
  }));

  r.post('/auth/password', ...endpoint(anyRole, async (req, res) => {
    const p = principalOf(req);
    if (p.kind !== 'user') throw new HttpError(403, 'an andon device has no password');
    const body = validate(passwordChangeRequestSchema, req.body);
    const attempt = { address: addressOf(req), account: p.username };
    const verdict = throttle.check(attempt);
    if (!verdict.ok) return tooMany(res, req, verdict);
    if (!(await verifyPassword(db, p.id, body.currentPassword))) {
      throttle.failure(attempt);
      throw new HttpError(403, 'current password is wrong');
    }
    await updateUser(db, p.username, { password: body.newPassword });
    await audit(db, p.username, 'user.password', p.username);
    // every session of the user ended with the change, this one too
    if (p.via === 'cookie') res.append('Set-Cookie', clearedSessionCookies(secureCookies));
    return { ok: true, note: 'all sessions ended: log in again' };
  }, bodyLimits.small));

  return r;
}
