/**
 * The machine behaviour model alone, without the protocol faces (node-snap7, TDS, files): what a
 * library user such as the cloud's what-if simulation loads, also inside a worker thread, where
 * native addons may not be loaded a second time.
 */
export { PlantSim, type PlantSimOptions } from './plant-sim.js';
export { MachineSim, type JobView, type JobState } from './machine.js';
export { Prng } from './prng.js';
export type { Truth, StateInterval, CycleRecord, JobRecord, AlarmRecord } from './truth.js';
