/**
 * The machine view as one CSV file (what is on screen, nothing more): key parameters, every trend
 * bucket, the state timeline, active and past alarms and the OEE ratios, one section per part of the
 * page, times in plant time (the shared CSV helper, src/lib/csv.ts).
 */
import type { ActiveAlarm, AlarmEpisode, CurrentValue, MultiSeriesAnswer, OeeBreakdownView, PlantMachine, TimelineAnswer } from '../lib/api/types.js';
import { csvFilename, toCsv, type CsvCell, type CsvColumn } from '../lib/csv.js';
import { t } from '../lib/i18n/index.js';
import { lookOf, noDataLook } from '../lib/states.js';
import type { ValueStanding } from '../lib/freshness.js';

export interface MachineShown {
  machine: PlantMachine;
  range: { from: number; to: number };
  values: readonly { value: CurrentValue; standing: ValueStanding }[];
  series: MultiSeriesAnswer | null;
  timeline: TimelineAnswer | null;
  active: readonly ActiveAlarm[];
  history: readonly AlarmEpisode[];
  oee: OeeBreakdownView | null;
}

interface Row {
  section: string;
  item: string;
  from?: number | undefined;
  to?: number | null | undefined;
  value?: CsvCell;
  min?: number | undefined;
  max?: number | undefined;
  unit?: string | undefined;
  quality?: string | undefined;
}

const at = (ms: number | null | undefined): CsvCell => (ms === null || ms === undefined ? null : { time: ms });

const columns: CsvColumn<Row>[] = [
  { header: t('csv.section'), value: (r) => r.section },
  { header: t('mv.csv.item'), value: (r) => r.item },
  { header: t('csv.from'), value: (r) => at(r.from) },
  { header: t('csv.to'), value: (r) => at(r.to) },
  { header: t('mv.value'), value: (r) => r.value },
  { header: t('mv.csv.min'), value: (r) => r.min },
  { header: t('mv.csv.max'), value: (r) => r.max },
  { header: t('mv.unit'), value: (r) => r.unit },
  { header: t('quality.label'), value: (r) => r.quality },
];

export function machineRows(s: MachineShown): Row[] {
  const unitOf = (tag: string) => s.machine.tags.find((x) => x.name === tag)?.unit;
  const rows: Row[] = [];
  for (const { value: v, standing } of s.values) {
    rows.push({ section: t('mv.params'), item: v.name, from: v.ts, value: v.value, unit: unitOf(v.name), quality: t(`quality.${standing}`) });
  }
  for (const series of s.series?.series ?? []) {
    for (const b of series.buckets) {
      rows.push({ section: t('mv.trends'), item: series.tag, from: b.t, to: b.t + series.bucketMs, value: b.avg, min: b.min, max: b.max, unit: unitOf(series.tag) });
    }
  }
  for (const i of s.timeline?.intervals ?? []) {
    rows.push({ section: t('mv.timeline'), item: t((i.state === 'nodata' ? noDataLook : lookOf(i.state)).word), from: i.from, to: i.to, quality: t(`quality.${i.quality}`) });
  }
  for (const a of s.active) rows.push({ section: t('mv.activeAlarms'), item: `${a.code} ${a.text}`, from: a.raisedAt, value: t(`severity.${a.severity}`) });
  for (const a of s.history) rows.push({ section: t('mv.pastAlarms'), item: `${a.code} ${a.text}`, from: a.raisedAt, to: a.clearedAt, value: t(`severity.${a.severity}`) });
  if (s.oee) {
    for (const k of ['availability', 'effectiveness', 'qualityRatio', 'oee'] as const) {
      rows.push({ section: t('mv.oee'), item: t(`oee.${k}`), from: s.range.from, to: s.range.to, value: s.oee[k] });
    }
  }
  return rows;
}

export function machineCsv(s: MachineShown, timeZone: string): { filename: string; text: string } {
  return { filename: csvFilename(s.machine.id, s.range, timeZone), text: toCsv(columns, machineRows(s), timeZone) };
}
