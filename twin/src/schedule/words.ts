import { t } from '../lib/i18n/index.js';
import type { PlantClockFormat } from '../lib/time.js';
import type { DueStatus, GanttBar } from './gantt.js';

/** How a job's due-date status reads: always a word beside the colour and the icon (ISA-101). */
export const statusWord: Record<DueStatus, Parameters<typeof t>[0]> = {
  ontime: 'schedule.status.ontime',
  atrisk: 'schedule.status.atrisk',
  late: 'schedule.status.late',
};

export function minutesText(min: number): string {
  const m = Math.round(min);
  return m >= 120 ? t('schedule.hoursMin', { h: Math.floor(m / 60), m: m % 60 }) : t('schedule.minutes', { m });
}

/** A bar's label on the chart (short) and what a screen reader hears when it is focused (long). */
export function describeBar(b: GanttBar, f: PlantClockFormat): { short: string; long: string } {
  const status = b.status === 'late' ? t('schedule.lateBy', { by: minutesText(b.tardinessMin) }) : t(statusWord[b.status]);
  const flags = [b.running ? t('schedule.flag.running') : '', b.frozen ? t('schedule.flag.frozen') : '', b.locked ? t('schedule.flag.locked') : '', b.moved ? t('schedule.flag.moved') : ''].filter(Boolean).join(', ');
  const short = b.status === 'ontime' ? b.jobId : `${b.jobId} · ${b.status === 'late' ? t('schedule.status.late') : t('schedule.status.atrisk')}`;
  const long = t('schedule.announce', {
    job: b.jobId,
    part: b.partNumber,
    machine: b.machineId,
    position: b.position + 1,
    start: f.dateTime(b.start).slice(0, 16),
    end: f.dateTime(b.end).slice(0, 16),
    due: f.dateTime(b.due).slice(0, 16),
    status,
  }) + (flags ? ` (${flags})` : '');
  return { short, long };
}

/** A spread of instants: the median in plant time, p10 and p90 as minutes from it (runs differ by minutes, not days). */
export function instantSpread(s: { p10: number; p50: number; p90: number }, f: PlantClockFormat): string {
  return t('schedule.whatif.spread', { p50: f.dateTime(s.p50).slice(5, 16), early: Math.round((s.p50 - s.p10) / 60_000), late: Math.round((s.p90 - s.p50) / 60_000) });
}
