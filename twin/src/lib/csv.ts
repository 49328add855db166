import { plantFormat } from './time.js';

/**
 * CSV export of what a view shows, built in the browser (no server endpoint): RFC 4180 (fields with a
 * comma, quote, CR or LF quoted, quotes doubled, CRLF between records), times as ISO 8601 in the
 * plant's time zone with its UTC offset (unambiguous across a DST change, read by spreadsheets), numbers
 * with a dot and no grouping. Text cells that a spreadsheet would run as a formula (= + - @, tab, CR at
 * the start) get a leading apostrophe (OWASP "CSV injection"): alarm texts and comments come from users
 * and machines.
 */

/** A point in time (ms since the epoch), written in plant time. */
export interface CsvTime {
  time: number;
}
export type CsvCell = string | number | boolean | null | undefined | CsvTime;

export interface CsvColumn<R> {
  header: string;
  value: (row: R) => CsvCell;
}

const needsQuotes = /[",\r\n]/;
const formulaStart = /^[=+\-@\t\r]/;

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-07T06:00:00+01:00`: the wall-clock time in `timeZone` with that zone's offset at `ts`. */
export function plantIsoTime(ts: number, timeZone: string): string {
  const f = plantFormat(timeZone);
  const off = f.offsetMin(ts);
  const sign = off < 0 ? '-' : '+';
  return `${f.dateTime(ts).replace(' ', 'T')}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

function cellText(cell: CsvCell, timeZone: string): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'object') return plantIsoTime(cell.time, timeZone);
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  return formulaStart.test(cell) ? `'${cell}` : cell;
}

const field = (text: string) => (needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** The whole file: a header record, then one record per row, CRLF after each. */
export function toCsv<R>(columns: readonly CsvColumn<R>[], rows: readonly R[], timeZone: string): string {
  const lines = [columns.map((c) => field(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => field(cellText(c.value(r), timeZone))).join(','));
  return lines.map((l) => `${l}\r\n`).join('');
}

const fileStamp = (ts: number, timeZone: string) => {
  const f = plantFormat(timeZone);
  return `${f.date(ts)}_${f.timeShort(ts).replace(':', '')}`;
};

/**
 * `oee-plant_2026-12-07_0600_to_2026-12-07_1400.csv`: what and which plant-time range, in characters
 * every file system takes.
 */
export function csvFilename(subject: string, range: { from: number; to: number }, timeZone: string): string {
  const safe = subject.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'export';
  return `${safe}_${fileStamp(range.from, timeZone)}_to_${fileStamp(range.to, timeZone)}.csv`;
}

/**
 * Hands the file to the browser as a download. A UTF-8 byte order mark goes first so that spreadsheet
 * programs read non-ASCII text (machine names, comments) as UTF-8.
 */
export function downloadCsv(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob(['\uFEFF', csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // the click has started the download; revoking at once can cancel it in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
