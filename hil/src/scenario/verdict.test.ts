import { describe, expect, it } from 'vitest';
import { failed, judge, verdictCases, type ErpConfirmation } from './verdict.js';

const conf = (id: string, orderId: string, good: number, final: boolean): ErpConfirmation => ({ confirmationId: id, orderId, operation: '0010', goodQuantity: good, scrapQuantity: 0, final });

describe('scenario verdict', () => {
  it('passes when every completed job is confirmed once with the true good quantity', () => {
    const v = judge({
      orders: 3,
      completed: [
        { id: 'J1', orderId: '100001', operation: '0010', good: 10 },
        { id: 'J2', orderId: '100002', operation: '0010', good: 5 },
      ],
      confirmations: [conf('c1', '100001', 4, false), conf('c2', '100001', 6, true), conf('c3', '100002', 5, true)],
      duplicatesRejected: 2,
      truthGoodByJob: { J1: 10, J2: 5 },
    });
    expect(v).toMatchObject({ orders: 3, jobs_completed: 2, confirmations_at_erp: 3, duplicate_confirmations: 0, lost_confirmations: 0, quantity_mismatches: 0, resends_refused_by_erp: 2 });
    expect(failed(v)).toBe(false);
  });

  it('counts a second final confirmation, a missing one and a wrong quantity', () => {
    const v = judge({
      orders: 3,
      completed: [
        { id: 'J1', orderId: '100001', operation: '0010', good: 10 },
        { id: 'J2', orderId: '100002', operation: '0010', good: 5 },
        { id: 'J3', orderId: '100003', operation: '0010', good: 7 },
      ],
      confirmations: [conf('c1', '100001', 10, true), conf('c1b', '100001', 10, true), conf('c3', '100003', 6, true)],
      duplicatesRejected: 0,
      truthGoodByJob: { J1: 10, J2: 5, J3: 7 },
    });
    expect(v.duplicate_confirmations).toBe(1);
    expect(v.lost).toEqual(['J2']);
    // J1 confirmed 20 in total against 10 made; J3 confirmed 6 against 7
    expect(v.mismatches.map((m) => m.jobId)).toEqual(['J1', 'J3']);
    expect(failed(v)).toBe(true);
  });
});

describe('scenario verdict as report cases', () => {
  it('fails the rule a bad run breaks, naming the jobs, what was expected and seen', () => {
    const v = judge({
      orders: 1,
      completed: [{ id: 'J3', orderId: '100003', operation: '0010', good: 7 }],
      confirmations: [conf('c3', '100003', 6, true)],
      duplicatesRejected: 0,
      truthGoodByJob: { J3: 7 },
    });
    const cases = verdictCases(v, true);
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ['each operation confirmed final once', 'passed'],
      ['every completed job confirmed', 'passed'],
      ['outbox settled', 'passed'],
      ['confirmed quantities equal what the machines made', 'failed'],
    ]);
    expect(cases[3]).toMatchObject({ unit: 'plant', message: 'job J3 (order 100003) confirmed 6 good, made 7', seen: '1 job(s) differ' });
  });
});
