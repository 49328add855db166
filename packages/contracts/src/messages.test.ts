import { describe, expect, it } from 'vitest';
import { machineTopic, parseMachineMessage, parseTopic } from './index.js';

describe('message contract', () => {
  it('accepts a valid sample and names every wrong field of a bad one', () => {
    const good = { v: 1, id: 'PRS-01/b1/7', machineId: 'PRS-01', ts: 1, seq: 7, kind: 'sample', values: [{ name: 'tonnage', value: 1800.5, quality: 'good', ts: 1 }] };
    expect(parseMachineMessage(JSON.stringify(good))).toEqual({ ok: true, value: good });
    const bad = { ...good, seq: -1, values: [{ name: 'tonnage', value: 1, quality: 'fine', ts: 1 }] };
    const r = parseMachineMessage(Buffer.from(JSON.stringify(bad)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/seq: .*>=0[\s\S]*values\[0\]\.quality/);
    expect(parseMachineMessage('{not json')).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON/) });
  });

  it("carries whose clock a time is, optionally, so v1 messages without it stay valid", () => {
    const state = { v: 1, id: 'PRS-01/b1/8', machineId: 'PRS-01', ts: 1_750_000_000_000, seq: 8, kind: 'state', state: 'running', previous: 'idle', quality: 'good' };
    expect(parseMachineMessage(JSON.stringify(state)).ok).toBe(true);
    const stamped = { ...state, clock: 'pod', machineTs: 5_000 };
    expect(parseMachineMessage(JSON.stringify(stamped))).toEqual({ ok: true, value: stamped });
    expect(parseMachineMessage(JSON.stringify({ ...state, clock: 'sundial' }))).toMatchObject({ ok: false, error: expect.stringMatching(/^clock: /) });
  });

  it('builds and parses unified-namespace topics', () => {
    const t = machineTopic({ plantId: 'plant1', areaId: 'press', machineId: 'PRS-01', kind: 'state' });
    expect(t).toBe('plant-twin/v1/plant1/press/PRS-01/state');
    expect(parseTopic(t)).toEqual({ plantId: 'plant1', areaId: 'press', machineId: 'PRS-01', kind: 'state' });
    expect(parseTopic('other/v1/x')).toBeNull();
  });
});
