import { describe, expect, it } from 'vitest';
import { makespanOf } from './bench/rpd.js';
import { makeInstance } from './instance.js';
import { isPlainMakespan } from './makespan-state.js';
import { Search } from './search.js';

/** n jobs on m machines, sequence-dependent setups, every fourth job barred from one machine */
function instance(n: number, m: number, seed: number) {
  let s = seed;
  const rand = (hi: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 1 + (s % hi);
  };
  const p = Array.from({ length: n }, (_, j) => Array.from({ length: m }, (_, k) => (j % 4 === 0 && k === j % m ? null : rand(40))));
  const setup = Array.from({ length: m }, () => Float64Array.from({ length: n * n }, () => rand(30)));
  const inst = makeInstance({ m, p, cls: [...Array(n).keys()], nCls: n, setup, cost: { tardiness: 0, setup: 0, makespan: 1 } });
  const makespan = (lists: number[][]) => makespanOf((j, k) => p[j]![k]!, (k, a, b) => setup[k]![a * n + b]!, lists);
  return { inst, p, makespan };
}

describe('plain-makespan iterated greedy', () => {
  it('places every job once on an eligible machine and reports the makespan its sequences make', () => {
    const { inst, p, makespan } = instance(40, 4, 3);
    expect(isPlainMakespan(inst)).toBe(true);
    const r = new Search(inst, { seed: 2, maxTicks: 5000 }).run();
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.free.flat().sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    r.free.forEach((list, k) => list.forEach((j) => expect(p[j]![k]).not.toBeNull()));
    expect(makespan(r.free)).toBe(r.score);
    expect(r.score).toBeLessThan(r.initialScore);
  });

  it('is deterministic under a seed, and a time-limited run replays exactly from its tick count', () => {
    const { inst } = instance(30, 3, 7);
    const a = new Search(inst, { seed: 4, maxTicks: 3000 }).run();
    const b = new Search(inst, { seed: 4, maxTicks: 3000 }).run();
    expect(b.free).toEqual(a.free);
    const timed = new Search(inst, { seed: 9, timeLimitMs: 40 }).run();
    const replay = new Search(inst, { seed: 9, maxTicks: timed.ticks }).run();
    expect(replay.free).toEqual(timed.free);
    expect(replay.score).toBe(timed.score);
  });
});
