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

  it('builds and parses unified-namespace topics', () => {
    const t = machineTopic({ plantId: 'plant1', areaId: 'press', machineId: 'PRS-01', kind: 'state' });
    expect(t).toBe('plant-twin/v1/plant1/press/PRS-01/state');
    expect(parseTopic(t)).toEqual({ plantId: 'plant1', areaId: 'press', machineId: 'PRS-01', kind: 'state' });
    expect(parseTopic('other/v1/x')).toBeNull();
  });
});
