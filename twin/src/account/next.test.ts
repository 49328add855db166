import { describe, expect, it } from 'vitest';
import { nextPath } from './next.js';

describe('nextPath', () => {
  it('returns to a page of the app, with its query', () => {
    expect(nextPath('/alarms?tab=history&machine=PRS-01')).toBe('/alarms?tab=history&machine=PRS-01');
    expect(nextPath('/jobs/J-1')).toBe('/jobs/J-1');
  });
  it('goes to the hall for anything that could leave the app or loop', () => {
    for (const bad of [null, '', 'https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/login?next=/x', '/api/v1/users'])
      expect(nextPath(bad)).toBe('/');
  });
});
