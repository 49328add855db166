import { parseCookie, stringifySetCookie } from 'cookie';
import { csrfCookie, sessionCookie } from '@plant-twin/contracts';

/**
 * The browser session's cookies: `pt_session` (the token: httpOnly, so no script reads it) and
 * `pt_csrf` (readable by the twin, sent back as X-CSRF-Token: a cross-site page can make the
 * browser send the cookies but cannot read them). Both SameSite=Strict and Secure: the cloud serves
 * HTTPS; `secure: false` only for plain-HTTP test setups (CLOUD_INSECURE_COOKIES).
 * A third, `pt_known`, marks a browser that has logged in before (login throttle: known clients).
 */
export const knownClientCookie = 'pt_known';
const knownClientMaxAgeS = 365 * 86_400;

export function sessionCookies(token: string, csrf: string, expiresAt: number, secure: boolean): string[] {
  const base = { path: '/', sameSite: 'strict' as const, secure, expires: new Date(expiresAt) };
  return [stringifySetCookie(sessionCookie, token, { ...base, httpOnly: true }), stringifySetCookie(csrfCookie, csrf, base)];
}

export function clearedSessionCookies(secure: boolean): string[] {
  const base = { path: '/', sameSite: 'strict' as const, secure, expires: new Date(0), maxAge: 0 };
  return [stringifySetCookie(sessionCookie, '', { ...base, httpOnly: true }), stringifySetCookie(csrfCookie, '', base)];
}

export function knownClientCookieOf(token: string, secure: boolean): string {
  return stringifySetCookie(knownClientCookie, token, { path: '/api/v1/auth/', sameSite: 'strict', secure, httpOnly: true, maxAge: knownClientMaxAgeS });
}

/** One cookie of a Cookie header (undefined when absent or the header is malformed). */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  try {
    return parseCookie(header)[name] || undefined;
  } catch {
    return undefined;
  }
}
