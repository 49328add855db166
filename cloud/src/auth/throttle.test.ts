import { describe, expect, it } from 'vitest';
import { addressKey, defaultThrottleRules, LoginThrottle } from './throttle.js';

describe('login throttle', () => {
  it('doubles the delay with every failure in a row beyond three, up to 15 minutes, and caps tries per minute', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(defaultThrottleRules, () => now);
    const a = { address: '10.0.0.1', account: 'admin' };
    const waits: number[] = [];
    const tries: number[] = [];
    // an attacker who always comes back exactly when allowed
    for (let i = 0; i < 16; i++) {
      const v = t.check(a);
      if (!v.ok) {
        waits.push(v.retryAfterMs);
        now += v.retryAfterMs;
      }
      expect(t.check(a).ok).toBe(true);
      tries.push(now);
      t.failure(a);
    }
    // after the third failure 1 s, then 2 (the fifth fills the minute: wait for it to pass), then 8, 16 … 15 min
    expect(waits).toEqual([1000, 2000, 57_000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 900_000, 900_000, 900_000]);
    // never more than 5 tries within a minute
    for (let i = 5; i < tries.length; i++) expect(tries[i]! - tries[i - 5]!).toBeGreaterThanOrEqual(60_000);
    expect(t.check(a).ok).toBe(false);
  });

  it('forgets a streak after 15 quiet minutes, and a success ends the delays of the address', () => {
    let now = 0;
    const t = new LoginThrottle(defaultThrottleRules, () => now);
    const a = { address: '10.0.0.2', account: 'x' };
    for (let i = 0; i < 4; i++) t.failure(a);
    expect(t.check(a).ok).toBe(false);
    now += 15 * 60_000 + 1;
    expect(t.check(a).ok).toBe(true);
    for (let i = 0; i < 4; i++) t.failure(a);
    t.success(a);
    now += 61_000;
    expect(t.check(a).ok).toBe(true);
  });

  it('keeps a known client apart from its address and its account', () => {
    let now = 0;
    const t = new LoginThrottle(defaultThrottleRules, () => now);
    for (let i = 0; i < 40; i++) t.failure({ address: `10.1.0.${i}`, account: 'admin' });
    expect(t.check({ address: '10.9.9.9', account: 'admin' })).toMatchObject({ ok: false, why: expect.stringMatching(/for admin/) });
    expect(t.check({ address: '10.9.9.9', account: 'admin', knownClient: 'k1' }).ok).toBe(true);
    now += 1;
  });

  it('holds a bounded number of buckets however many addresses and names it sees', () => {
    const t = new LoginThrottle({ ...defaultThrottleRules, maxEntries: 100 }, () => 0);
    for (let i = 0; i < 5000; i++) t.failure({ address: `10.2.${i >> 8}.${i & 255}`, account: `user${i}` });
    expect(t.sizes.addresses).toBeLessThanOrEqual(100);
    expect(t.sizes.accounts).toBeLessThanOrEqual(100);
  });

  it('counts IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });
});
