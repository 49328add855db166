import { describe, expect, it } from 'vitest';
import type { MachineStatus } from './api/types.js';
import { machineCondition, outOfLimits, valueStanding } from './freshness.js';

const base: MachineStatus = {
  machineId: 'PRS-01',
  state: 'fault',
  quality: 'good',
  since: 1_000,
  partNumber: 'BRK-4412',
  jobId: null,
  pod: { status: 'online', machineConnected: true, ts: 1_000 },
  lastSeen: 5_000,
  freshness: 'live',
};
const up = { status: 'up' as const, downSince: null };

describe('machine condition: live or not, always visible', () => {
  it('shows the state of a live machine', () => {
    expect(machineCondition(base, up)).toEqual({ kind: 'state', state: 'fault', since: 1_000 });
  });

  it('never shows the last state of an offline or stale machine: no data since it was last heard', () => {
    expect(machineCondition({ ...base, freshness: 'offline', staleSince: 4_000 }, up)).toEqual({ kind: 'nodata', reason: 'offline', since: 4_000 });
    expect(machineCondition({ ...base, freshness: 'stale' }, up)).toEqual({ kind: 'nodata', reason: 'stale', since: 5_000 });
  });

  it('reads no data, since the drop, when the browser itself lost the live connection', () => {
    expect(machineCondition(base, { status: 'down', downSince: 9_000 })).toEqual({ kind: 'nodata', reason: 'disconnected', since: 5_000 });
    expect(machineCondition({ ...base, lastSeen: 20_000 }, { status: 'down', downSince: 9_000 })).toMatchObject({ since: 9_000 });
  });

  it('keeps showing state while the first connection is still being made', () => {
    expect(machineCondition(base, { status: 'connecting', downSince: null }).kind).toBe('state');
  });

  it('has no data for a machine never heard of', () => {
    expect(machineCondition(undefined, up)).toEqual({ kind: 'nodata', reason: 'never', since: null });
    expect(machineCondition({ ...base, state: null, lastSeen: null, since: null }, up)).toEqual({ kind: 'nodata', reason: 'never', since: null });
  });
});

describe('value standing', () => {
  it('is bad or stale by quality, stale by age or when the machine is not live', () => {
    expect(valueStanding({ quality: 'good', ts: 1000 }, 2000, 10_000, true)).toBe('good');
    expect(valueStanding({ quality: 'bad', ts: 1000 }, 2000, 10_000, true)).toBe('bad');
    expect(valueStanding({ quality: 'stale', ts: 1000 }, 2000, 10_000, true)).toBe('stale');
    expect(valueStanding({ quality: 'good', ts: 1000 }, 20_000, 10_000, true)).toBe('stale');
    expect(valueStanding({ quality: 'good', ts: 1000 }, 2000, 10_000, false)).toBe('stale');
  });

  it('marks numbers outside the engineering limits only', () => {
    expect(outOfLimits(130, { min: 0, max: 120 })).toBe(true);
    expect(outOfLimits(-1, { min: 0 })).toBe(true);
    expect(outOfLimits(60, { min: 0, max: 120 })).toBe(false);
    expect(outOfLimits('x', { min: 0, max: 1 })).toBe(false);
    expect(outOfLimits(5, undefined)).toBe(false);
  });
});
