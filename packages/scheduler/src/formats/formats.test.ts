import { describe, expect, it } from 'vitest';
import { parseOrlibValues, parseOrlibWt } from './orlib-wt.js';
import { parseReference, parseValladaRuiz } from './vallada-ruiz.js';

const vr = `3  2  1
2
\t0\t5\t1\t7
\t0\t3\t1\t2
\t0\t9\t1\t4
SSD
M0
0\t1\t2
3\t0\t4
5\t6\t0
M1
0\t7\t8
9\t0\t1
2\t3\t0
`;

describe('Vallada-Ruiz format', () => {
  it('reads processing times per machine and the per-machine setup matrices', () => {
    const inst = parseValladaRuiz(vr, 'tiny');
    expect(inst.n).toBe(3);
    expect(inst.m).toBe(2);
    expect(Array.from(inst.p)).toEqual([5, 7, 3, 2, 9, 4]);
    // row = previous job, column = next job
    expect(inst.setup[0]![1 * 3 + 2]).toBe(4);
    expect(inst.setup[1]![2 * 3 + 0]).toBe(2);
    expect(Array.from(inst.setupFirst[0]!)).toEqual([0, 0, 0]);
    expect(inst.cost).toEqual({ tardiness: 0, setup: 0, makespan: 1 });
  });
  it('says where a file is malformed', () => {
    expect(() => parseValladaRuiz(vr.replace('SSD', 'XYZ'), 'tiny')).toThrow('tiny: expected "SSD" after the jobs, found "XYZ"');
    expect(() => parseValladaRuiz(vr.replace('M1\n0\t7\t8', 'M1\n0\t7'), 'tiny')).toThrow('tiny: M1 row 0 has 2 values, expected 3');
    expect(() => parseValladaRuiz(vr.replace('\t0\t3\t1\t2', '\t0\t3'), 'tiny')).toThrow('tiny: job 1 has 1 machine entries, expected 2');
  });
  it('reads the reference file', () => {
    const ref = parseReference('instance,best_known_makespan,lower_bound,sls_1h_makespan,source\nI_1,100,95,103,x\nI_2,80,,,y\n');
    expect(ref.get('I_1')).toEqual({ instance: 'I_1', bestKnown: 100, lowerBound: 95 });
    expect(ref.get('I_2')!.lowerBound).toBeNull();
    expect(() => parseReference('name,value\n')).toThrow(/instance and best_known_makespan/);
  });
});

describe('OR-Library weighted tardiness format', () => {
  it('reads processing times, weights and due dates of each instance in turn', () => {
    const [a, b] = parseOrlibWt(' 1 2\n 3 4\n 5 6\n 7 8 9 10\n 11 12', 2);
    expect(Array.from(a!.p)).toEqual([1, 2]);
    expect(Array.from(a!.weight)).toEqual([3, 4]);
    expect(Array.from(a!.due)).toEqual([5, 6]);
    expect(Array.from(b!.due)).toEqual([11, 12]);
    expect(a!.m).toBe(1);
    expect(a!.cost).toEqual({ tardiness: 1, setup: 0, makespan: 0 });
    expect(parseOrlibValues(' 913\n 1225\n')).toEqual([913, 1225]);
  });
  it('refuses a file that does not divide into instances', () => {
    expect(() => parseOrlibWt('1 2 3 4 5', 2)).toThrow('5 values is not a multiple of 3 x 2');
    expect(() => parseOrlibWt('1 2 3 4 5 x', 2)).toThrow('every value must be an integer');
  });
});
