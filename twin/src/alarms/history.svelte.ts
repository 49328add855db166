import { api } from '../lib/api/index.js';
import type { AlarmEpisode } from '../lib/api/types.js';
import { RangeData } from '../period/rangeData.svelte.js';
import type { AlarmsFilter } from './filter.js';

/** Most episodes one history page shows (the API's bound is 5000). */
export const historyLimit = 500;

/**
 * The alarm history of a plant-calendar range (GET /alarms with from/to), filtered by machine and
 * severity on the server.
 */
export class AlarmHistory extends RangeData<AlarmsFilter, AlarmEpisode[]> {
  constructor() {
    super(async ({ from, to }, filter) => {
      const answer = await api.alarms({
        from,
        to,
        limit: historyLimit,
        ...(filter.machine ? { machineId: filter.machine } : {}),
        ...(filter.severity.length ? { severity: filter.severity.join(',') } : {}),
      });
      return answer.history;
    });
  }

  get episodes(): AlarmEpisode[] {
    return this.data ?? [];
  }
}
