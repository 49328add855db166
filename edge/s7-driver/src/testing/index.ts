export { ChaosProxy, type ChaosOptions } from './chaos-proxy.js';
export { HostilePlc, ackData, type HostileAnswer } from './hostile-plc.js';
export { machineImage, startS7Server, testValue, type MachineImage, type RunningS7Server } from './snap7-server.js';
export { dataFrame, tpkt } from '../protocol.js';
