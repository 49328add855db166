import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as z from 'zod';
import type { TagValue } from '@plant-twin/contracts';
import { fileFormats, type FileFormat, type Machine } from '@plant-twin/plant-model';

/** One part's result as a file machine records it. */
export interface ResultRecord {
  ts: number;
  jobId?: string;
  partNumber?: string;
  serial: string;
  good: boolean;
  cycleTimeS: number;
  values: TagValue[];
}

/** A malformed file: every problem found, each naming the line and field. */
export class FileFormatError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const isoTime = z.string().refine((s) => /^\d{4}-\d\d-\d\dT/.test(s) && Number.isFinite(Date.parse(s)), 'must be an ISO 8601 timestamp');
const number = z.string().trim().min(1, 'is empty').refine((s) => Number.isFinite(Number(s)), 'must be a number (decimal point ".")').transform(Number);
const optionalText = (max: number) => z.string().trim().max(max).transform((s) => s || undefined);

function rowSchema(format: Exclude<FileFormat, 'cmm-xml'>, tagColumns: string[]) {
  const f = fileFormats[format];
  const [ts, job, part, serial, result, cycle] = f.fixed;
  return z.object({
    [ts]: isoTime,
    [job]: optionalText(32),
    [part]: optionalText(24),
    [serial]: z.string().trim().min(1, 'is empty').max(64),
    [result]: z.enum([f.good, f.bad], { error: `must be ${f.good} or ${f.bad}` }),
    [cycle]: number.pipe(z.number().min(0, 'must be >= 0')),
    ...Object.fromEntries(tagColumns.map((c) => [c, number])),
  });
}

/** Parses a result file of the machine's format; throws FileFormatError listing what is wrong. */
export function parseResultFile(machine: Machine, text: string): ResultRecord[] {
  if (machine.interface.type !== 'file') throw new Error(`${machine.id} is not a file machine`);
  const format = machine.interface.format;
  return format === 'cmm-xml' ? parseCmmXml(machine, text) : parseCsv(machine, format, text);
}

function parseCsv(machine: Machine, format: Exclude<FileFormat, 'cmm-xml'>, text: string): ResultRecord[] {
  const f = fileFormats[format];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  if (!lines.length) throw new FileFormatError(['line 1: file is empty (expected a header line)']);
  const header = lines[0]!.split(f.separator).map((h) => h.trim());
  const tagColumns = machine.tags.map((t) => t.address);
  const missing = [...f.fixed, ...tagColumns].filter((c) => !header.includes(c));
  if (missing.length) throw new FileFormatError([`line 1 (header): missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (separator "${f.separator}")`]);
  if (lines.length < 2) throw new FileFormatError(['line 2: no records after the header']);
  const schema = rowSchema(format, tagColumns);
  const problems: string[] = [];
  const records: ResultRecord[] = [];
  lines.slice(1).forEach((line, i) => {
    const n = i + 2;
    const cells = line.split(f.separator);
    if (cells.length !== header.length) return void problems.push(`line ${n}: expected ${header.length} fields, found ${cells.length}`);
    const row = Object.fromEntries(header.map((h, k) => [h, cells[k]!]));
    const r = schema.safeParse(row);
    if (!r.success) {
      for (const issue of r.error.issues) problems.push(`line ${n}, field ${issue.path.map(String).join('.')}: ${issue.message}${fieldValue(row, issue.path)}`);
      return;
    }
    const d = r.data as Record<string, unknown>;
    const [ts, job, part, serial, result, cycle] = f.fixed;
    const time = Date.parse(d[ts] as string);
    records.push({
      ts: time,
      jobId: d[job] as string | undefined,
      partNumber: d[part] as string | undefined,
      serial: d[serial] as string,
      good: d[result] === f.good,
      cycleTimeS: d[cycle] as number,
      values: machine.tags.map((t) => ({ name: t.name, value: d[t.address] as number, quality: 'good' as const, ts: time })),
    });
  });
  if (problems.length) throw new FileFormatError(problems);
  return records;
}

function fieldValue(row: Record<string, string>, path: PropertyKey[]): string {
  const v = row[String(path[0])];
  return v === undefined ? '' : ` (got "${v.length > 40 ? `${v.slice(0, 40)}…` : v}")`;
}

const characteristic = z.object({
  '@_name': z.string().min(1),
  '@_actual': number,
});
const cmmSchema = z.object({
  MeasurementReport: z.object({
    Header: z.object({
      Timestamp: isoTime,
      JobId: z.string().optional().transform((s) => s?.trim() || undefined),
      PartNumber: z.string().optional().transform((s) => s?.trim() || undefined),
      Serial: z.string().trim().min(1, 'is empty'),
      CycleTimeS: number.pipe(z.number().min(0, 'must be >= 0')),
    }),
    Characteristics: z.object({ Characteristic: z.array(characteristic).min(1, 'no characteristics') }),
    Result: z.enum(['PASS', 'FAIL'], { error: 'must be PASS or FAIL' }),
  }),
});

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'Characteristic',
});

function parseCmmXml(machine: Machine, text: string): ResultRecord[] {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new FileFormatError([`line ${valid.err.line}, column ${valid.err.col}: XML is not well-formed: ${valid.err.msg}`]);
  const r = cmmSchema.safeParse(xml.parse(text));
  if (!r.success) throw new FileFormatError(r.error.issues.map((i) => `element ${i.path.map(String).join('/').replace(/\/(\d+)/g, '[$1]').replace(/@_/g, '@')}: ${i.message}`));
  const rep = r.data.MeasurementReport;
  const ts = Date.parse(rep.Header.Timestamp);
  const byName = new Map(rep.Characteristics.Characteristic.map((c) => [c['@_name'], c['@_actual']]));
  const values: TagValue[] = [];
  const missing: string[] = [];
  for (const t of machine.tags) {
    const v = byName.get(t.address);
    if (v === undefined) missing.push(t.address);
    else values.push({ name: t.name, value: v, quality: 'good', ts });
  }
  if (missing.length) throw new FileFormatError([`element MeasurementReport/Characteristics: no Characteristic named ${missing.join(', ')}`]);
  return [{ ts, jobId: rep.Header.JobId, partNumber: rep.Header.PartNumber, serial: rep.Header.Serial, good: rep.Result === 'PASS', cycleTimeS: rep.Header.CycleTimeS, values }];
}
