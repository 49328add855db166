import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBatch } from '../ingest/store.js';
import { batch, MessageFactory } from '../test-support/messages.js';
import { dbKinds, freshDb } from '../test-support/db.js';
import { plannedWindows } from './calendar.js';
import type { OeeModel } from './model.js';
import { queryOee, type OeeBreakdown } from './query.js';
import { rollupOee } from './rollup.js';

/**
 * Hand-computed scenario, Monday 2026-03-02, plant time zone UTC, small-stop threshold 120 s.
 * Shifts: early 06:00-14:00 with a break 10:00 (15 min), late 14:00-22:00 with a break 18:00 (30 min).
 * Range 06:00-15:00. TST-01 makes PART-A (ideal 30 s) then PART-B (ideal 60 s):
 *   05:50 setup A | 06:10 running | 07:00 fault | 07:20 running | 08:00 starved 60 s (small stop) | 08:01 running
 *   09:00 blocked 5 min | 09:05 running (through the break) | 11:00 idle 90 s, 11:01:30 fault 60 s (one 150 s stop: downtime)
 *   11:02:30 running | 12:00 setup B | 12:30 running B | 13:00 maintenance | 13:30 running B
 *   pod offline 14:30-14:40 | 14:45 running with bad quality | 14:50 running | 15:10 idle
 * TST-02 runs PART-C (ideal 10 s) the whole time and reports 3000 parts at 07:00: effectiveness above 100 %.
 */
const day = Date.UTC(2026, 2, 2);
// the cloud's clock when the messages arrive: two days later, so all of them are inside the accepted window
const storeOpts = { smallStopThresholdS: 120, now: day + 2 * 86_400_000 };
const at = (hhmmss: string) => {
  const [h, m, s] = hhmmss.split(':').map(Number) as [number, number, number?];
  return day + ((h * 60 + m) * 60 + (s ?? 0)) * 1000;
};
const model: OeeModel = {
  shifts: [
    { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '10:00', minutes: 15 }], days: [1, 2, 3, 4, 5] },
    { name: 'late', start: '14:00', end: '22:00', breaks: [{ start: '18:00', minutes: 30 }], days: [1, 2, 3, 4, 5] },
  ],
  timezone: 'UTC',
  smallStopMs: 120_000,
  machineIds: ['TST-01', 'TST-02'],
  idealCycleS: new Map([
    ['TST-01', new Map([['PART-A', 30], ['PART-B', 60]])],
    ['TST-02', new Map([['PART-C', 10]])],
  ]),
};

function scenario() {
  const f = new MessageFactory();
  const m = 'TST-01';
  return [
    f.state(m, at('05:50'), 'setup', { part: 'PART-A' }),
    f.state(m, at('06:10'), 'running', { part: 'PART-A' }),
    f.counter(m, at('06:40'), 50, 2, 'PART-A'),
    f.state(m, at('07:00'), 'fault'),
    f.counter(m, at('07:00'), 40, 0, 'PART-A'),
    f.state(m, at('07:20'), 'running'),
    f.state(m, at('08:00'), 'starved'),
    f.state(m, at('08:01'), 'running'),
    f.counter(m, at('08:30'), 100, 3, 'PART-A'),
    f.state(m, at('09:00'), 'blocked'),
    f.state(m, at('09:05'), 'running'),
    f.counter(m, at('10:05'), 5, 0, 'PART-A'),
    f.state(m, at('11:00'), 'idle'),
    f.state(m, at('11:01:30'), 'fault'),
    f.state(m, at('11:02:30'), 'running'),
    f.counter(m, at('11:30'), 150, 5, 'PART-A'),
    f.state(m, at('12:00'), 'setup', { part: 'PART-B' }),
    f.state(m, at('12:30'), 'running', { part: 'PART-B' }),
    f.counter(m, at('12:45'), 25, 1, 'PART-B'),
    f.state(m, at('13:00'), 'maintenance'),
    f.state(m, at('13:30'), 'running'),
    f.counter(m, at('13:45'), 20, 0, 'PART-B'),
    f.pod(m, at('14:30'), false),
    f.counter(m, at('14:35'), 3, 0, 'PART-B'),
    f.pod(m, at('14:40'), true),
    f.state(m, at('14:45'), 'running', { quality: 'bad' }),
    f.state(m, at('14:50'), 'running'),
    f.counter(m, at('14:55'), 4, 0, 'PART-B'),
    f.state(m, at('15:10'), 'idle'),
    f.state('TST-02', at('05:00'), 'running', { part: 'PART-C' }),
    f.counter('TST-02', at('07:00'), 3000, 0, 'PART-C'),
    f.sample('TST-02', at('15:10'), { heartbeat: 1 }),
  ];
}

function expectEarlyShiftOfTst01(k: OeeBreakdown['byShift'][string]) {
  // PBT 06:00-14:00 minus 15 min break = 27900 s
  expect(k.plannedBusyTime).toBe(27900);
  expect(k.noDataTime).toBe(0);
  // running A 3000 + 2400 + small stop 60 + 3540 + (09:05-11:00 minus break) 6000 + 3450, running B 1800 + 1800
  expect(k.actualProductionTime).toBe(22050);
  expect(k.actualUnitSetupTime).toBe(600 + 1800);
  expect(k.downtimeByReason).toEqual({ fault: 1200 + 60, starved: 0, blocked: 300, idle: 90, off: 0, maintenance: 1800 });
  expect(k.smallStops).toBe(1);
  expect(k.smallStopTime).toBe(60);
  expect(k.producedQuantity).toBe(52 + 40 + 103 + 155 + 26 + 20);
  expect(k.goodQuantity).toBe(50 + 40 + 100 + 150 + 25 + 20);
  expect(k.plannedRunTime).toBe(350 * 30 + 46 * 60);
  expect(k.availability).toBeCloseTo(22050 / 27900, 12);
  expect(k.effectiveness).toBeCloseTo(13260 / 22050, 12);
  expect(k.qualityRatio).toBeCloseTo(385 / 396, 12);
  expect(k.oee).toBeCloseTo((22050 / 27900) * (13260 / 22050) * (385 / 396), 12);
}

describe('calendar', () => {
  it('converts local shifts with breaks to UTC across a DST change and midnight', () => {
    const shifts = [
      { name: 'early', start: '06:00', end: '14:00', breaks: [{ start: '09:00', minutes: 15 }], days: [1, 2, 3, 4, 5] },
      { name: 'night', start: '22:00', end: '06:00', breaks: [{ start: '01:00', minutes: 30 }], days: [5] },
    ];
    // Friday 27 March 2026 (CET, UTC+1) and Monday 30 March (CEST, UTC+2) in Berlin
    const w = plannedWindows(shifts, 'Europe/Berlin', Date.UTC(2026, 2, 27), Date.UTC(2026, 2, 31));
    const iso = (t: number) => new Date(t).toISOString().slice(5, 16);
    expect(w.map((x) => `${x.shift} ${iso(x.start)}-${iso(x.end)}`)).toEqual([
      'early 03-27T05:00-03-27T08:00',
      'early 03-27T08:15-03-27T13:00',
      'night 03-27T21:00-03-28T00:00',
      'night 03-28T00:30-03-28T05:00',
      'early 03-30T04:00-03-30T07:00',
      'early 03-30T07:15-03-30T12:00',
    ]);
  });
});

describe.each(dbKinds)('OEE per ISO 22400-2 on %s', (kind) => {
  let db: Awaited<ReturnType<typeof freshDb>>;
  beforeAll(async () => {
    db = await freshDb(kind);
    await storeBatch(db.db, batch('edge-1', 1, scenario()), storeOpts);
  });
  afterAll(async () => db?.close());

  it('computes the hand-worked early shift, late shift, parts, losses and plant figures from raw facts', async () => {
    const r = await queryOee(db.db, model, { from: at('06:00'), to: at('15:00'), useRollups: false });
    const t1 = r.machines['TST-01']!;
    expectEarlyShiftOfTst01(t1.byShift.early!);

    const late = t1.byShift.late!;
    expect(late.plannedBusyTime).toBe(3600);
    // pod offline 14:30-14:40 and bad quality 14:45-14:50: no data, neither running nor down
    expect(late.noDataTime).toBe(900);
    expect(late.coveredTime).toBe(2700);
    expect(late.actualProductionTime).toBe(2700);
    expect(late.availability).toBe(1);
    expect(late.producedQuantity).toBe(7);
    expect(late.effectiveness).toBeCloseTo((7 * 60) / 2700, 12);
    expect(late.issues.join(' ')).toMatch(/3 parts were counted while the machine state was unknown/);

    // the part counted in the break is reported, not in the ratios
    expect(t1.outsidePlanned).toEqual({ producedQuantity: 5, goodQuantity: 5, scrapQuantity: 0 });

    const a = t1.byPart['PART-A']!;
    expect(a.plannedBusyTime).toBe(20700);
    expect(a.actualProductionTime).toBe(18450);
    expect(a.actualUnitSetupTime).toBe(600);
    expect(a.effectiveness).toBeCloseTo((350 * 30) / 18450, 12);
    expect(a.qualityRatio).toBeCloseTo(340 / 350, 12);
    const b = t1.byPart['PART-B']!;
    expect(b.plannedBusyTime).toBe(7200 + 3600);
    expect(b.actualProductionTime).toBe(3600 + 2700);
    expect(b.effectiveness).toBeCloseTo((53 * 60) / 6300, 12);

    expect(t1.availability).toBeCloseTo(24750 / 30600, 12);
    expect(t1.effectiveness).toBeCloseTo(13680 / 24750, 12);
    expect(t1.qualityRatio).toBeCloseTo(392 / 403, 12);
    expect(t1.losses).toEqual({ downtime: 3450, setup: 2400, smallStops: 60, reducedSpeed: 11010, scrap: 360, netProductive: 13320 });
    const l = t1.losses;
    expect(l.downtime + l.setup + l.smallStops + l.reducedSpeed + l.scrap + l.netProductive).toBe(t1.coveredTime);

    const t2 = r.machines['TST-02']!;
    expect(t2.byShift.early!.effectiveness).toBeCloseTo(30000 / 27900, 12);
    expect(t2.byShift.early!.issues.join(' ')).toMatch(/effectiveness 107\.5 % is above 100 %/);

    expect(r.plant.plannedBusyTime).toBe(63000);
    expect(r.plant.actualProductionTime).toBe(24750 + 31500);
    expect(r.plant.availability).toBeCloseTo(56250 / 62100, 12);
    expect(r.plant.effectiveness).toBeCloseTo(43680 / 56250, 12);
    expect(r.plant.qualityRatio).toBeCloseTo(3392 / 3403, 12);
    expect(r.plant.byShift.early!.plannedBusyTime).toBe(55800);
  });

  it('gives the same figures from rolled-up hours as from raw facts, and recomputes after late data', async () => {
    const written = await rollupOee(db.db, model);
    expect(written).toBeGreaterThan(0);
    const raw = await queryOee(db.db, model, { from: at('06:00'), to: at('15:00'), useRollups: false });
    const rolled = await queryOee(db.db, model, { from: at('06:00'), to: at('15:00') });
    expect(rolled).toEqual(raw);
    expectEarlyShiftOfTst01(rolled.machines['TST-01']!.byShift.early!);

    // a late fault message inside an already rolled-up hour changes the past: the hour is recomputed
    const f = new MessageFactory('late');
    await storeBatch(db.db, batch('edge-1', 2, [f.state('TST-01', at('08:30'), 'fault'), f.state('TST-01', at('08:40'), 'running')]), storeOpts);
    const after = await queryOee(db.db, model, { from: at('06:00'), to: at('15:00') });
    expect(after.machines['TST-01']!.byShift.early!.downtimeByReason.fault).toBe(1260 + 600);
    await rollupOee(db.db, model);
    expect(await queryOee(db.db, model, { from: at('06:00'), to: at('15:00') })).toEqual(await queryOee(db.db, model, { from: at('06:00'), to: at('15:00'), useRollups: false }));

    // once the next day has data, the whole day is summed into a day row: still the same figures
    const g = new MessageFactory('next');
    await storeBatch(db.db, batch('edge-1', 3, [g.state('TST-01', at('30:00'), 'idle'), g.state('TST-02', at('30:00'), 'idle')]), storeOpts);
    await rollupOee(db.db, model);
    const days = await db.db.selectFrom('oee_day_rolled').select('bucket').where('machine_id', '=', 'TST-01').execute();
    expect(days.map((d) => Number(d.bucket))).toEqual([day]);
    const wholeDay = { from: day, to: day + 86_400_000 };
    const fromDays = await queryOee(db.db, model, wholeDay);
    expect(fromDays).toEqual(await queryOee(db.db, model, { ...wholeDay, useRollups: false }));
    expect(fromDays.machines['TST-01']!.byShift.early!.actualProductionTime).toBe(22050 - 600);
  });
});
