import type { Machine } from '@plant-twin/plant-model';
import { fileMachine } from './file.js';
import { s7Machine } from './s7.js';
import { sqlMachine } from './sql.js';
import type { MachineUnderTest } from './types.js';

export const machineUnderTest = (m: Machine): MachineUnderTest => ({ s7: s7Machine, sql: sqlMachine, file: fileMachine })[m.interface.type];
export { recordingContext, type DriverRecorder } from './recorder.js';
export { s7Connection } from './s7.js';
export type { MachineOptions, MachineUnderTest } from './types.js';
