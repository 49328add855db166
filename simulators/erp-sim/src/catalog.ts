import { machineKinds, type Plant } from '@plant-twin/plant-model';

/** What the ERP can order: one routing operation per (work centre = machine kind, part number). */
export interface CatalogItem {
  partNumber: string;
  workCenter: string;
  operation: string;
  eligibleMachines: string[];
  /** slowest eligible machine's ideal cycle, to size orders in hours of work */
  idealCycleS: number;
}

export function orderCatalog(plant: Plant): CatalogItem[] {
  const items = new Map<string, CatalogItem>();
  for (const m of plant.machines) {
    // a file machine without an inbox (the CMM) takes no jobs: it checks samples, nobody orders it
    if (m.interface.type === 'file' && !m.interface.inbox) continue;
    for (const p of m.parts) {
      const key = `${m.kind}/${p.partNumber}`;
      const item = items.get(key);
      if (item) {
        item.eligibleMachines.push(m.id);
        item.idealCycleS = Math.max(item.idealCycleS, p.idealCycleS);
      } else {
        const operation = String((machineKinds.indexOf(m.kind) + 1) * 10).padStart(4, '0');
        items.set(key, { partNumber: p.partNumber, workCenter: m.kind, operation, eligibleMachines: [m.id], idealCycleS: p.idealCycleS });
      }
    }
  }
  return [...items.values()].sort((a, b) => a.workCenter.localeCompare(b.workCenter) || a.partNumber.localeCompare(b.partNumber));
}
