import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api/index.js';
import type { DeviceLoginAnswer, PlantView } from '../lib/api/types.js';
import { PlantStore } from '../lib/plant.svelte.js';
import { Session } from '../lib/session.svelte.js';
import { plantView } from '../testing/fixtures.js';
import { openAndon } from './andonAccess.js';
import { andonColumns } from './andonGrid.js';

describe('andon grid', () => {
  it('lays the 11 machines out 3 × 4 on a 1920×1080 screen: tiles of about 630 × 250 px', () => {
    const cols = andonColumns(11, 1920, 1036);
    expect(cols).toBe(3);
    expect(Math.ceil(11 / cols)).toBe(4);
  });
  it('uses one column for one machine or a phone in portrait, more for wide screens and many machines', () => {
    expect(andonColumns(1, 1920, 1080)).toBe(1);
    expect(andonColumns(11, 360, 2000)).toBe(1);
    expect(andonColumns(40, 3840, 2160)).toBeGreaterThan(4);
  });
});

/** The session's and plant store's HTTP calls, answered as the cloud (or the edge andon server) would. */
function fakes(opts: { deviceOk: boolean; cookie: boolean }) {
  const calls: string[] = [];
  const session = new Session({
    device: async (token: string): Promise<DeviceLoginAnswer> => {
      calls.push(`device ${token}`);
      if (!opts.deviceOk) throw new ApiError(401, 'unknown or revoked device token');
      return { expiresAt: Date.now() + 30 * 86_400_000, user: { username: 'andon-hall', role: 'viewer' }, csrfToken: 'c', kind: 'device' };
    },
  } as unknown as ConstructorParameters<typeof Session>[0]);
  const plant = new PlantStore(async (): Promise<PlantView> => {
    calls.push('plant');
    if (!opts.cookie && !opts.deviceOk) throw new ApiError(401, 'log in first');
    return plantView();
  });
  let dropped = 0;
  return { calls, session, plant, dropToken: () => void dropped++, dropped: () => dropped };
}

describe('opening the andon screen', () => {
  it('trades the device token for a session, drops it from the URL, and reads the plant', async () => {
    const f = fakes({ deviceOk: true, cookie: false });
    expect(await openAndon('?device=0123456789abcdef0123', f)).toEqual({ kind: 'ready' });
    expect(f.calls).toEqual(['device 0123456789abcdef0123', 'plant']);
    expect(f.dropped()).toBe(1);
    expect(f.session.status).toBe('user');
    expect(f.session.isDevice).toBe(true);
  });

  it('says why a refused token is refused, and drops it from the URL all the same', async () => {
    const f = fakes({ deviceOk: false, cookie: false });
    expect(await openAndon('?device=0123456789abcdef0123', f)).toEqual({ kind: 'refused', reason: 'unknown or revoked device token' });
    expect(f.dropped()).toBe(1);
    expect(f.session.status).not.toBe('user');
  });

  it('after a reload works with the device cookie alone (no /auth/me, which the edge does not serve)', async () => {
    const f = fakes({ deviceOk: false, cookie: true });
    expect(await openAndon('', f)).toEqual({ kind: 'ready' });
    expect(f.calls).toEqual(['plant']);
    expect(f.session.role).toBe('viewer');
  });

  it('asks for the device link when there is neither token nor cookie: never a login prompt', async () => {
    const f = fakes({ deviceOk: false, cookie: false });
    expect(await openAndon('', f)).toEqual({ kind: 'no-device' });
  });
});
