import type { AlarmEpisode, AlarmSeverity } from '@plant-twin/contracts';

/**
 * The alarms view's filters in the URL (?tab=history&machine=PRS-01&severity=fault,warn): a filtered
 * list has its own link, back and reload keep it. Read leniently (unknown values dropped). The history's
 * plant-calendar range travels beside them (period/calendar.ts).
 */
/** most severe first (the contract's values: only types cross into the browser) */
export const alarmSeverities = ['fault', 'warn', 'info'] as const satisfies readonly AlarmSeverity[];

export const alarmTabs = ['active', 'history'] as const;
export type AlarmTab = (typeof alarmTabs)[number];

export interface AlarmsFilter {
  tab: AlarmTab;
  machine: string | null;
  severity: AlarmSeverity[];
}

export const defaultAlarmsFilter: AlarmsFilter = { tab: 'active', machine: null, severity: [] };

export function alarmsFilterFromQuery(p: URLSearchParams, machineIds: readonly string[]): AlarmsFilter {
  const tab = p.get('tab');
  const machine = p.get('machine');
  const severity = (p.get('severity') ?? '').split(',').filter((s): s is AlarmSeverity => (alarmSeverities as readonly string[]).includes(s));
  return {
    tab: tab === 'history' ? 'history' : 'active',
    machine: machine && machineIds.includes(machine) ? machine : null,
    severity: [...new Set(severity)],
  };
}

/** The URL query of the filters: null removes a parameter (the defaults are left out). */
export function alarmsFilterToQuery(f: AlarmsFilter): Record<string, string | null> {
  return {
    tab: f.tab === 'active' ? null : f.tab,
    machine: f.machine,
    severity: f.severity.length ? f.severity.join(',') : null,
  };
}

/** Does an episode pass the machine and severity filters (live updates are filtered in the browser too). */
export function matchesAlarm(e: Pick<AlarmEpisode, 'machineId' | 'severity'>, f: Pick<AlarmsFilter, 'machine' | 'severity'>): boolean {
  return (!f.machine || e.machineId === f.machine) && (!f.severity.length || f.severity.includes(e.severity));
}

/** One episode's identity: machine, code and when it was raised. */
export const episodeKey = (e: Pick<AlarmEpisode, 'machineId' | 'code' | 'raisedAt'>) => `${e.machineId}/${e.code}/${e.raisedAt}`;

const severityRank: Record<AlarmSeverity, number> = { fault: 0, warn: 1, info: 2 };

/**
 * Active alarms in the order a supervisor works them: unacknowledged first, then by severity, then
 * newest first.
 */
export function activeOrder(a: AlarmEpisode, b: AlarmEpisode): number {
  return Number(!!a.ack) - Number(!!b.ack) || severityRank[a.severity] - severityRank[b.severity] || b.raisedAt - a.raisedAt;
}

/** Who may acknowledge an alarm (POST /alarms/ack). */
export const ackRoles = ['supervisor', 'engineer', 'admin'] as const;
