import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { acceptanceReportSchema, acceptanceReportSchemaId, type AcceptanceReport, type ReportSuite } from '@plant-twin/contracts';
import { softwareVersion } from '../version.js';
import { sha256File } from '../target.js';
import { toHtml } from './html.js';
import { toJUnit } from './junit.js';

/** An acceptance report of any run (HIL, scenario, ...) with its traceability header, written as JUnit XML / HTML / JSON. */
export function buildReport(o: { kind: string; title: string; target: string; plantFile: string; siteFile?: string; startedAt: number; suites: ReportSuite[]; operator?: string; command?: string }): AcceptanceReport {
  return acceptanceReportSchema.parse({
    schema: acceptanceReportSchemaId,
    kind: o.kind,
    title: o.title,
    trace: {
      plantFile: resolve(o.plantFile),
      plantSha256: sha256File(o.plantFile),
      ...(o.siteFile ? { siteFile: resolve(o.siteFile), siteSha256: sha256File(o.siteFile) } : {}),
      software: softwareVersion(),
      target: o.target,
      operator: o.operator ?? process.env.HIL_OPERATOR ?? userInfo().username,
      host: hostname(),
      startedAt: o.startedAt,
      finishedAt: Date.now(),
      command: o.command ?? process.argv.slice(1).join(' '),
    },
    suites: o.suites,
  });
}

export function writeReportFiles(report: AcceptanceReport, files: { junit?: string; html?: string; json?: string }, say: (line: string) => void): void {
  const write = (file: string | undefined, text: string, what: string) => {
    if (!file) return;
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
    say(`${what}: ${resolve(file)}`);
  };
  write(files.junit, toJUnit(report), 'JUnit XML');
  write(files.html, toHtml(report), 'HTML report');
  write(files.json, `${JSON.stringify(report, null, 1)}\n`, 'JSON report');
}

export function writeReports(o: Parameters<typeof buildReport>[0] & { junit?: string; html?: string; json?: string; say: (line: string) => void }): AcceptanceReport {
  const report = buildReport(o);
  writeReportFiles(report, o, o.say);
  return report;
}
