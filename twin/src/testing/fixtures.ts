/** A small plant and machine pictures for component tests (shapes of the cloud's contract). */
import type { MachineSnapshot, MachineStatus, PlantMachine, PlantView } from '../lib/api/types.js';

export const press: PlantMachine = {
  id: 'PRS-01',
  name: 'Servo stamping press 1',
  kind: 'press',
  area: 'press',
  interface: 's7',
  layout: { x: 4, z: 6, rotationDeg: 0, footprint: { w: 4.5, d: 3.5, h: 5.5 } },
  tags: [
    { name: 'state', type: 'int', role: 'state', min: 0, max: 7 },
    { name: 'tonnage', type: 'real', unit: 'kN', min: 0, max: 4000 },
    { name: 'die_temp', type: 'real', unit: '°C', min: 0, max: 120 },
    { name: 'auto_mode', type: 'bool' },
  ],
  parts: [{ partNumber: 'BRK-4412', family: 'brackets', idealCycleS: 2.6 }],
  alarms: [{ code: 101, text: 'Die protection sensor tripped', severity: 'fault' }],
};

export const plantView = (machines: PlantMachine[] = [press]): PlantView => ({
  id: 'plant1',
  name: 'Automotive parts plant',
  timezone: 'Europe/Berlin',
  hall: { width: 64, depth: 36 },
  areas: [{ id: 'press', name: 'Press shop' }],
  shifts: [],
  smallStopThresholdS: 120,
  serverTime: Date.now(),
  machines,
});

/** 2026-12-01 06:00:00 in Berlin (in the past: ranges are cut at now) */
export const sixAm = Date.UTC(2026, 11, 1, 5, 0, 0);

export function status(over: Partial<MachineStatus> = {}): MachineStatus {
  return {
    machineId: 'PRS-01',
    state: 'running',
    quality: 'good',
    since: sixAm,
    partNumber: 'BRK-4412',
    jobId: 'J-1001',
    pod: { status: 'online', machineConnected: true, ts: sixAm },
    lastSeen: sixAm,
    freshness: 'live',
    ...over,
  };
}

export function snapshot(over: Partial<MachineStatus> = {}, extra: Partial<MachineSnapshot> = {}): MachineSnapshot {
  return { machineId: 'PRS-01', status: status(over), job: null, activeAlarms: [], ...extra };
}
