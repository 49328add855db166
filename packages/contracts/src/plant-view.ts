import type { Plant } from '@plant-twin/plant-model';
import type { PlantView } from './twin-api.js';

/**
 * The plant model as the twin needs it (GET /plant, from the cloud and the edge andon server alike):
 * layout, tags with units and limits, parts, alarms; no addresses, hosts or secret names.
 */
export function plantView(plant: Plant, now = Date.now()): PlantView {
  return {
    id: plant.plant.id,
    name: plant.plant.name,
    timezone: plant.plant.timezone,
    hall: plant.plant.hall,
    areas: plant.areas,
    shifts: plant.shifts.map((s) => ({ name: s.name, start: s.start, end: s.end, breaks: s.breaks, days: s.days })),
    smallStopThresholdS: plant.smallStopThresholdS,
    serverTime: now,
    machines: plant.machines.map((m) => ({
      id: m.id,
      name: m.name,
      kind: m.kind,
      area: m.area,
      interface: m.interface.type,
      layout: m.layout,
      tags: m.tags.map((t) => ({ name: t.name, type: t.type, ...pick(t, ['unit', 'min', 'max', 'role', 'description']) })),
      parts: m.parts,
      alarms: m.alarms,
    })),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}
