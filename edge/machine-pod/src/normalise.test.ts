import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { machineById, loadPlant } from '@plant-twin/plant-model';
import type { TagValue } from '@plant-twin/contracts';
import { counterDelta } from './counters.js';
import { createPodMetrics } from './metrics.js';
import { Normaliser } from './normalise.js';
import { quietLog, tempDir } from './test-support.js';

const machine = machineById(loadPlant(), 'PRS-01');
const v = (name: string, value: TagValue['value'], quality: TagValue['quality'] = 'good'): TagValue => ({ name, value, quality, ts: 1 });

function normaliser(stateDir = tempDir('pod-norm')) {
  let now = 1_000_000;
  const n = new Normaliser({ machine, stateDir, log: quietLog(), metrics: createPodMetrics(new Registry(), machine.id), refreshMs: 60_000, now: () => now });
  return { n, advance: (ms: number) => (now += ms), stateDir };
}

describe('counter arithmetic', () => {
  it('counts normally, across a DINT wrap and after a reset', () => {
    expect(counterDelta(10, 13)).toBe(3);
    expect(counterDelta(2147483646, -2147483647)).toBe(3); // signed DINT wrap
    expect(counterDelta(4294967294, 1)).toBe(3); // unsigned wrap
    expect(counterDelta(5000, 2)).toBe(2); // PLC reset the counter: parts since reset
  });
});

describe('normaliser', () => {
  it('reports samples by exception with the tag deadband and refreshes every value periodically', () => {
    const { n, advance } = normaliser();
    const first = n.normalise([{ type: 'values', values: [v('tonnage', 1800), v('stroke_rate', 24), v('plc_clock', 1_765_000_000_000), v('heartbeat', 5)] }]);
    const s1 = first.find((m) => m.kind === 'sample');
    expect(s1 && s1.kind === 'sample' && s1.values.map((x) => x.name).sort()).toEqual(['stroke_rate', 'tonnage']);
    expect(s1?.ts).toBe(1_765_000_000_000); // stamped with the PLC clock
    advance(1000);
    // tonnage deadband 5, stroke_rate 0.2: only stroke_rate moved enough
    const second = n.normalise([{ type: 'values', values: [v('tonnage', 1804), v('stroke_rate', 24.5), v('heartbeat', 6)] }]);
    expect(second.flatMap((m) => (m.kind === 'sample' ? m.values.map((x) => [x.name, x.value]) : []))).toEqual([['stroke_rate', 24.5]]);
    advance(60_000);
    const refresh = n.normalise([{ type: 'values', values: [v('tonnage', 1804)] }]);
    expect(refresh.flatMap((m) => (m.kind === 'sample' ? m.values.map((x) => x.name) : [])).sort()).toEqual(['stroke_rate', 'tonnage']);
  });

  it('turns role tags into state, alarm raise/clear and counter messages; bad values never throw', () => {
    const { n, stateDir } = normaliser();
    const a = n.normalise([{ type: 'values', values: [v('state', 3), v('alarm_code', 0), v('good_count', 100), v('scrap_count', 2), v('job_id', 'J1'), v('part_number', 'BRK-4411')] }]);
    expect(a.filter((m) => m.kind === 'state')).toMatchObject([{ state: 'running', previous: null, quality: 'good', jobId: 'J1', partNumber: 'BRK-4411' }]);
    expect(a.some((m) => m.kind === 'counter')).toBe(false); // first reading is the baseline
    const b = n.normalise([{ type: 'values', values: [v('state', 6), v('alarm_code', 102), v('good_count', 103), v('scrap_count', 3)] }]);
    expect(b.filter((m) => m.kind !== 'sample').map((m) => m.kind)).toEqual(['state', 'alarm', 'counter']);
    expect(b.find((m) => m.kind === 'alarm')).toMatchObject({ code: 102, active: true, text: 'Overload: tonnage above limit', severity: 'fault' });
    expect(b.find((m) => m.kind === 'counter')).toMatchObject({ goodDelta: 3, scrapDelta: 1, goodTotal: 103, scrapTotal: 3, jobId: 'J1' });
    const c = n.normalise([{ type: 'values', values: [v('state', 1), v('alarm_code', 0), v('tonnage', Number.NaN), v('state', 99)] }]);
    expect(c.find((m) => m.kind === 'alarm')).toMatchObject({ code: 102, active: false });
    expect(c.find((m) => m.kind === 'sample')).toMatchObject({ values: [{ name: 'tonnage', value: null, quality: 'bad' }] });
    n.persistTotals();
    const lost = n.connectionLost();
    expect(lost[0]).toMatchObject({ kind: 'state', quality: 'bad', state: 'idle' });
    // totals persist: a new normaliser (pod restart) counts parts made while it was down
    const again = new Normaliser({ machine, stateDir, log: quietLog(), metrics: createPodMetrics(new Registry(), machine.id) });
    expect(again.normalise([{ type: 'values', values: [v('good_count', 110), v('scrap_count', 3)] }]).find((m) => m.kind === 'counter')).toMatchObject({ goodDelta: 7, scrapDelta: 0 });
  });
});

describe('normaliser after a lost link', () => {
  it('stamps what the machine says afterwards no earlier than the loss, except counters', () => {
    const { n } = normaliser();
    const plc = 990_000; // the PLC's clock runs 10 s behind the pod's (1_000_000)
    n.normalise([{ type: 'values', values: [v('plc_clock', plc), v('state', 3), v('tonnage', 1800), v('good_count', 10)] }]);
    const lost = n.connectionLost();
    const lostAt = lost[0]!.ts;
    // the link is back: the PLC's clock says a time before the loss was declared
    const back = n.normalise([{ type: 'values', values: [v('plc_clock', plc + 2000), v('state', 3), v('tonnage', 1801), v('good_count', 12)] }]);
    const state = back.find((m) => m.kind === 'state');
    const sample = back.find((m) => m.kind === 'sample');
    expect(state).toMatchObject({ state: 'running', quality: 'good', ts: lostAt });
    expect(sample && sample.kind === 'sample' && sample.values.map((x) => [x.name, x.quality, x.ts])).toEqual([['tonnage', 'good', lostAt]]);
    expect(back.find((m) => m.kind === 'counter')).toMatchObject({ goodDelta: 2, ts: plc + 2000 });
    // once the machine's time passes the loss, its own time again
    const later = n.normalise([{ type: 'values', values: [v('plc_clock', lostAt + 5000), v('state', 1)] }]);
    expect(later.find((m) => m.kind === 'state')?.ts).toBe(lostAt + 5000);
  });
});
