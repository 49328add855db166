import { live } from './connection.svelte.js';
import { PlantLive } from './plant.svelte.js';

/** The app's live status of every machine (attached once by the app shell). */
export const plantLive = new PlantLive(live);

export { live, LiveConnection, reconnectOptions, type LiveStatus, type SocketFactory } from './connection.svelte.js';
export { PlantLive, type MachineLive } from './plant.svelte.js';
export { MachineValues } from './machine.svelte.js';
