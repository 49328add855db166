import type { ApiClient } from './client.js';
import type {
  AlarmAckEvent,
  AlarmsAnswer,
  CalendarKind,
  CalendarRangesAnswer,
  CookieLoginAnswer,
  CurrentValuesAnswer,
  DeviceLoginAnswer,
  MachineListItem,
  MachineQueueAnswer,
  MeAnswer,
  MultiSeriesAnswer,
  OeeReportView,
  PlantView,
  TimelineAnswer,
} from './types.js';

/** At most this many tags per series call (the cloud's bound, contracts maxSeriesTags). */
export const maxSeriesTags = 16;

/** The cloud's twin API as typed calls: one function per endpoint of TWIN-API.md the twin uses. */
export function endpoints(api: ApiClient) {
  const enc = encodeURIComponent;
  return {
    me: () => api.get<MeAnswer>('/auth/me'),
    login: (username: string, password: string) => api.post<CookieLoginAnswer>('/auth/login', { username, password, session: 'cookie' }),
    logout: () => api.post<{ ok: true }>('/auth/logout'),
    changePassword: (currentPassword: string, newPassword: string) => api.post<{ ok: true; note?: string }>('/auth/password', { currentPassword, newPassword }),
    device: (token: string) => api.post<DeviceLoginAnswer>('/auth/device', { token }),

    plant: () => api.get<PlantView>('/plant'),
    calendarRanges: (kind: CalendarKind, at?: number) => api.get<CalendarRangesAnswer>('/calendar/ranges', { kind, at }),

    machines: () => api.get<MachineListItem[]>('/machines'),
    current: (id: string) => api.get<CurrentValuesAnswer>(`/machines/${enc(id)}/current`),
    series: (id: string, tags: readonly string[], from: number, to: number, points: number, signal?: AbortSignal) =>
      api.get<MultiSeriesAnswer>(`/machines/${enc(id)}/series`, { tags: tags.slice(0, maxSeriesTags), from, to, points }, signal),
    timeline: (id: string, from: number, to: number, signal?: AbortSignal) => api.get<TimelineAnswer>(`/machines/${enc(id)}/timeline`, { from, to }, signal),
    queue: (id: string) => api.get<MachineQueueAnswer>(`/machines/${enc(id)}/queue`),
    alarms: (q: { machineId?: string; severity?: string; from?: number; to?: number; limit?: number }, signal?: AbortSignal) =>
      api.get<AlarmsAnswer>('/alarms', q, signal),
    ackAlarm: (machineId: string, code: number, raisedAt: number, comment: string) =>
      api.post<AlarmAckEvent>('/alarms/ack', { machineId, code, raisedAt, comment }),
    oee: (q: { from: number; to: number; machineIds?: readonly string[]; by?: 'shift' | 'day' }, signal?: AbortSignal) =>
      api.get<OeeReportView>('/oee', q, signal),
  };
}
export type Endpoints = ReturnType<typeof endpoints>;
