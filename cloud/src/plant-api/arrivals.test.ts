import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestPath } from '@plant-twin/contracts';
import { startCloud, type RunningCloud } from '../app.js';
import { dropSchema } from '@plant-twin/db';
import { quiet, testCloudConfig, testEdge } from '../test-support/cloud.js';
import { dbKinds, freshDb } from '../test-support/db.js';
import { call } from '../test-support/http.js';
import { batch, MessageFactory } from '../test-support/messages.js';

const staleAfterMs = 300_000;
const dir = mkdtempSync(join(tmpdir(), 'cloud-arrivals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(dbKinds)('freshness across a restart of the cloud on %s', (kind) => {
  it('takes the stored arrival times back: a machine heard just before the restart reads live, not stale', async () => {
    const store = kind === 'postgres' ? await freshDb('postgres').then(async (p) => (await p.db.destroy(), { databaseUrl: p.url, dbSchema: p.schema })) : { dataDir: join(dir, 'pglite') };
    const config = await testCloudConfig({ ...store, staleAfterMs });
    const f = new MessageFactory('arrivals');
    let cloud: RunningCloud | undefined;
    try {
      cloud = await startCloud(config, quiet());
      const password = cloud.firstAdminPassword!;
      const sent = Date.now();
      const messages = [f.pod('PRS-01', sent - 500, true), f.state('PRS-01', sent - 400, 'running'), f.pod('EOL-01', sent - 500, true)];
      const r = await call('POST', cloud.url + ingestPath, { body: batch(testEdge.id, 1, messages), gzip: true, headers: { 'x-edge-id': testEdge.id }, token: testEdge.token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const acked = Date.now();
      await cloud.close();

      cloud = await startCloud(config, quiet());
      const login = await call('POST', `${cloud.url}/api/v1/auth/login`, { body: { username: 'admin', password } });
      const machines = (await call('GET', `${cloud.url}/api/v1/machines`, { token: login.body.token })).body as { id: string; status: { freshness: string; staleSince?: number } }[];
      const status = (id: string) => machines.find((m) => m.id === id)!.status;
      expect(status('PRS-01')).toMatchObject({ freshness: 'live', state: 'running' });
      expect(status('PRS-01').staleSince).toBeUndefined();
      // a file machine speaks through its edge: live too while its pod is up
      expect(status('EOL-01').freshness).toBe('live');
      // never heard of: stale, never live
      expect(status('IMM-02')).toEqual(expect.objectContaining({ freshness: 'stale' }));
      // the restored arrival is the one before the restart: stale from there once the bound has passed
      const heard = cloud.freshness.lastHeard({ machineId: 'PRS-01', quality: 'good', since: sent - 400, pod: null })!;
      expect(heard).toBeGreaterThanOrEqual(sent);
      expect(heard).toBeLessThanOrEqual(acked);
      const later = cloud.freshness.judge({ machineId: 'PRS-01', quality: 'good', since: sent - 400, pod: null }, heard + staleAfterMs + 1);
      expect(later).toEqual({ freshness: 'stale', staleSince: heard });
    } finally {
      await cloud?.close();
      if ('dbSchema' in store) await dropSchema(store.databaseUrl!, store.dbSchema!);
    }
  });
});
