import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProductionOrder, ReceivedConfirmation } from '@plant-twin/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { jobIdOf } from './sync.js';
import { dbTargets, secrets, startStack, until, type Stack } from './testing/harness.js';

const order = async (s: Stack, spec: Record<string, unknown>) => (await s.erpCall('POST', '/api/v1/_sim/orders', spec)).body as ProductionOrder;
const truth = async (s: Stack) => (await s.erpCall('GET', '/api/v1/_sim/confirmations')).body as { confirmations: ReceivedConfirmation[]; duplicatesRejected: number };
const outbox = async (s: Stack) => (await s.api('GET', '/api/v1/outbox')).body.confirmations as { confirmation_id: string; status: string; attempts: number; erp_result: string | null }[];
const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe.each(dbTargets().map((t) => [t().name, t] as const))('confirmations outbox on %s', (_name, target) => {
  let s: Stack;
  let child: ChildProcess | null = null;
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = null;
    await s?.close();
  });

  it('holds confirmations while the ERP is down and delivers each once when it is back; a lost answer counts as delivered on the 409', async () => {
    s = await startStack(target, ['CNC-01']);
    const a = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 3, priority: 1 });
    await s.startJm();
    await until('job a synced', async () => (await s.api('GET', `/api/v1/jobs/${jobIdOf(a)}`)).status === 200);
    await s.erpCall('PUT', '/api/v1/_sim/faults', { down: true });
    const waiting = await until('confirmation retried while the ERP is down', async () => {
      const rows = await outbox(s);
      return rows.length === 1 && rows[0]!.attempts >= 3 && rows[0];
    });
    expect(waiting.status).toBe('pending');
    expect((await truth(s)).confirmations).toEqual([]);
    // back, but every answer is lost after the ERP recorded the confirmation
    await s.erpCall('PUT', '/api/v1/_sim/faults', { dropAfterCommit: 1 });
    await until('ERP recorded it', async () => (await truth(s)).confirmations.length === 1);
    await s.erpCall('PUT', '/api/v1/_sim/faults', {});
    const [row] = await until('delivered', async () => {
      const rows = await outbox(s);
      return rows[0]?.status === 'delivered' && rows;
    });
    expect(row).toMatchObject({ confirmation_id: `${jobIdOf(a)}.${a.operation}.final`, erp_result: 'duplicate' });
    const t = await truth(s);
    expect(t.confirmations.map((c) => c.confirmationId)).toEqual([row!.confirmation_id]);
    expect(t.duplicatesRejected).toBe(1);
  });

  it('a crash after sending and before recording resends the same id on restart: no duplicate at the ERP', async () => {
    s = await startStack(target, ['CNC-01']);
    const a = await order(s, { partNumber: 'HUB-7001', workCenter: 'cnc', quantity: 3, priority: 1 });
    let crashes = 0;
    await s.startJm({
      outboxHooks: {
        afterSend: () => {
          crashes++;
          throw new Error('injected crash between send and commit');
        },
      },
    });
    await until('the ERP got it and the job manager crashed before recording', async () => crashes > 0 && (await truth(s)).confirmations.length === 1);
    await s.stopJm();
    await s.startJm();
    await until('delivered after restart', async () => (await outbox(s))[0]?.status === 'delivered');
    const t = await truth(s);
    expect(t.confirmations).toHaveLength(1);
    expect(t.confirmations[0]).toMatchObject({ orderId: a.orderId, final: true, goodQuantity: 3 });
    expect(t.duplicatesRejected).toBeGreaterThanOrEqual(1);
  });

  it('SIGKILL of the job manager process while the ERP is answering: the restarted process delivers the same id once', async () => {
    s = await startStack(target, ['CNC-01']);
    const a = await order(s, { partNumber: 'KNC-7101', workCenter: 'cnc', quantity: 4, priority: 1 });
    const dbEnv = s.db.options();
    const env = {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG ?? 'warn',
      JM_PORT: '0',
      ...(dbEnv.databaseUrl ? { DATABASE_URL: dbEnv.databaseUrl, JM_DB_SCHEMA: dbEnv.schema! } : { JM_DATA_DIR: dbEnv.dataDir! }),
      JM_API_TOKEN: secrets.apiToken,
      ERP_URL: s.erp.url,
      ERP_USER: secrets.erpUser,
      ERP_PASSWORD: secrets.erpPassword,
      POD_API_TOKEN: secrets.podToken,
      POD_URLS: JSON.stringify({ 'CNC-01': s.agents.get('CNC-01')!.url }),
      JM_SYNC_MS: '100',
      JM_POLL_MS: '50',
      JM_OUTBOX_MS: '50',
    };
    const run = () => {
      const c = spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      child = c;
      return c;
    };
    // the ERP records every confirmation and then keeps the answer back: the sender waits on it
    await s.erpCall('PUT', '/api/v1/_sim/faults', { hangAfterCommit: 1, timeoutMs: 120_000, scope: 'confirmations' });
    const first = run();
    await until('the ERP recorded the confirmation', async () => (await truth(s)).confirmations.length === 1, 150_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await s.erpCall('PUT', '/api/v1/_sim/faults', {});
    run();
    await until('the restarted job manager resent it and heard the 409', async () => (await truth(s)).duplicatesRejected >= 1, 150_000);
    await new Promise((r) => setTimeout(r, 500)); // room for any (wrong) further send
    const t = await truth(s);
    expect(t.confirmations).toHaveLength(1);
    expect(t.confirmations[0]).toMatchObject({ confirmationId: `${jobIdOf(a)}.${a.operation}.final`, goodQuantity: s.agents.get('CNC-01')!.jobs.get(jobIdOf(a))!.good, final: true });
  }, 400_000);
});
