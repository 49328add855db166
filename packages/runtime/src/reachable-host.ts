import { isIP } from 'node:net';

/**
 * Where a local client reaches a program that binds `bindHost`: that address, or 127.0.0.1 when it
 * binds every interface (a URL printed with 0.0.0.0 leads nowhere).
 */
export const reachableHost = (bindHost: string) => (bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost);

/** The same as it goes into a URL (an IPv6 address in brackets). */
export function urlHost(bindHost: string): string {
  const host = reachableHost(bindHost);
  return isIP(host) === 6 ? `[${host}]` : host;
}
