import { describe, expect, it } from 'vitest';
import type { AlarmEpisode } from '@plant-twin/contracts';
import { activeOrder, alarmsFilterFromQuery, alarmsFilterToQuery, defaultAlarmsFilter, matchesAlarm } from './filter.js';

const machines = ['PRS-01', 'IMM-01'];
const episode = (over: Partial<AlarmEpisode>): AlarmEpisode => ({ machineId: 'PRS-01', code: 1, text: 't', severity: 'warn', raisedAt: 1_000, clearedAt: null, ack: null, ...over });

describe('alarms filter in the URL', () => {
  const asParams = (q: Record<string, string | null>) => new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== null));

  it('round-trips, and the default is the plain /alarms', () => {
    const f = { tab: 'history' as const, machine: 'IMM-01', severity: ['fault' as const, 'warn' as const] };
    expect(alarmsFilterFromQuery(asParams(alarmsFilterToQuery(f)), machines)).toEqual(f);
    expect(alarmsFilterToQuery(defaultAlarmsFilter)).toEqual({ tab: null, machine: null, severity: null });
  });

  it('drops unknown values', () => {
    expect(alarmsFilterFromQuery(new URLSearchParams('tab=x&machine=NOPE-01&severity=fatal,info'), machines)).toEqual({ ...defaultAlarmsFilter, severity: ['info'] });
  });
});

describe('matchesAlarm and activeOrder', () => {
  it('filters by machine and severity', () => {
    expect(matchesAlarm(episode({}), { machine: null, severity: [] })).toBe(true);
    expect(matchesAlarm(episode({}), { machine: 'IMM-01', severity: [] })).toBe(false);
    expect(matchesAlarm(episode({}), { machine: 'PRS-01', severity: ['fault'] })).toBe(false);
    expect(matchesAlarm(episode({ severity: 'fault' }), { machine: 'PRS-01', severity: ['fault', 'warn'] })).toBe(true);
  });

  it('puts unacknowledged first, then faults before warnings before info, then the newest', () => {
    const list = [
      episode({ code: 1, severity: 'info', raisedAt: 9 }),
      episode({ code: 2, severity: 'fault', raisedAt: 1, ack: { by: 'sup', at: 2, comment: '' } }),
      episode({ code: 3, severity: 'warn', raisedAt: 5 }),
      episode({ code: 4, severity: 'fault', raisedAt: 3 }),
      episode({ code: 5, severity: 'fault', raisedAt: 4 }),
    ];
    expect(list.sort(activeOrder).map((e) => e.code)).toEqual([5, 4, 3, 1, 2]);
  });
});
