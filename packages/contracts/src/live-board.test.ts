import { describe, expect, it } from 'vitest';
import { FreshnessTracker, LiveCoalescer, newerJob, noteFreshness, pushUpdates, type FreshnessInput } from './live-board.js';
import type { JobMessage } from './messages.js';

const t0 = 1_700_000_000_000;
const input = (machineId: string): FreshnessInput => ({ machineId, quality: null, since: null, pod: null });
const base = { v: 1 as const, seq: 1 };

describe('freshness on the server clock', () => {
  it('is stale before anything arrived, live within the bound, stale after it, offline with the pod or bad quality', () => {
    const f = new FreshnessTracker(1000, new Set());
    const press = input('PRS-01');
    expect(f.judge(press, t0)).toEqual({ freshness: 'stale' });
    f.arrived('edge-1', ['PRS-01'], t0);
    expect(f.judge(press, t0 + 1000)).toEqual({ freshness: 'live' });
    expect(f.judge(press, t0 + 1001)).toEqual({ freshness: 'stale', staleSince: t0 });
    noteFreshness(press, { ...base, id: 'a', machineId: 'PRS-01', ts: t0 - 5, kind: 'state', state: 'running', previous: null, quality: 'stale' });
    expect(f.judge(press, t0 + 10)).toEqual({ freshness: 'offline', staleSince: t0 - 5 });
    noteFreshness(press, { ...base, id: 'b', machineId: 'PRS-01', ts: t0 - 4, kind: 'state', state: 'running', previous: null, quality: 'good' });
    noteFreshness(press, { ...base, id: 'c', machineId: 'PRS-01', ts: t0 - 3, kind: 'pod', status: 'offline', machineConnected: false });
    expect(f.judge(press, t0 + 10)).toEqual({ freshness: 'offline', staleSince: t0 - 3 });
  });

  it('keeps the latest state: an older state message does not replace a newer one', () => {
    const i = input('PRS-01');
    noteFreshness(i, { ...base, id: 'n', machineId: 'PRS-01', ts: t0, kind: 'state', state: 'running', previous: null, quality: 'good' });
    noteFreshness(i, { ...base, id: 'o', machineId: 'PRS-01', ts: t0 - 1, kind: 'state', state: 'idle', previous: null, quality: 'bad' });
    expect(i).toMatchObject({ quality: 'good', since: t0 });
  });

  it('keeps a quiet (file) machine with its pod up live while its edge speaks', () => {
    const f = new FreshnessTracker(1000, new Set(['EOL-01']));
    const eol: FreshnessInput = { ...input('EOL-01'), pod: { status: 'online', machineConnected: true, ts: t0 } };
    f.arrived('edge-1', ['EOL-01'], t0);
    f.arrived('edge-1', ['PRS-01'], t0 + 5000);
    expect(f.judge(eol, t0 + 5500)).toEqual({ freshness: 'live' });
    expect(f.lastHeard({ ...eol, pod: null })).toBe(t0);
  });

  it('takes back stored arrivals after a restart; newer arrivals win', () => {
    const f = new FreshnessTracker(1000, new Set(['EOL-01']));
    f.arrived('edge-1', ['PRS-01'], t0 + 100);
    f.restore([
      { machineId: 'PRS-01', edgeId: 'edge-1', at: t0 },
      { machineId: 'EOL-01', edgeId: 'edge-2', at: t0 - 400 },
    ]);
    expect(f.lastHeard(input('PRS-01'))).toBe(t0 + 100);
    expect(f.judge(input('EOL-01'), t0 + 500)).toEqual({ freshness: 'live' });
    expect(f.judge(input('EOL-01'), t0 + 700)).toEqual({ freshness: 'stale', staleSince: t0 - 400 });
  });

  it('reports a verdict once, until it changes', () => {
    const f = new FreshnessTracker(1000, new Set());
    const press = input('PRS-01');
    f.arrived('edge-1', ['PRS-01'], t0);
    expect(f.change(press, t0)).toEqual({ freshness: 'live' });
    expect(f.change(press, t0 + 500)).toBeUndefined();
    expect(f.change(press, t0 + 2000)).toEqual({ freshness: 'stale', staleSince: t0 });
    expect(f.change(press, t0 + 3000)).toBeUndefined();
  });
});

describe('coalesced live updates', () => {
  const job = (ts: number, good: number): JobMessage => ({ ...base, id: `j${ts}`, machineId: 'PRS-01', ts, kind: 'job', jobId: 'J-1', event: 'progress', partNumber: 'P', quantity: 10, good, scrap: 0 });

  it('keeps the newer job picture', () => {
    const now = newerJob(null, job(t0, 3));
    expect(newerJob(now, job(t0 - 1, 2))).toBe(now);
    expect(newerJob(now, job(t0 + 1, 4)).good).toBe(4);
  });

  it('sends each update to its machine room and its summary to the plant room, skipping clients that are behind', () => {
    const c = new LiveCoalescer();
    c.add({ ...base, id: 's', machineId: 'PRS-01', ts: t0, kind: 'sample', values: [{ name: 'force', value: 1, quality: 'good', ts: t0 }] });
    c.add({ ...base, id: 'k1', machineId: 'PRS-01', ts: t0, kind: 'counter', goodDelta: 2, scrapDelta: 0, goodTotal: 2, scrapTotal: 0 });
    c.add({ ...base, id: 'k2', machineId: 'PRS-01', ts: t0 + 1, kind: 'counter', goodDelta: 1, scrapDelta: 1, goodTotal: 3, scrapTotal: 1 });
    c.add({ ...base, id: 'v', machineId: 'CNC-01', ts: t0, kind: 'sample', values: [{ name: 'spindle', value: 2, quality: 'good', ts: t0 }] });
    const sent: [string, string, unknown][] = [];
    const socket = (id: string, backlog: number) => ({ emit: (e: string, p: unknown) => sent.push([id, e, p]) > 0, conn: { writeBuffer: new Array(backlog) } });
    const io = {
      sockets: {
        adapter: { rooms: new Map([['plant', new Set(['a', 'b'])], ['machine:PRS-01', new Set(['a'])]]) },
        sockets: new Map([['a', socket('a', 0)], ['b', socket('b', 17)]]),
      },
    };
    expect(pushUpdates(io, c.take(), 16)).toBe(1);
    expect(sent.map(([id, e]) => `${id}:${e}`)).toEqual(['a:machine', 'a:plant']);
    expect(sent[1]![2]).toEqual({ machineId: 'PRS-01', alarms: [], counts: { good: 3, scrap: 1, ts: t0 + 1 } });
    // values alone say nothing new to the plant room; the next take starts afresh
    expect(c.take()).toEqual([]);
  });
});
