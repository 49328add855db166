import { isIPv6 } from 'node:net';

/**
 * Login throttle (issue 15: 30 wrong tries locked the real admin out, and 30 names from one address
 * were never slowed). Failed logins are counted in three kinds of bucket, each with a cap per
 * minute and a delay that doubles with every failure in a row beyond a few:
 *
 * - per client address (IPv6 by its /64): one address tries at most 5 passwords a minute, over all
 *   user names, then waits longer and longer (up to 15 minutes);
 * - per account, for clients that never logged in to it: at most 10 a minute from all addresses
 *   together, so no crowd of addresses tries more than a few passwords a minute on one account;
 *   twice the address cap, so one address alone never blocks the account for anyone else;
 * - per known client and account: a browser (or API client keeping the pt_known cookie) that logged
 *   in to the account before has its own bucket and skips the two above, so an attack on the
 *   account, or from the same network address (the plant's NAT), never locks its real user out.
 *
 * The check runs before the password's scrypt, so refused tries cost nothing. Memory is bounded:
 * each kind keeps at most `maxEntries` buckets, forgetting the quiet ones first.
 */
export interface BucketRule {
  perMinute: number;
  /** failures in a row before the delays start */
  freeStreak: number;
  maxDelayMs: number;
}

export interface ThrottleRules {
  address: BucketRule;
  account: BucketRule;
  knownClient: BucketRule;
  /** buckets kept per kind */
  maxEntries: number;
  /** a streak of failures is forgotten after this long without one */
  forgetAfterMs: number;
}

export const defaultThrottleRules: ThrottleRules = {
  address: { perMinute: 5, freeStreak: 3, maxDelayMs: 15 * 60_000 },
  account: { perMinute: 10, freeStreak: 6, maxDelayMs: 60_000 },
  knownClient: { perMinute: 5, freeStreak: 3, maxDelayMs: 15 * 60_000 },
  maxEntries: 10_000,
  forgetAfterMs: 15 * 60_000,
};

const minute = 60_000;

interface Bucket {
  /** times of the failures of the last minute (at most perMinute) */
  recent: number[];
  streak: number;
  last: number;
  /** not before this time (the growing delay) */
  nextAt: number;
}

class Buckets {
  private readonly map = new Map<string, Bucket>();
  constructor(
    private readonly rule: BucketRule,
    private readonly rules: ThrottleRules,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** ms until this bucket allows a try (0: now) */
  waitMs(key: string, now: number): number {
    const b = this.map.get(key);
    if (!b) return 0;
    if (now - b.last > this.rules.forgetAfterMs) {
      this.map.delete(key);
      return 0;
    }
    const recent = b.recent.filter((t) => t > now - minute);
    const windowWait = recent.length >= this.rule.perMinute ? recent[0]! + minute - now : 0;
    return Math.max(0, b.nextAt - now, windowWait);
  }

  failure(key: string, now: number): void {
    const old = this.map.get(key);
    const b = old && now - old.last <= this.rules.forgetAfterMs ? old : { recent: [], streak: 0, last: now, nextAt: 0 };
    b.recent = [...b.recent.filter((t) => t > now - minute), now].slice(-this.rule.perMinute);
    b.streak++;
    b.last = now;
    const over = b.streak - this.rule.freeStreak;
    b.nextAt = over >= 0 ? now + Math.min(this.rule.maxDelayMs, 1000 * 2 ** over) : 0;
    // most recently failed last: the first entries are the ones to forget
    this.map.delete(key);
    this.map.set(key, b);
    this.bound(now);
  }

  success(key: string): void {
    const b = this.map.get(key);
    if (b) {
      b.streak = 0;
      b.nextAt = 0;
    }
  }

  private bound(now: number): void {
    if (this.map.size <= this.rules.maxEntries) return;
    for (const [k, b] of this.map) {
      if (this.map.size <= this.rules.maxEntries) return;
      if (now - b.last > minute) this.map.delete(k);
    }
    while (this.map.size > this.rules.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
}

/** The key of a client address: IPv4 as is, IPv6 by its /64 (one host commonly holds a whole /64). */
export function addressKey(address: string | undefined): string {
  const a = (address ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!isIPv6(a)) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterMs: number; why: string };

export interface LoginAttempt {
  address: string | undefined;
  account: string;
  /** a known-client token hash valid for this account, when the client presented one */
  knownClient?: string | undefined;
}

export class LoginThrottle {
  private readonly addresses: Buckets;
  private readonly accounts: Buckets;
  private readonly known: Buckets;

  constructor(
    readonly rules: ThrottleRules = defaultThrottleRules,
    private readonly now: () => number = Date.now,
  ) {
    this.addresses = new Buckets(rules.address, rules);
    this.accounts = new Buckets(rules.account, rules);
    this.known = new Buckets(rules.knownClient, rules);
  }

  /** Buckets held, per kind (the memory bound is tested with it). */
  get sizes(): { addresses: number; accounts: number; known: number } {
    return { addresses: this.addresses.size, accounts: this.accounts.size, known: this.known.size };
  }

  /** Whether this client's address alone is throttled (checked before the body is read). */
  checkAddress(address: string | undefined): ThrottleVerdict {
    const wait = this.addresses.waitMs(addressKey(address), this.now());
    return wait > 0 ? { ok: false, retryAfterMs: wait, why: 'too many failed logins from this address' } : { ok: true };
  }

  check(a: LoginAttempt): ThrottleVerdict {
    const now = this.now();
    if (a.knownClient) {
      const wait = this.known.waitMs(`${a.account}\n${a.knownClient}`, now);
      return wait > 0 ? { ok: false, retryAfterMs: wait, why: 'too many failed logins from this browser' } : { ok: true };
    }
    const byAddress = this.checkAddress(a.address);
    if (!byAddress.ok) return byAddress;
    const wait = this.accounts.waitMs(a.account, now);
    return wait > 0 ? { ok: false, retryAfterMs: wait, why: `too many failed logins for ${a.account} (a browser that logged in as ${a.account} before is not held back)` } : { ok: true };
  }

  failure(a: LoginAttempt): void {
    const now = this.now();
    if (a.knownClient) return this.known.failure(`${a.account}\n${a.knownClient}`, now);
    this.addresses.failure(addressKey(a.address), now);
    this.accounts.failure(a.account, now);
  }

  success(a: LoginAttempt): void {
    if (a.knownClient) return this.known.success(`${a.account}\n${a.knownClient}`);
    this.addresses.success(addressKey(a.address));
  }
}
