import type { AlarmEpisode } from '../lib/api/types.js';
import type { MachineLive } from '../lib/live/index.js';
import { activeOrder, matchesAlarm, type AlarmsFilter } from './filter.js';

/**
 * The active alarms from the app's live picture of the plant (snapshot, alarm edges, acknowledgements,
 * a fresh GET /machines after every reconnect), filtered and in working order.
 */
export function activeEpisodes(machines: Record<string, MachineLive>, filter: Pick<AlarmsFilter, 'machine' | 'severity'>): AlarmEpisode[] {
  const out: AlarmEpisode[] = [];
  for (const m of Object.values(machines)) {
    for (const a of m.alarms) {
      const e: AlarmEpisode = { machineId: m.id, code: a.code, text: a.text, severity: a.severity, raisedAt: a.raisedAt, clearedAt: null, ack: a.ack ?? null };
      if (matchesAlarm(e, filter)) out.push(e);
    }
  }
  return out.sort(activeOrder);
}
