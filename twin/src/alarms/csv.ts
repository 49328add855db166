import type { AlarmEpisode } from '../lib/api/types.js';
import type { CsvColumn } from '../lib/csv.js';
import { t } from '../lib/i18n/index.js';
import { severityLook } from '../lib/states.js';

/** The alarm list as shown: severity word, machine, code, text, times in plant time, acknowledgement. */
export function alarmCsvColumns(): CsvColumn<AlarmEpisode>[] {
  return [
    { header: t('alarms.col.severity'), value: (e) => t(severityLook(e.severity).word) },
    { header: t('alarms.col.machine'), value: (e) => e.machineId },
    { header: t('alarms.col.code'), value: (e) => e.code },
    { header: t('alarms.col.text'), value: (e) => e.text },
    { header: t('alarms.col.raised'), value: (e) => ({ time: e.raisedAt }) },
    { header: t('alarms.col.cleared'), value: (e) => (e.clearedAt === null ? null : { time: e.clearedAt }) },
    { header: t('csv.unit.s', { label: t('alarms.col.duration') }), value: (e) => (e.clearedAt === null ? null : (e.clearedAt - e.raisedAt) / 1000) },
    { header: t('alarms.csv.ackBy'), value: (e) => e.ack?.by },
    { header: t('alarms.csv.ackAt'), value: (e) => (e.ack ? { time: e.ack.at } : null) },
    { header: t('alarms.csv.ackComment'), value: (e) => e.ack?.comment },
  ];
}
