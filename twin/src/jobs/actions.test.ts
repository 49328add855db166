import { describe, expect, it } from 'vitest';
import type { Command } from '@plant-twin/contracts';
import { actionBlock, describeChange, mergeCommand } from './actions.js';

const command = (over: Partial<Command> = {}): Command => ({
  id: '00000000-0000-4000-8000-000000000001',
  seq: 1,
  type: 'job.hold',
  target: 'J-1',
  args: {},
  createdBy: 'planner1',
  createdAt: 1_000,
  expiresAt: 121_000,
  status: 'pending',
  ...over,
});

describe('actionBlock', () => {
  it('offers what the lifecycle allows from the job status', () => {
    expect(actionBlock({ status: 'released' }, 'hold', [])).toBeNull();
    expect(actionBlock({ status: 'held' }, 'release', [])).toBeNull();
    expect(actionBlock({ status: 'planned' }, 'priority', [])).toBeNull();
    expect(actionBlock({ status: 'running' }, 'release', [])).toEqual({ why: 'status', status: 'running' });
    expect(actionBlock({ status: 'completed' }, 'cancel', [])).toEqual({ why: 'status', status: 'completed' });
    expect(actionBlock({ status: 'held' }, 'hold', [])).toEqual({ why: 'status', status: 'held' });
  });

  it('waits for a command of the job that is still open before offering another', () => {
    const open = command();
    expect(actionBlock({ status: 'released' }, 'hold', [open])).toEqual({ why: 'pending', command: open });
    expect(actionBlock({ status: 'completed' }, 'hold', [open])).toEqual({ why: 'status', status: 'completed' });
  });
});

describe('mergeCommand', () => {
  it('adds new commands newest first and applies status changes', () => {
    const a = command({ id: 'a', seq: 1 }), b = command({ id: 'b', seq: 2 });
    let list = mergeCommand([], a);
    list = mergeCommand(list, b);
    expect(list.map((c) => c.id)).toEqual(['b', 'a']);
    list = mergeCommand(list, { ...a, status: 'refused', reason: 'job J-1 cannot go from completed to held' });
    expect(list.find((c) => c.id === 'a')).toMatchObject({ status: 'refused', reason: 'job J-1 cannot go from completed to held' });
  });

  it('never goes back from a result to pending (a late REST answer after the live event)', () => {
    const applied = command({ status: 'applied', resultAt: 5_000 });
    const list = mergeCommand([applied], command({ status: 'pending' }));
    expect(list[0]!.status).toBe('applied');
    expect(mergeCommand([command({ status: 'delivered' })], command({ status: 'pending' }))[0]!.status).toBe('delivered');
  });
});

describe('describeChange', () => {
  it('names the fields that changed', () => {
    expect(describeChange({ status: 'running', priority: 5, machineId: 'PRS-01' }, { status: 'held', priority: 5, machineId: 'PRS-01' })).toBe('status: running → held');
    expect(describeChange({ priority: 5 }, { priority: 2, note: 'x' })).toBe('priority: 5 → 2, note: — → x');
  });
  it('shows values that are not records as they are', () => {
    expect(describeChange('released', 'held')).toBe('released → held');
    expect(describeChange(undefined, { status: 'held' })).toBe('— → {"status":"held"}');
  });
});
