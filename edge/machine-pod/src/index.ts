export { startMachinePod, type MachinePod, type PodConfig } from './pod.js';
export type { MachineEvent, MachineDriver, DriverContext, JobHandshake, JobUpdate } from './drivers/types.js';
export { parseResultFile, FileFormatError, type ResultRecord } from './drivers/file/parse.js';
export { counterDelta } from './counters.js';
// the drivers and their context, for the HIL suites (hil/), which drive the machines exactly as a pod does
export { S7Driver, type S7DriverOptions } from './drivers/s7/driver.js';
export { SqlDriver, sqlPoolConfig, type SqlDriverOptions } from './drivers/sql/driver.js';
export { FileDriver, type FileDriverOptions } from './drivers/file/driver.js';
export { EncryptionRefused } from './drivers/sql/encryption.js';
export { JobRefused, MachineUnavailable } from './drivers/types.js';
export { createPodMetrics, type PodMetrics } from './metrics.js';
