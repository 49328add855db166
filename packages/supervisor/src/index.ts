export * from './deployment.js';
export * from './local.js';
export { ProcessSupervisor, type RunningProgram, type SupervisorOptions } from './process-supervisor.js';
export * from './manifests.js';
export { startPlantRun, type PlantRun, type PlantRunOptions } from './plant-run.js';
