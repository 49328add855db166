import { describe, expect, it } from 'vitest';
import { requiredTools } from './tools.js';

describe('requiredTools', () => {
  it('reads the known tools of PLANT_TWIN_REQUIRE_TOOLS and ignores others', () => {
    expect(requiredTools('chromium, tsql,bogus,,kubectl')).toEqual(['chromium', 'tsql', 'kubectl']);
    expect(requiredTools('')).toEqual([]);
  });
});
