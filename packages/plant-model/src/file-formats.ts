/**
 * File formats of the file-drop machines. The simulator writes them, the machine pod parses them;
 * tag addresses of file machines name a CSV column or a CMM characteristic.
 *
 * Result files are written atomically into `<share>/<outbox>` (write `name.tmp`, then rename).
 *
 * lsr-csv (laser marker): `LSR_<yyyymmdd>_<hhmmss>_<seq6>.csv`, UTF-8, `;` separated, header line,
 *   one line per marked part: Timestamp (ISO 8601 UTC);JobId;PartNumber;Serial;Result (OK|NOK);
 *   CycleTimeS;<tag columns...>. Decimal point '.'.
 * eol-csv (end-of-line tester): `EOL_<yyyymmdd>_<hhmmss>_<seq6>.csv`, UTF-8, `,` separated, header line,
 *   one line per tested part: timestamp,job_id,part_number,serial,verdict (PASS|FAIL),cycle_time_s,<tag columns...>
 * cmm-xml (coordinate measuring machine): `CMM_<yyyymmdd>_<hhmmss>_<seq6>.xml`, one report per measured part:
 *   <MeasurementReport version="1.0">
 *     <Header><Timestamp/><JobId/><PartNumber/><Serial/><Program/><Operator/><CycleTimeS/></Header>
 *     <Characteristics>
 *       <Characteristic name="bore_d1" nominal="12.000" lowerTol="-0.010" upperTol="0.010" actual="12.003" unit="mm"/>
 *     </Characteristics>
 *     <Result>PASS|FAIL</Result>
 *   </MeasurementReport>
 *
 * Job files (machines with an inbox): the edge writes `<share>/<inbox>/<jobId>.job` atomically, `key=value` lines:
 *   JobId=..., PartNumber=..., Quantity=... . The machine takes a job by renaming it to `<jobId>.job.active`,
 *   runs it, and renames it to `<jobId>.job.done` (good quantity reached) or `<jobId>.job.cancelled`.
 *   The edge cancels by writing `<jobId>.cancel`; it holds / resumes with `<jobId>.hold` / `<jobId>.resume`
 *   (the machine deletes the request file when it has acted on it).
 */
export const fileFormats = {
  'lsr-csv': { prefix: 'LSR', ext: '.csv', separator: ';', fixed: ['Timestamp', 'JobId', 'PartNumber', 'Serial', 'Result', 'CycleTimeS'], good: 'OK', bad: 'NOK' },
  'eol-csv': { prefix: 'EOL', ext: '.csv', separator: ',', fixed: ['timestamp', 'job_id', 'part_number', 'serial', 'verdict', 'cycle_time_s'], good: 'PASS', bad: 'FAIL' },
  'cmm-xml': { prefix: 'CMM', ext: '.xml', separator: '', fixed: [], good: 'PASS', bad: 'FAIL' },
} as const;
export type FileFormat = keyof typeof fileFormats;
export const jobFileSuffix = { queued: '.job', active: '.job.active', done: '.job.done', cancelled: '.job.cancelled' } as const;
export const jobRequestSuffix = { cancel: '.cancel', hold: '.hold', resume: '.resume' } as const;
