import * as z from 'zod';

/**
 * An acceptance report: what was tested, on what, by whom, and with what result, in a form that any
 * report of the project fits (the HIL suites, the scenario run, the whole-chain run, later the twin's
 * commissioning view). Renderers (JUnit XML, printable HTML) and viewers read only this shape.
 *
 * Every case names its unit under test (a machine id, or `plant`/`cluster`), the subject within it
 * (a tag, a table, a file, a DB), and when it failed: what was expected, what was seen and the fix when
 * one is known, as test reports that people act on do (JUnit consumers, TestStand).
 */
export const acceptanceReportSchemaId = 'plant-twin/acceptance-report@1';

const figure = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const reportChartSchema = z.discriminatedUnion('kind', [
  /** a distribution, e.g. poll latency: bins of [from, to) with counts, and marked quantiles */
  z.strictObject({
    kind: z.literal('histogram'),
    title: z.string(),
    unit: z.string(),
    bins: z.array(z.strictObject({ from: z.number(), to: z.number(), count: z.number().int().min(0) })).max(200),
    marks: z.record(z.string(), z.number()).default({}),
    /** a limit the values must stay below (drawn as a line) */
    limit: z.number().optional(),
  }),
  /** values over time (ms since the epoch), e.g. latency per minute of a soak */
  z.strictObject({
    kind: z.literal('series'),
    title: z.string(),
    unit: z.string(),
    points: z.array(z.tuple([z.number(), z.number()])).max(5000),
    limit: z.number().optional(),
  }),
]);
export type ReportChart = z.output<typeof reportChartSchema>;

export const reportCaseStatuses = ['passed', 'failed', 'skipped'] as const;
export type ReportCaseStatus = (typeof reportCaseStatuses)[number];

export const reportCaseSchema = z.strictObject({
  /** short name, unique within its suite and unit, e.g. "tag tonnage (DB10,REAL4)" */
  name: z.string().min(1).max(300),
  /** unit under test: a machine id, or "plant" / "cluster" */
  unit: z.string().min(1).max(64),
  /** what within the unit: a tag, table, DB, file, drill */
  subject: z.string().max(200).optional(),
  status: z.enum(reportCaseStatuses),
  durationMs: z.number().min(0),
  /** failure: what went wrong; skipped: why it did not run */
  message: z.string().max(4000).optional(),
  expected: z.string().max(1000).optional(),
  seen: z.string().max(1000).optional(),
  fix: z.string().max(2000).optional(),
  figures: z.record(z.string(), figure).default({}),
  charts: z.array(reportChartSchema).max(10).default([]),
});
export type ReportCase = z.output<typeof reportCaseSchema>;
export type ReportCaseInput = z.input<typeof reportCaseSchema>;

export const reportSuiteSchema = z.strictObject({
  /** machine-readable name, e.g. "tag-map" */
  name: z.string().min(1).max(64),
  title: z.string().min(1).max(200),
  startedAt: z.number(),
  durationMs: z.number().min(0),
  cases: z.array(reportCaseSchema),
});
export type ReportSuite = z.output<typeof reportSuiteSchema>;

/** Where the result came from: enough to say later exactly what was tested with what. */
export const reportTraceSchema = z.strictObject({
  plantFile: z.string(),
  plantSha256: z.string().regex(/^[a-f0-9]{64}$/),
  siteFile: z.string().optional(),
  siteSha256: z.string().regex(/^[a-f0-9]{64}$/).optional(),
  software: z.strictObject({ name: z.string(), version: z.string(), commit: z.string().optional() }),
  /** "sim" or the site name */
  target: z.string(),
  operator: z.string(),
  host: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  /** the command line, for repeating the run */
  command: z.string().optional(),
});
export type ReportTrace = z.output<typeof reportTraceSchema>;

export const acceptanceReportSchema = z.strictObject({
  schema: z.literal(acceptanceReportSchemaId),
  /** which kind of acceptance run: hil, scenario, chain, ... */
  kind: z.string().min(1).max(32),
  title: z.string().min(1).max(200),
  trace: reportTraceSchema,
  suites: z.array(reportSuiteSchema),
});
export type AcceptanceReport = z.output<typeof acceptanceReportSchema>;

export function reportSummary(r: Pick<AcceptanceReport, 'suites'>): Record<ReportCaseStatus, number> {
  const out = { passed: 0, failed: 0, skipped: 0 };
  for (const s of r.suites) for (const c of s.cases) out[c.status]++;
  return out;
}

/** One line naming everything a person needs to act on a failed case. */
export function caseMessage(c: Pick<ReportCase, 'unit' | 'subject' | 'message' | 'expected' | 'seen' | 'fix'>): string {
  const parts = [`${c.unit}${c.subject ? ` ${c.subject}` : ''}: ${c.message ?? 'failed'}`];
  if (c.expected !== undefined) parts.push(`expected ${c.expected}`);
  if (c.seen !== undefined) parts.push(`seen ${c.seen}`);
  if (c.fix) parts.push(`fix: ${c.fix}`);
  return parts.join('; ');
}
