import type { ActiveAlarm } from '../lib/api/types.js';
import type { Condition } from '../lib/freshness.js';
import { lookOf, severityLook, worstSeverity } from '../lib/states.js';
import type { MachineLook } from './build.js';

/** How the 3D hall draws a machine: tone from its condition (no data wins), marker from its worst alarm. */
export function hallLook(condition: Condition, alarms: readonly ActiveAlarm[], selected: boolean): MachineLook {
  const tone = condition.kind === 'nodata' ? 'nodata' : lookOf(condition.state).tone;
  const worst = worstSeverity(alarms.map((a) => a.severity));
  const markerTone = worst ? severityLook(worst).tone : null;
  return { tone, alarm: markerTone === 'alarm' || markerTone === 'warn' || markerTone === 'info' ? markerTone : null, selected };
}

/** Machines in reading order of the floor plan (front to back, left to right): keyboard order in hall and tiles. */
export function floorOrder<T extends { layout: { x: number; z: number } }>(machines: readonly T[]): T[] {
  return [...machines].sort((a, b) => a.layout.z - b.layout.z || a.layout.x - b.layout.x);
}
