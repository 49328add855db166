import type { Role } from '@plant-twin/contracts';

/** Who may make, change and publish plans (the cloud's schedule routes); every role may read them. */
export const scheduleRoles: Role[] = ['planner', 'admin'];
