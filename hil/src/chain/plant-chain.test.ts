import { describe, expect, it } from 'vitest';
import { quietInstant } from './plant-chain.js';

describe('quietInstant', () => {
  it('moves a window edge away from the events near it, inwards, and leaves a quiet one alone', () => {
    expect(quietInstant([0, 100_000], 50_000, -1, 10_000)).toBe(50_000);
    // a cycle ended 3 s before the edge: the edge moves to 10 s before it
    expect(quietInstant([47_000], 50_000, -1, 10_000)).toBe(37_000);
    // and onwards past a second event the move brought it near
    expect(quietInstant([47_000, 30_000], 50_000, -1, 10_000)).toBe(20_000);
    // a start edge moves forward
    expect(quietInstant([52_000], 50_000, 1, 10_000)).toBe(62_000);
    // events every 2 s for ten minutes: no quiet instant near, the edge stays
    const busy = Array.from({ length: 300 }, (_, i) => i * 2_000);
    expect(quietInstant(busy, 300_000, -1, 10_000)).toBe(300_000);
  });
});
