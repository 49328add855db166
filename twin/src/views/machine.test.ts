import { describe, expect, it } from 'vitest';
import type { CalendarRangesAnswer, MultiSeriesAnswer } from '../lib/api/types.js';
import { LiveConnection } from '../lib/live/index.js';
import { plant } from '../lib/plant.svelte.js';
import { plantView, press, sixAm } from '../testing/fixtures.js';
import { machineCsv } from './machineCsv.js';
import { choiceFromQuery, defaultTags, MachinePage } from './MachinePage.svelte.js';

describe('machine view URL', () => {
  it('reads range, time and tags leniently, with the first process values as default tags', () => {
    expect(defaultTags(press)).toEqual(['tonnage', 'die_temp']);
    expect(choiceFromQuery(new URLSearchParams('range=week&at=1796000000000&tags=die_temp,nope'), press)).toEqual({ choice: { kind: 'week', at: 1_796_000_000_000 }, tags: ['die_temp'] });
    expect(choiceFromQuery(new URLSearchParams('range=year&at=-1'), press)).toEqual({ choice: { kind: 'shift', at: null }, tags: ['tonnage', 'die_temp'] });
    expect(choiceFromQuery(new URLSearchParams('range=hour&tags='), press).tags).toEqual([]);
  });
});

describe('machine page data', () => {
  const ranges: CalendarRangesAnswer = {
    current: { kind: 'shift', label: 'early 2026-12-01', from: sixAm, to: sixAm + 8 * 3_600_000 },
    previous: { kind: 'shift', label: 'night 2026-12-06', from: sixAm - 8 * 3_600_000, to: sixAm },
  };
  function page() {
    const asked: string[] = [];
    const calls = {
      calendarRanges: async (kind: string, at?: number) => (asked.push(`calendar ${kind} ${at ?? 'now'}`), ranges),
      series: async (_id: string, tags: readonly string[], from: number, to: number): Promise<MultiSeriesAnswer> => {
        asked.push(`series ${tags.join(',')}`);
        return { machineId: 'PRS-01', from, to, series: tags.map((tag) => ({ machineId: 'PRS-01', tag, from, to, bucketMs: 60_000, source: '1m' as const, buckets: [{ t: from, min: 1, max: 3, avg: 2, count: 60 }] })) };
      },
      timeline: async (_id: string, from: number, to: number) => (asked.push('timeline'), { machineId: 'PRS-01', from, to, intervals: [{ state: 'running' as const, from, to, quality: 'good' as const }], truncated: false }),
      alarms: async () => (asked.push('alarms'), { active: [], history: [] }),
      oee: async () => (asked.push('oee'), { from: 0, to: 0, plant: {} as never, machines: {} }),
      queue: async () => (asked.push('queue'), { machineId: 'PRS-01', current: null, queue: [], sequencer: null, asOf: null }),
    };
    return { asked, page: new MachinePage('PRS-01', new LiveConnection(), calls as never) };
  }

  it('takes shift, day and week from the cloud calendar, and reloads only the trends when the tags change', async () => {
    const { asked, page: p } = page();
    await p.select({ kind: 'shift', at: sixAm + 1000 }, ['tonnage']);
    expect(asked[0]).toBe(`calendar shift ${sixAm + 1000}`);
    expect(p.range).toEqual({ kind: 'shift', from: ranges.current.from, to: ranges.current.to, label: 'early 2026-12-01' });
    expect(asked).toEqual(expect.arrayContaining(['series tonnage', 'timeline', 'alarms', 'oee', 'queue']));
    asked.length = 0;
    await p.select({ kind: 'shift', at: sixAm + 1000 }, ['tonnage', 'die_temp']);
    expect(asked).toEqual(['series tonnage,die_temp']);
    expect(p.series?.series.map((s) => s.tag)).toEqual(['tonnage', 'die_temp']);
  });

  it('makes the last hour from the cloud clock without asking the calendar', async () => {
    const { asked, page: p } = page();
    await p.select({ kind: 'hour', at: sixAm }, []);
    expect(asked.some((a) => a.startsWith('calendar'))).toBe(false);
    expect(p.range).toEqual({ kind: 'hour', from: sixAm - 3_600_000, to: sixAm, label: null });
  });

  it('exports what it shows as CSV, one section per part of the page, times in plant time', async () => {
    plant.model = plantView();
    const { page: p } = page();
    await p.select({ kind: 'shift', at: null }, ['tonnage']);
    const csv = machineCsv(
      {
        machine: press,
        range: p.range!,
        values: [{ value: { name: 'tonnage', value: 1850.5, quality: 'good', ts: sixAm }, standing: 'good' }],
        series: p.series,
        timeline: p.timeline,
        active: [],
        history: [{ machineId: 'PRS-01', code: 101, text: 'Die protection sensor tripped', severity: 'fault', raisedAt: sixAm, clearedAt: sixAm + 60_000, ack: null }],
        oee: null,
      },
      'Europe/Berlin',
    );
    expect(csv.filename).toBe('PRS-01_2026-12-01_0600_to_2026-12-01_1400.csv');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Section,Item,From,To,Value,Min,Max,Unit,Quality');
    expect(lines).toContain('Key parameters,tonnage,2026-12-01T06:00:00+01:00,,1850.5,,,kN,Good');
    expect(lines).toContain('Trends,tonnage,2026-12-01T06:00:00+01:00,2026-12-01T06:01:00+01:00,2,1,3,kN,');
    expect(lines).toContain('State timeline,Running,2026-12-01T06:00:00+01:00,2026-12-01T14:00:00+01:00,,,,,Good');
    expect(lines).toContain('Past alarms,101 Die protection sensor tripped,2026-12-01T06:00:00+01:00,2026-12-01T06:01:00+01:00,Fault,,,,');
  });
});
