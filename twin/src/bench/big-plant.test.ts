import { describe, expect, it } from 'vitest';
import { loadPlant, plantSchema } from '@plant-twin/plant-model';
import { bigPlant } from './big-plant.js';

describe('the benchmark plant', () => {
  it('has 500 machines with unique, valid ids inside its hall', () => {
    const p = bigPlant(loadPlant(), 500);
    expect(p.machines).toHaveLength(500);
    expect(new Set(p.machines.map((m) => m.id)).size).toBe(500);
    for (const m of p.machines) {
      expect(m.id).toMatch(/^[A-Z]{2,4}-\d{2}$/);
      expect(m.layout.x + m.layout.footprint.w / 2).toBeLessThanOrEqual(p.plant.hall.width + 1e-9);
      expect(m.layout.z + m.layout.footprint.d / 2).toBeLessThanOrEqual(p.plant.hall.depth + 1e-9);
    }
    expect(plantSchema.safeParse(JSON.parse(JSON.stringify(p))).success).toBe(true);
  });
});
