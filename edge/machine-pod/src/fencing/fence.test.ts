import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@plant-twin/runtime';
import { FakeLeaseServer } from './fake-lease-server.js';
import { MachineFence, machineFenceFromEnv } from './fence.js';
import { LeaseApi } from './lease-api.js';

const log = createLogger('fence-test');
log.level = 'silent';
let server: FakeLeaseServer;
beforeEach(async () => {
  server = await new FakeLeaseServer(['token-a', 'token-b', 'token-c']).start();
});
afterEach(async () => {
  await server.close();
});

const fence = (identity: string, token: string, o: { durationS?: number; retryMs?: number } = {}) =>
  new MachineFence({ api: new LeaseApi({ server: server.url, namespace: 'plant-twin', token: () => token, ca: server.ca }), name: 'machine-prs-01', identity, log, durationS: o.durationS ?? 2, retryMs: o.retryMs ?? 100 });
const holder = () => server.leases.get('plant-twin/machine-prs-01')?.spec.holderIdentity;

describe('machine Lease fencing against a fake API server', () => {
  it('creates the Lease, keeps renewing it, and a second pod waits until the first releases it', async () => {
    const a = fence('pod-a', 'token-a');
    await a.acquire();
    expect(a.held()).toBe(true);
    expect(holder()).toBe('pod-a');
    const b = fence('pod-b', 'token-b');
    let bHolds = false;
    const waiting = b.acquire().then(() => (bHolds = true));
    await new Promise((r) => setTimeout(r, 2500)); // longer than the Lease: a holder that renews keeps it
    expect(bHolds).toBe(false);
    expect(a.held()).toBe(true);
    expect(server.requests.filter((r) => r.token === 'token-a' && r.method === 'PUT').length).toBeGreaterThanOrEqual(2);
    const released = Date.now();
    await a.release();
    await waiting;
    expect(Date.now() - released).toBeLessThan(1000);
    expect(holder()).toBe('pod-b');
    expect(server.leases.get('plant-twin/machine-prs-01')!.spec.leaseTransitions).toBe(1);
    await b.release();
  });

  it('cut off from the API server, the holder stops before another pod can take the machine', async () => {
    const a = fence('pod-a', 'token-a');
    let lostAt = 0;
    a.onLost(() => (lostAt = Date.now()));
    await a.acquire();
    const cutAt = Date.now();
    server.cutOff('token-a');
    const b = fence('pod-b', 'token-b');
    await b.acquire();
    const tookAt = Date.now();
    expect(lostAt).toBeGreaterThan(0);
    expect(a.held()).toBe(false);
    // the old pod let go first; the new one waited a whole lease duration of its own observation
    expect(lostAt).toBeLessThan(tookAt);
    expect(tookAt - cutAt).toBeGreaterThanOrEqual(2000);
    expect(holder()).toBe('pod-b');
    await b.release();
  });

  it('of pods racing for a free Lease exactly one wins', async () => {
    const pods = ['a', 'b', 'c'].map((x) => fence(`pod-${x}`, `token-${x}`));
    const won: string[] = [];
    const racing = pods.map((p, i) => p.acquire().then(() => won.push(`pod-${'abc'[i]}`)));
    await new Promise((r) => setTimeout(r, 500));
    expect(won).toHaveLength(1);
    expect(holder()).toBe(won[0]);
    for (const p of pods) await p.release();
    await Promise.allSettled(racing);
  });

  it('is active only in Kubernetes (service account token and API server in the env)', () => {
    expect(machineFenceFromEnv('PRS-01', log, {}, '/nonexistent')).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    for (const [f, v] of [['token', 'token-a'], ['namespace', 'plant-twin'], ['ca.crt', server.ca]]) writeFileSync(join(dir, f!), v!);
    const f = machineFenceFromEnv('PRS-01', log, { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: server.url.split(':')[2], POD_NAME: 'pod-prs-01-abc' }, dir);
    expect(f).toBeInstanceOf(MachineFence);
  });

  it('refuses a wrong token with the API server\'s answer in the error', async () => {
    const api = new LeaseApi({ server: server.url, namespace: 'plant-twin', token: () => 'wrong', ca: server.ca });
    await expect(api.get('machine-prs-01')).rejects.toThrow(/HTTP 401/);
  });
});
