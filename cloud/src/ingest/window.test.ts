import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineMessage } from '@plant-twin/contracts';
import { createLogger } from '@plant-twin/runtime';
import { applyRetention, defaultRetention, startJobs } from '../jobs.js';
import type { OeeModel } from '../oee/model.js';
import { queryOee } from '../oee/query.js';
import { rollupOee } from '../oee/rollup.js';
import { dbKinds, freshDb } from '../test-support/db.js';
import { batch, MessageFactory } from '../test-support/messages.js';
import { listQuarantine } from './quarantine.js';
import { insertMessages, storeBatch } from './store.js';
import { clockAlarm } from './window.js';

const hour = 3_600_000, day = 86_400_000;
const model: OeeModel = {
  shifts: [{ name: 'day', start: '06:00', end: '18:00', breaks: [], days: [0, 1, 2, 3, 4, 5, 6] }],
  timezone: 'UTC',
  smallStopMs: 120_000,
  machineIds: ['TST-01', 'TST-02'],
  idealCycleS: new Map([['TST-01', new Map([['P', 10]])], ['TST-02', new Map([['P', 10]])]]),
};
// the cloud's clock in these tests: Tuesday 10 March 2026, 12:00 UTC
const now = Date.UTC(2026, 2, 10, 12);
const opts = (at = now) => ({ smallStopThresholdS: 120, now: at });

describe.each(dbKinds)('time window, quarantine and deduplication on %s', (kind) => {
  let db: Awaited<ReturnType<typeof freshDb>>;
  let seq = 0;
  const store = (messages: MachineMessage[], at = now) => storeBatch(db.db, batch('edge-1', ++seq, messages), opts(at));
  const count = async (table: 'state_event' | 'counter_event', machineId: string) =>
    Number((await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where machine_id = ${machineId}`.execute(db.db)).rows[0]!.n);
  const clockAlarms = async (machineId: string) =>
    (await sql<{ active: boolean; ts: number }>`select active, ts from alarm_event where machine_id = ${machineId} and code = ${clockAlarm.code} order by ts`.execute(db.db)).rows.map((r) => [r.active, Number(r.ts)]);

  beforeAll(async () => {
    db = await freshDb(kind);
  });
  afterAll(async () => db?.close());

  it('quarantines a state stamped 1970 (clock battery dead): kept for inspection, a clock alarm, no rollup through every hour since 1970', async () => {
    const f = new MessageFactory('b1');
    await store([f.state('TST-01', now - 4 * hour, 'running', { part: 'P' }), f.counter('TST-01', now - 3 * hour, 100, 0, 'P')]);
    const r = await store([f.state('TST-01', 1000, 'fault'), f.counter('TST-01', now - 2 * hour, 50, 0, 'P')]);
    expect(r.stored).toBe(1);
    expect(r.quarantinedMessages.map((q) => [q.message.ts, q.reason])).toEqual([[1000, 'too_old']]);
    expect(await count('state_event', 'TST-01')).toBe(1);
    const q = await listQuarantine(db.db, { machineId: 'TST-01', from: now - day, to: now + day, limit: 10 });
    expect(q).toEqual([{ id: 'TST-01/b1/3', receivedAt: now, edgeId: 'edge-1', seq: 2, machineId: 'TST-01', kind: 'state', ts: 1000, reason: 'too_old', message: expect.objectContaining({ state: 'fault', ts: 1000 }) }]);
    expect(await clockAlarms('TST-01')).toEqual([[true, now]]);
    // the same message again (a resend under a new batch) is not quarantined twice
    expect((await store([{ ...r.quarantinedMessages[0]!.message }])).quarantinedMessages).toEqual([]);

    // the rollups start at the machine's first fact of this day, not in 1970
    const written = await rollupOee(db.db, model);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(12);
    const first = await sql<{ b: number }>`select min(bucket) as b from oee_rolled where machine_id = 'TST-01'`.execute(db.db);
    expect(Number(first.rows[0]!.b)).toBe(Date.UTC(2026, 2, 10));
  });

  it('quarantines a message stamped in the future: the machine\'s last state is not stretched, the OEE does not move', async () => {
    const f = new MessageFactory('b2');
    await store([f.state('TST-02', now - 3 * hour, 'running', { part: 'P' }), f.counter('TST-02', now - 2 * hour, 300, 0, 'P'), f.state('TST-02', now - hour, 'idle')]);
    const day10 = { from: Date.UTC(2026, 2, 10), to: Date.UTC(2026, 2, 11) };
    const before = await queryOee(db.db, model, day10);
    expect(before.machines['TST-02']!.noDataTime).toBeGreaterThan(0);
    // a clock a year ahead says "running": quarantined, the day's figures and the machine's timeline stay as they were
    const r = await store([f.state('TST-02', now + 365 * day, 'running')]);
    expect(r.quarantinedMessages.map((q) => q.reason)).toEqual(['future']);
    expect(r.stored).toBe(0);
    expect(await queryOee(db.db, model, day10)).toEqual(before);
    const seen = async () => Number((await sql<{ t: number }>`select last_ts as t from machine_seen where machine_id = 'TST-02'`.execute(db.db)).rows[0]!.t);
    expect(await seen()).toBe(now - hour);
    expect((await clockAlarms('TST-02')).map(([active]) => active)).toEqual([true]);
    // a clock four minutes ahead is within the allowed skew
    expect((await store([f.sample('TST-02', now + 4 * 60_000, { tonnage: 1 })])).stored).toBe(1);
    expect(await seen()).toBe(now + 4 * 60_000);

    // in-window messages only, for longer than the hold time: the clock alarm clears
    const later = now + clockAlarm.clearAfterMs + 60_000;
    await store([f.sample('TST-02', later, { tonnage: 2 })], later);
    expect(await clockAlarms('TST-02')).toEqual([[true, now], [false, later]]);
  });

  it("judges a pod's last will where it is placed (its boot's last message), not at the connect time it carries", async () => {
    const boot = new MessageFactory('b3');
    // connected 20 days ago; its will carries that time; its last message was a minute ago
    const will: MachineMessage = { v: 1, id: 'TST-01/b3/0', machineId: 'TST-01', seq: 0, ts: now - 20 * day, kind: 'pod', status: 'offline', machineConnected: false };
    await store([boot.sample('TST-01', now - 60_000, { tonnage: 3 })]);
    const r = await store([will]);
    expect(r.quarantinedMessages).toEqual([]);
    const pod = await sql<{ ts: number; status: string }>`select ts, status from pod_event where machine_id = 'TST-01'`.execute(db.db);
    expect(pod.rows.map((x) => [Number(x.ts), x.status])).toEqual([[now - 60_000, 'offline']]);
  });

  it('counts a replay after the id cleanup once: ids are kept for the whole accepted window (1,800 parts stay 1,800)', async () => {
    const f = new MessageFactory('b4');
    const t0 = now - 6 * day;
    // 1,800 parts in 180 counter messages over half an hour, six days ago (a backlog the edge delivers late)
    const counters = Array.from({ length: 180 }, (_, i) => f.counter('TST-02', t0 + i * 10_000, 10, 0, 'P'));
    const good = async () => Number((await sql<{ g: number }>`select coalesce(sum(good_delta), 0)::int as g from counter_event where machine_id = 'TST-02' and ts < ${now - 5 * day}`.execute(db.db)).rows[0]!.g);
    expect((await store(counters)).stored).toBe(180);
    // the hourly cleanup, 12 h later: the messages are 6.5 days old; a replay under new batch numbers
    await applyRetention(db.db, defaultRetention, now + 12 * hour);
    expect((await store(counters.slice(0, 90), now + 12 * hour)).stored).toBe(0);
    // 36 h later they are 7.5 days old: older than the raw retention (7 d) the ids used to be kept for
    await applyRetention(db.db, defaultRetention, now + 36 * hour);
    const replay = await store(counters, now + 36 * hour);
    expect(replay.stored).toBe(0);
    expect(replay.quarantinedMessages).toHaveLength(180);
    expect(await good()).toBe(1800);
  });

  it('stops a long rollup backlog between slices when the service stops (SIGTERM)', async () => {
    // facts of 60 days on a machine of their own, stored without the window (data from before it existed)
    const f = new MessageFactory('b5');
    const legacy: MachineMessage[] = [];
    for (let d = 60; d > 0; d--) legacy.push(f.state('TST-03', now - d * day, 'running', { part: 'P' }), f.state('TST-03', now - d * day + 8 * hour, 'idle'));
    legacy.push(f.sample('TST-03', now, { tonnage: 1 }));
    await db.db.transaction().execute((trx) => insertMessages(trx, legacy, 120));
    const m3 = { ...model, machineIds: ['TST-03'] };
    const log = createLogger('window-test');
    log.level = 'silent';
    const jobs = startJobs(db.db, m3, { ...defaultRetention, eventDays: 0 }, log, { rollupMs: 3_600_000, retentionMs: 3_600_000 });
    const catchUp = jobs.runRollups().catch((e: Error) => e);
    // let it roll a few slices, then stop: it ends at the next slice instead of rolling all 60 days
    const rolled = async () => Number((await sql<{ n: number }>`select count(*)::int as n from oee_rolled where machine_id = 'TST-03'`.execute(db.db)).rows[0]!.n);
    while ((await rolled()) < 24) await new Promise((r) => setTimeout(r, 5));
    await jobs.stop();
    expect(await catchUp).toBeInstanceOf(Error);
    const atStop = await rolled();
    expect(atStop).toBeLessThan(60 * 24);
    await new Promise((r) => setTimeout(r, 200));
    expect(await rolled()).toBe(atStop);
  });
});
