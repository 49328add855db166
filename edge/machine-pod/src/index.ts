export { startMachinePod, type MachinePod, type PodConfig } from './pod.js';
export type { MachineEvent, MachineDriver, DriverContext, JobHandshake, JobUpdate } from './drivers/types.js';
export { parseResultFile, FileFormatError, type ResultRecord } from './drivers/file/parse.js';
export { counterDelta } from './counters.js';
