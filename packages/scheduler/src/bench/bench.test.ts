import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReference } from '../formats/vallada-ruiz.js';
import { parseArgs, spread } from './main.js';
import { makespanOf, mean, rpd, shareAtReference, weightedTardinessOf } from './rpd.js';
import { runVr, runWt } from './tasks.js';

// two machines, four jobs: the optimum (brute force by hand) is 6: jobs 0,1 on M0 (2 + 1 + 3), 2,3 on M1 (3 + 0 + 3)
const tiny = `4 2 1
2
0 2 1 9
0 3 1 8
0 9 1 3
0 9 1 3
SSD
M0
0 1 5 5
5 0 5 5
5 5 0 5
5 5 5 0
M1
0 5 5 5
5 0 5 5
5 5 0 0
5 5 0 0
`;

describe('benchmark arithmetic', () => {
  it('computes relative deviations, shares at the reference and means', () => {
    expect(rpd(103, 100)).toBeCloseTo(3, 12);
    expect(rpd(0, 0)).toBe(0);
    expect(rpd(5, 0)).toBe(100);
    expect(shareAtReference([{ value: 10, reference: 10 }, { value: 11, reference: 10 }])).toBe(0.5);
    expect(mean([1, 2, 6])).toBe(3);
    expect(makespanOf((j) => [2, 3, 3, 3][j]!, (_k, a, b) => (a === 0 && b === 1 ? 1 : 0), [[0, 1], [2, 3]])).toBe(6);
    expect(weightedTardinessOf([3, 2], [2, 5], [2, 4], [0, 1])).toBe(2 * 1 + 5 * 1);
  });

  it('runs one tiny Vallada-Ruiz instance end to end and scores it against its reference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-'));
    writeFileSync(join(dir, 'I_tiny.txt'), tiny);
    const r = runVr({ kind: 'vr', file: join(dir, 'I_tiny.txt'), budgetMs: 50, seed: 1 });
    expect(r.name).toBe('I_tiny');
    expect(r.makespan).toBe(6);
    const ref = parseReference('instance,best_known_makespan,lower_bound\nI_tiny,6,6\n');
    expect(rpd(r.makespan, ref.get('I_tiny')!.bestKnown)).toBe(0);
  });

  it('runs one weighted tardiness instance and recomputes its value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-'));
    // jobs (p, w, d): (4, 1, 4), (1, 10, 1): the optimum runs the short heavy job first: 1 x (5 - 4) = 1
    writeFileSync(join(dir, 'wt2.txt'), '4 1\n1 10\n4 1\n');
    const r = runWt({ kind: 'wt', file: join(dir, 'wt2.txt'), n: 2, index: 0, budgetMs: 30, seed: 1 });
    expect(r.value).toBe(1);
  });

  it('parses its arguments', () => {
    const a = parseArgs(['--json', '--vr-dir', '/x', '--vr-reference', '/y.csv', '--budget-s', '2']);
    expect(a).toMatchObject({ json: true, vrDir: '/x', vrReference: '/y.csv', budgetS: 2 });
    expect(() => parseArgs(['--vr-dir', '/x'])).toThrow(/go together/);
    expect(() => parseArgs(['--budget-s', '0'])).toThrow(/positive/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument --fast/);
    expect(parseArgs(['--replicates', '1', '--wt-sample', '25'])).toMatchObject({ replicates: 1, wtSample: 25, longSample: null });
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 4)).toEqual([0, 3, 6, 9]);
    expect(spread([1, 2], null)).toEqual([1, 2]);
  });
});
