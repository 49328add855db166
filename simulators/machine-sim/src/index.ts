export * from './prng.js';
export * from './truth.js';
export * from './process.js';
export * from './machine.js';
export * from './plant-sim.js';
export * from './clock.js';
