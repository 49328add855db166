import { fileFormats, type FileFormat, type Tag } from '@plant-twin/plant-model';
import type { CycleRecord } from '../truth.js';

/** One finished part as a file machine reports it: the cycle and the tag values at its end. */
export interface PartResult {
  cycle: CycleRecord;
  serial: string;
  values: Record<string, number | boolean | string>;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `<PREFIX>_<yyyymmdd>_<hhmmss>_<seq6><ext>` in UTC, as file-formats.ts specifies. */
export function resultFileName(format: FileFormat, at: number, seq: number): string {
  const f = fileFormats[format];
  const d = new Date(at);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${f.prefix}_${date}_${time}_${pad(seq % 1_000_000, 6)}${f.ext}`;
}

export function resultFilePattern(format: FileFormat): RegExp {
  const f = fileFormats[format];
  return new RegExp(`^${f.prefix}_\\d{8}_\\d{6}_(\\d{6})\\${f.ext}$`);
}

function num(v: number | boolean | string, digits: number): string {
  return typeof v === 'number' ? v.toFixed(digits) : String(v);
}

/** Decimals that keep a value's noise visible without inventing precision. */
function digitsFor(tag: Tag): number {
  const noise = tag.sim?.noise ?? 0;
  if (noise > 0 && noise < 0.01) return 4;
  if (noise > 0 && noise < 1) return 3;
  return 2;
}

/** A CSV result file (lsr-csv or eol-csv): header line, one line per part, '\n' line ends. */
export function csvFile(format: 'lsr-csv' | 'eol-csv', tags: readonly Tag[], parts: readonly PartResult[]): string {
  const f = fileFormats[format];
  const sep = f.separator;
  const header = [...f.fixed, ...tags.map((t) => t.address)].join(sep);
  const lines = parts.map((p) =>
    [
      new Date(p.cycle.at).toISOString(),
      p.cycle.jobId ?? '',
      p.cycle.partNumber,
      p.serial,
      p.cycle.result === 'good' ? f.good : f.bad,
      p.cycle.cycleS.toFixed(3),
      ...tags.map((t) => num(p.values[t.name]!, digitsFor(t))),
    ].join(sep),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Nominal and symmetric tolerance of a CMM characteristic: nominal from the sim level, tolerance 3.5 sigma of its noise. */
export function characteristic(tag: Tag): { nominal: number; tol: number } {
  const nominal = tag.sim?.running ?? 0;
  const tol = Math.max(0.001, Number(((tag.sim?.noise ?? 0.001) * 3.5).toFixed(3)));
  return { nominal, tol };
}

/**
 * A CMM measurement report. Actual values agree with the verdict: a PASS part has every
 * characteristic within tolerance, a FAIL part at least one outside.
 */
export function cmmReport(tags: readonly Tag[], part: PartResult, program: string): string {
  const failIndex = part.cycle.result === 'scrap' ? part.cycle.seq % tags.length : -1;
  const chars = tags.map((t, i) => {
    const { nominal, tol } = characteristic(t);
    let actual = Number(part.values[t.name]);
    if (i === failIndex) actual = nominal + (actual >= nominal ? 1 : -1) * tol * 1.4;
    else actual = Math.min(nominal + tol * 0.95, Math.max(nominal - tol * 0.95, actual));
    return `    <Characteristic name="${xmlEscape(t.address)}" nominal="${nominal.toFixed(3)}" lowerTol="${(-tol).toFixed(3)}" upperTol="${tol.toFixed(3)}" actual="${actual.toFixed(4)}" unit="${xmlEscape(t.unit ?? '')}"/>`;
  });
  const c = part.cycle;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<MeasurementReport version="1.0">',
    '  <Header>',
    `    <Timestamp>${new Date(c.at).toISOString()}</Timestamp>`,
    `    <JobId>${xmlEscape(c.jobId ?? '')}</JobId>`,
    `    <PartNumber>${xmlEscape(c.partNumber)}</PartNumber>`,
    `    <Serial>${xmlEscape(part.serial)}</Serial>`,
    `    <Program>${xmlEscape(program)}</Program>`,
    '    <Operator>auto</Operator>',
    `    <CycleTimeS>${c.cycleS.toFixed(3)}</CycleTimeS>`,
    '  </Header>',
    '  <Characteristics>',
    ...chars,
    '  </Characteristics>',
    `  <Result>${c.result === 'good' ? 'PASS' : 'FAIL'}</Result>`,
    '</MeasurementReport>',
    '',
  ].join('\n');
}

export type FileFault = 'badHeader' | 'nonNumeric' | 'truncated';

/** Damages a result file the ways real shares see it: renamed column, garbage in a number, cut-off write. */
export function damage(format: FileFormat, text: string, fault: FileFault): string {
  if (fault === 'truncated') return text.slice(0, Math.max(1, Math.floor(text.length * 0.6)));
  if (format === 'cmm-xml') {
    if (fault === 'badHeader') return text.replace('<MeasurementReport', '<MeasurmentReport').replace('</MeasurementReport>', '</MeasurmentReport>');
    return text.replace(/actual="[^"]*"/, 'actual="n/a"');
  }
  const [header, first, ...rest] = text.split('\n');
  const sep = fileFormats[format].separator;
  if (fault === 'badHeader') return [header!.split(sep).map((h, i) => (i === 1 ? `${h}_X` : h)).join(sep), first, ...rest].join('\n');
  const cells = first!.split(sep);
  cells[5] = 'n/a'; // the cycle time column
  return [header, cells.join(sep), ...rest].join('\n');
}
