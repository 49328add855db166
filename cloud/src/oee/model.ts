import { createHash } from 'node:crypto';
import type { Plant, Shift } from '@plant-twin/plant-model';
import type { OeeFacts } from './facts.js';

/** What OEE needs of the plant model. */
export interface OeeModel {
  shifts: readonly Shift[];
  timezone: string;
  smallStopMs: number;
  machineIds: string[];
  idealCycleS: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export function oeeModelOf(plant: Plant): OeeModel {
  return {
    shifts: plant.shifts,
    timezone: plant.plant.timezone,
    smallStopMs: plant.smallStopThresholdS * 1000,
    machineIds: plant.machines.map((m) => m.id),
    idealCycleS: new Map(plant.machines.map((m) => [m.id, new Map(m.parts.map((p) => [p.partNumber, p.idealCycleS]))])),
  };
}

/** Changes when anything the rolled-up OEE facts depend on changes (then they are recomputed). */
export function oeeModelFingerprint(m: OeeModel): string {
  const ideal = [...m.idealCycleS].map(([id, parts]) => [id, [...parts]]);
  return createHash('sha256').update(JSON.stringify([m.shifts, m.timezone, m.smallStopMs, ideal])).digest('hex').slice(0, 32);
}

/** OEE facts field -> oee_hour column. */
export const factColumns: Record<keyof OeeFacts, string> = {
  pbtMs: 'pbt_ms', noDataMs: 'nodata_ms', aptMs: 'apt_ms', setupMs: 'setup_ms', faultMs: 'fault_ms', starvedMs: 'starved_ms',
  blockedMs: 'blocked_ms', idleMs: 'idle_ms', offMs: 'off_ms', maintMs: 'maint_ms', smallMs: 'small_ms', smallN: 'small_n',
  produced: 'produced', good: 'good', scrap: 'scrap', idealMs: 'ideal_ms', idealGoodMs: 'ideal_good_ms', unknownQty: 'unknown_qty', noDataQty: 'nodata_qty',
};
