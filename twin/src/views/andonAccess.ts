/**
 * Opening the andon screen: `/andon?device=<token>` trades the device token for a cookie session
 * (POST /auth/device) and takes the token out of the URL at once, so it is neither in the history nor
 * on the screen; a reload then works with the cookie alone. No login prompt, and only the calls the
 * edge andon server also answers (auth/device, plant, the live protocol).
 */
import type { PlantStore } from '../lib/plant.svelte.js';
import type { Session } from '../lib/session.svelte.js';

export type AndonAccess = { kind: 'ready' } | { kind: 'refused'; reason: string } | { kind: 'no-device' };

export async function openAndon(search: string, deps: { session: Session; plant: PlantStore; dropToken: () => void }): Promise<AndonAccess> {
  const token = new URLSearchParams(search).get('device');
  if (token) {
    deps.dropToken();
    if (!(await deps.session.signInDevice(token))) return { kind: 'refused', reason: deps.session.error ?? '' };
  }
  await deps.plant.load();
  if (!deps.plant.model) return token ? { kind: 'refused', reason: deps.plant.error ?? '' } : { kind: 'no-device' };
  if (!token) deps.session.resumeDevice();
  return { kind: 'ready' };
}
