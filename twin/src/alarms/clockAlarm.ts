import type { CloudClockAlarmCode } from '@plant-twin/contracts';

/**
 * The alarm the cloud raises itself on a machine whose messages it quarantined (stamped outside its
 * accepted time window: the machine's clock is off). The number is the contracts' `cloudClockAlarmCode`;
 * its type is that constant's, so the twin stops compiling if the two ever differ (the twin imports
 * types only from the contracts, keeping zod out of the browser).
 */
export const clockAlarmCode: CloudClockAlarmCode = 9001;

export const isClockAlarm = (code: number): boolean => code === clockAlarmCode;
