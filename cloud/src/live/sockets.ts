import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LiveAck, LiveSnapshot, Role } from '@plant-twin/contracts';
import { credentialsOf, type Roles } from '../auth/guard.js';
import { sessionOf, type Principal } from '../auth/sessions.js';
import type { CloudTables } from '../db/schema.js';
import type { LiveServer } from './hub.js';

export interface SocketDeps {
  db: Kysely<CloudTables>;
  machineIds: readonly string[];
  snapshot: () => Promise<LiveSnapshot>;
  log: Logger;
  /** how often open sockets are checked against their sessions (logout, disabled user, deleted device) */
  recheckMs?: number;
}

/** What each client event needs: today every live event is read-only, so any role. */
const eventRoles: Record<'subscribe' | 'unsubscribe', Roles> = { subscribe: 'any', unsubscribe: 'any' };
const hostOf = (origin: string) => {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
};
const allowed = (p: Principal, roles: Roles) => roles === 'any' || (roles as readonly Role[]).includes(p.role);

/**
 * The socket.io side of the hub: a handshake authenticates by the session cookie (browsers; its
 * Origin must be this server, so another site cannot open a socket with the cookie) or by
 * `auth: { token }` (API clients); a refused handshake's error says why. A socket ends with its
 * session (expiry, logout, a disabled user or a deleted andon device within `recheckMs`). Every
 * client event checks the role it needs and answers a callback with the refusal.
 */
export function attachSockets(io: LiveServer, deps: SocketDeps): { close: () => void } {
  io.use((socket, next) => {
    const h = socket.handshake;
    const authToken = (h.auth as { token?: unknown } | undefined)?.token;
    const c = typeof authToken === 'string' ? { token: authToken, via: 'bearer' as const } : credentialsOf({ cookie: h.headers.cookie });
    if (c.via === 'cookie' && h.headers.origin && hostOf(h.headers.origin) !== h.headers.host) return next(new Error(`origin ${h.headers.origin} may not use this session`));
    sessionOf(deps.db, c.token, c.via).then(
      (p) => {
        if (!p) return next(new Error('log in first: no valid session (the session cookie, or auth: { token })'));
        socket.data.principal = p;
        // a socket lives no longer than its session
        setTimeout(() => socket.disconnect(true), Math.min(2 ** 31 - 1, Math.max(0, p.expiresAt - Date.now()))).unref();
        next();
      },
      (err: unknown) => {
        deps.log.warn({ err }, 'socket authentication failed');
        next(new Error('could not check the session, retry'));
      },
    );
  });

  io.on('connection', (socket) => {
    const p = socket.data.principal as Principal;
    void socket.join('plant');
    deps.snapshot().then((s) => socket.emit('snapshot', s), (err: unknown) => deps.log.warn({ err }, 'snapshot failed'));
    const guarded = (event: keyof typeof eventRoles, f: (machineId: string) => LiveAck) => (machineId: unknown, ack?: unknown) => {
      const answer = (a: LiveAck) => (typeof ack === 'function' ? (ack as (a: LiveAck) => void)(a) : undefined);
      if (!allowed(p, eventRoles[event])) return answer({ ok: false, error: `${event} needs role ${(eventRoles[event] as readonly Role[]).join(' or ')} (you are ${p.role})` });
      if (typeof machineId !== 'string' || !deps.machineIds.includes(machineId)) return answer({ ok: false, error: `no machine ${String(machineId)}` });
      answer(f(machineId));
    };
    socket.on('subscribe', guarded('subscribe', (id) => (void socket.join(`machine:${id}`), { ok: true })));
    socket.on('unsubscribe', guarded('unsubscribe', (id) => (void socket.leave(`machine:${id}`), { ok: true })));
  });

  const recheck = setInterval(() => {
    for (const socket of io.sockets.sockets.values()) {
      const p = socket.data.principal as Principal | undefined;
      if (!p) continue;
      void deps.db
        .selectFrom('session')
        .select('token_hash')
        .where('token_hash', '=', p.tokenHash)
        .executeTakeFirst()
        .then((row) => (row ? undefined : socket.disconnect(true)), () => undefined);
    }
  }, deps.recheckMs ?? 30_000);
  recheck.unref();
  return { close: () => clearInterval(recheck) };
}
