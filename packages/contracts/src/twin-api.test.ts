import { describe, expect, it } from 'vitest';
import { alarmsQuerySchema, jobCommandRequestSchema, loginRequestSchema, oeeQuerySchema, seriesQuerySchema } from './twin-api.js';

const fields = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => (r.error?.issues ?? []).map((i) => i.path.join('.'));

describe('twin API schemas', () => {
  it('reads series queries with one tag or up to 16 tags, never both', () => {
    expect(seriesQuerySchema.parse({ tags: 'a,b', from: '1', to: '2' })).toEqual({ tags: ['a', 'b'], from: 1, to: 2, points: 500 });
    expect(fields(seriesQuerySchema.safeParse({ tag: 'a', tags: 'b', from: '1', to: '2' }))).toEqual(['tag']);
    expect(fields(seriesQuerySchema.safeParse({ tags: Array.from({ length: 17 }, (_, i) => `t${i}`).join(','), from: '1', to: '2' }))).toEqual(['tags']);
    expect(fields(seriesQuerySchema.safeParse({ tag: 'a', from: '5', to: '5' }))).toEqual(['to']);
  });

  it('names the wrong part of a query or body', () => {
    expect(fields(alarmsQuerySchema.safeParse({ severity: 'fault,loud' }))).toEqual(['severity.1']);
    expect(alarmsQuerySchema.parse({ severity: 'fault,warn', machineId: 'PRS-01' })).toMatchObject({ severity: ['fault', 'warn'], limit: 500 });
    expect(fields(oeeQuerySchema.safeParse({ from: '0', to: '10', machineIds: 'PRS-01,nope' }))).toEqual(['machineIds.1']);
    expect(fields(jobCommandRequestSchema.safeParse({ action: 'priority' }))).toEqual(['priority']);
    expect(fields(jobCommandRequestSchema.safeParse({ action: 'hold', priority: 3 }))).toEqual(['priority']);
    expect(jobCommandRequestSchema.parse({ action: 'priority', priority: 2 })).toEqual({ action: 'priority', priority: 2 });
    expect(loginRequestSchema.parse({ username: 'a', password: 'b' }).session).toBe('bearer');
  });
});
