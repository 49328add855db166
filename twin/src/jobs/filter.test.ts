import { describe, expect, it } from 'vitest';
import { emptyJobsFilter, jobsApiQuery, jobsFilterFromQuery, jobsFilterToQuery, pageSize } from './filter.js';

const machines = ['PRS-01', 'CNC-02'];

describe('jobs filter in the URL', () => {
  it('round-trips through the query string', () => {
    const f = { status: ['running' as const, 'held' as const], machine: 'PRS-01', part: 'BRK-4411', q: 'ord 7', page: 2 };
    const q = new URLSearchParams(jobsFilterToQuery(f) as Record<string, string>);
    expect(q.toString()).toBe('status=running%2Cheld&machine=PRS-01&part=BRK-4411&q=ord+7&page=2');
    expect(jobsFilterFromQuery(q, machines)).toEqual(f);
    expect(jobsFilterToQuery(emptyJobsFilter)).toEqual({ status: null, machine: null, part: null, q: null, page: null });
  });

  it('drops what it does not know instead of failing', () => {
    const f = jobsFilterFromQuery(new URLSearchParams('status=running,bogus,running&machine=XYZ-99&page=-3&q=%20%20'), machines);
    expect(f).toEqual({ status: ['running'], machine: null, part: null, q: null, page: 0 });
    expect(jobsFilterFromQuery(new URLSearchParams('page=1.5'), machines).page).toBe(0);
    expect(jobsFilterFromQuery(new URLSearchParams(`q=${'x'.repeat(100)}`), machines).q).toHaveLength(64);
  });

  it('asks the API for one page', () => {
    expect(jobsApiQuery({ ...emptyJobsFilter, status: ['planned'], machine: 'CNC-02', page: 3 })).toEqual({ status: 'planned', machine: 'CNC-02', limit: pageSize, offset: 3 * pageSize });
    expect(jobsApiQuery(emptyJobsFilter)).toEqual({ limit: pageSize, offset: 0 });
  });
});
