import type { Machine, Plant } from '@plant-twin/plant-model';

/**
 * A plant of `n` machines for the benchmark: the real plant's machines repeated (every kind, its tags
 * and parts), laid out on a grid of cells as large as the largest footprint, in a hall that fits them.
 * Ids keep the model's form: the source's first two letters, a letter per source machine, and the
 * copy's number (PRA-01 … PRA-46 are copies of the first machine, PRB-… of the second).
 */
export function bigPlant(base: Plant, n: number): Plant {
  const cell = Math.max(...base.machines.map((m) => Math.max(m.layout.footprint.w, m.layout.footprint.d))) + 3;
  const cols = Math.ceil(Math.sqrt(n * 1.6));
  const rows = Math.ceil(n / cols);
  const machines: Machine[] = [];
  for (let i = 0; i < n; i++) {
    const j = i % base.machines.length;
    const src = base.machines[j]!;
    const copy = Math.floor(i / base.machines.length);
    const more = copy >= 99 ? String.fromCharCode(65 + Math.floor(copy / 99)) : '';
    const id = `${src.id.slice(0, 2)}${String.fromCharCode(65 + j)}${more}-${String((copy % 99) + 1).padStart(2, '0')}`;
    const x = (i % cols) * cell + cell / 2;
    const z = Math.floor(i / cols) * cell + cell / 2;
    // the paint line is far longer than a cell: it lies along the row, shortened to fit the grid
    const fp = src.layout.footprint;
    const footprint = { w: Math.min(fp.w, cell - 1), d: Math.min(fp.d, cell - 1), h: fp.h };
    machines.push({ ...src, id, name: `${src.name} (${id})`, layout: { x, z, rotationDeg: src.layout.rotationDeg % 180, footprint } });
  }
  return { ...base, plant: { ...base.plant, hall: { width: cols * cell, depth: rows * cell } }, machines };
}
