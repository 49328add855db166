export { MachineFence, machineFenceFromEnv, type FenceOptions } from './fence.js';
export { LeaseApi, leaseSchema, microTime, type Lease, type LeaseApiOptions } from './lease-api.js';
