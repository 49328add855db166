import type { AlarmEpisode, AlarmSeverity, CalendarKind } from '@plant-twin/contracts';

/**
 * The alarms view's filters in the URL (?tab=history&machine=PRS-01&severity=fault,warn&range=day&at=…):
 * a filtered list has its own link, back and reload keep it. Read leniently (unknown values dropped).
 * History ranges are plant-calendar ranges (GET /calendar/ranges), `at` a time inside the one shown.
 */
/** most severe first (the contract's values: only types cross into the browser) */
export const alarmSeverities = ['fault', 'warn', 'info'] as const satisfies readonly AlarmSeverity[];
export const calendarKinds = ['shift', 'day', 'week'] as const satisfies readonly CalendarKind[];

export const alarmTabs = ['active', 'history'] as const;
export type AlarmTab = (typeof alarmTabs)[number];

export interface AlarmsFilter {
  tab: AlarmTab;
  machine: string | null;
  severity: AlarmSeverity[];
  range: CalendarKind;
  /** a time inside the history range shown; null: now */
  at: number | null;
}

export const defaultAlarmsFilter: AlarmsFilter = { tab: 'active', machine: null, severity: [], range: 'shift', at: null };

export function alarmsFilterFromQuery(p: URLSearchParams, machineIds: readonly string[]): AlarmsFilter {
  const tab = p.get('tab');
  const machine = p.get('machine');
  const range = p.get('range');
  const at = Number(p.get('at'));
  const severity = (p.get('severity') ?? '').split(',').filter((s): s is AlarmSeverity => (alarmSeverities as readonly string[]).includes(s));
  return {
    tab: tab === 'history' ? 'history' : 'active',
    machine: machine && machineIds.includes(machine) ? machine : null,
    severity: [...new Set(severity)],
    range: (calendarKinds as readonly string[]).includes(range ?? '') ? (range as CalendarKind) : 'shift',
    at: p.has('at') && Number.isSafeInteger(at) && at > 0 ? at : null,
  };
}

export function alarmsFilterToQuery(f: AlarmsFilter): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.tab !== 'active') q.tab = f.tab;
  if (f.machine) q.machine = f.machine;
  if (f.severity.length) q.severity = f.severity.join(',');
  if (f.tab === 'history') {
    if (f.range !== 'shift') q.range = f.range;
    if (f.at !== null) q.at = String(f.at);
  }
  return q;
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
