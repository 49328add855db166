import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { verifySecret } from '@plant-twin/runtime';

/**
 * Andon screens sign in with a device token (an admin made it; the deployment holds its scrypt hash
 * in ANDON_DEVICE_CREDENTIALS, `{"<device name>": "<hash>"}`) and get a viewer session for 30 days,
 * renewed whenever the screen asks who it is. Sessions are signed, not stored: `<device>.<expiry>.<mac>`
 * with a key made from the device's credential, so they survive a restart of the andon server and
 * end when the device's credential leaves the environment.
 */
export const sessionLifetimeMs = 30 * 24 * 3600_000;

export interface DeviceSession {
  device: string;
  expiresAt: number;
  token: string;
  /** the X-CSRF-Token value of this session (the andon takes no cookie-authenticated changes, but the twin's client wants one) */
  csrfToken: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

export class DeviceSessions {
  private readonly keys: Map<string, Buffer>;

  constructor(private readonly credentials: Readonly<Record<string, string>>) {
    this.keys = new Map(Object.entries(credentials).map(([device, hash]) => [device, createHash('sha256').update(`andon-session\0${hash}`).digest()]));
  }

  get deviceCount(): number {
    return this.keys.size;
  }

  /** The session for a device token, or undefined when no device has that token. */
  async signIn(token: string, now = Date.now()): Promise<DeviceSession | undefined> {
    for (const [device, hash] of Object.entries(this.credentials)) if (await verifySecret(token, hash)) return this.issue(device, now);
    return undefined;
  }

  /** A new session of the same device, expiring `sessionLifetimeMs` from now. */
  issue(device: string, now = Date.now()): DeviceSession {
    const expiresAt = now + sessionLifetimeMs;
    const body = `${b64(device)}.${expiresAt}`;
    const token = `${body}.${this.mac(device, body)}`;
    return { device, expiresAt, token, csrfToken: this.mac(device, `csrf\0${token}`) };
  }

  /** The session a token stands for, if it is one of ours, unexpired, of a device still known. */
  check(token: string | undefined, now = Date.now()): DeviceSession | undefined {
    const m = /^([A-Za-z0-9_-]+)\.(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
    if (!m) return undefined;
    const device = unb64(m[1]!);
    const expiresAt = Number(m[2]);
    if (!this.keys.has(device) || expiresAt <= now) return undefined;
    const expected = Buffer.from(this.mac(device, `${m[1]}.${m[2]}`));
    const presented = Buffer.from(m[3]!);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return undefined;
    return { device, expiresAt, token: token!, csrfToken: this.mac(device, `csrf\0${token}`) };
  }

  private mac(device: string, text: string): string {
    return createHmac('sha256', this.keys.get(device)!).update(text).digest('base64url');
  }
}

/**
 * At most `perMinute` sign-in attempts per client address: each costs a scrypt check per device, and a
 * wrong token must not be guessable by trying. Bounded: the oldest addresses are forgotten first.
 */
export class SignInLimiter {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly perMinute = 10,
    private readonly maxAddresses = 10_000,
  ) {}

  /** ms to wait before the next attempt from this address (0: go ahead, and it is counted) */
  take(address: string, now = Date.now()): number {
    const recent = (this.attempts.get(address) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) return 60_000 - (now - recent[0]!);
    recent.push(now);
    this.attempts.delete(address);
    this.attempts.set(address, recent);
    if (this.attempts.size > this.maxAddresses) this.attempts.delete(this.attempts.keys().next().value!);
    return 0;
  }
}
