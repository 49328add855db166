/**
 * The cloud's twin API and live protocol as the twin reads them: the types of packages/contracts
 * (twin-api.ts, live.ts), imported as types only so zod stays out of the browser bundle. Views import
 * from here, under the names the twin uses.
 */
import type { MachineState as ModelMachineState } from '@plant-twin/plant-model';
import type { PlantMachine } from '@plant-twin/contracts';

export type {
  ActiveAlarm,
  AlarmAckEvent,
  AlarmEpisode,
  AlarmSeverity as Severity,
  AlarmsAnswer,
  CalendarKind,
  CalendarRange,
  CalendarRangesAnswer,
  CookieLoginAnswer,
  CurrentValue,
  CurrentValuesAnswer,
  DeviceLoginAnswer,
  Freshness,
  JobDto,
  LiveJobEvent,
  LiveMachineEvent,
  LivePlantEvent,
  LiveSnapshot,
  MachineJob,
  MachineListItem,
  MachineQueueAnswer,
  MachineSnapshot,
  MachineStatus,
  MeAnswer,
  MultiSeriesAnswer,
  OeeBreakdownView,
  OeeKpisView,
  OeeReportView,
  PlantMachine,
  PlantShift,
  PlantTag,
  PlantView,
  PodStatus,
  Quality,
  Role,
  Series,
  SeriesBucket,
  TimelineAnswer,
  TimelineInterval,
  TimelineState,
} from '@plant-twin/contracts';

export type MachineState = ModelMachineState;
export type MachineKind = PlantMachine['kind'];
export type MachineLayout = PlantMachine['layout'];
