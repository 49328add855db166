import { describe, expect, it } from 'vitest';
import { acceptanceReportSchema, acceptanceReportSchemaId, type AcceptanceReport } from '@plant-twin/contracts';
import { CaseLog, failed, passed, skipped } from '../cases.js';
import { Samples } from '../samples.js';
import { toHtml } from './html.js';
import { toJUnit } from './junit.js';

function report(): AcceptanceReport {
  const log = new CaseLog('PRS-01');
  log.add('DB10 length', failed({ subject: 'DB10', message: 'DB10 is 256 bytes in the PLC, the plant model declares 300', expected: '300 bytes', seen: '256 bytes', fix: "set dbSizes['10'] to 256 <& \"quoted\">" }), 12.5);
  log.add('tag tonnage', passed({ subject: 'tonnage (DB10,REAL4)', figures: { value: 812.5 } }), 1);
  const s = new Samples();
  for (let i = 0; i < 100; i++) s.add(1_780_000_000_000 + i * 100, 2 + (i % 10));
  log.add('poll latency over 10 s', passed({ figures: s.summary(), charts: [s.histogram('PRS-01 poll duration', 100), s.series('p99', 60_000, 100)] }), 10_000);
  const other = new CaseLog('LSR-01');
  other.add('sample result files parse', skipped('no .csv result file yet'));
  return acceptanceReportSchema.parse({
    schema: acceptanceReportSchemaId,
    kind: 'hil',
    title: 'HIL test',
    trace: { plantFile: '/p/plant.yaml', plantSha256: 'a'.repeat(64), siteFile: '/p/site.yaml', siteSha256: 'b'.repeat(64), software: { name: 'plant-twin', version: '0.1.0', commit: 'abc123' }, target: 'sim', operator: 'tester', host: 'h', startedAt: 1_780_000_000_000, finishedAt: 1_780_000_060_000 },
    suites: [
      { name: 'tag-map', title: 'Tag map', startedAt: 1_780_000_000_000, durationMs: 1000, cases: log.cases },
      { name: 'latency', title: 'Latency', startedAt: 1_780_000_001_000, durationMs: 1000, cases: other.cases },
    ],
  });
}

describe('JUnit XML', () => {
  it('has a testsuite per suite, the machine in classname, times in seconds, and failures naming machine, subject, expected, seen and fix', () => {
    const xml = toJUnit(report());
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml).toContain('<testsuites name="HIL test" tests="4" failures="1" errors="0" skipped="1" time="60.000"');
    expect(xml).toContain('classname="tag-map.PRS-01" name="DB10 length" time="0.013"');
    expect(xml).toMatch(/<failure message="PRS-01 DB10: DB10 is 256 bytes in the PLC, the plant model declares 300; expected 300 bytes; seen 256 bytes; fix: set dbSizes\[&apos;10&apos;\] to 256 &lt;&amp; &quot;quoted&quot;&gt;"/);
    expect(xml).toContain('name="tag tonnage [tonnage (DB10,REAL4)]"');
    expect(xml).toContain('<skipped message="no .csv result file yet"/>');
    expect(xml).toContain('<property name="plant_sha256" value="' + 'a'.repeat(64) + '"/>');
    // well-formed enough for a strict parser: every opened testcase is closed
    expect(xml.match(/<testcase [^>]*[^/]>/g)!.length).toBe(xml.match(/<\/testcase>/g)!.length);
  });
});

describe('HTML report', () => {
  it('is one self-contained printable file opening with the traceability header and the verdict', () => {
    const html = toHtml(report());
    const header = html.slice(0, html.indexOf('<h2>'));
    for (const s of ['Plant model SHA-256', 'a'.repeat(64), 'b'.repeat(64), 'plant-twin 0.1.0 (commit abc123)', 'tester', '2026-05-28 20:26:40 UTC', 'FAILED: 2 passed, 1 failed, 1 skipped']) expect(header).toContain(s);
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
    expect(html).toContain('@media print');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('set dbSizes[&#39;10&#39;] to 256 &lt;&amp; &quot;quoted&quot;&gt;');
  });
});

describe('Samples', () => {
  it('gives nearest-rank quantiles, the maximum and the gaps between samples', () => {
    const s = new Samples();
    for (let i = 1; i <= 100; i++) s.add(i * 100, i);
    expect(s.summary()).toEqual({ count: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99, max_ms: 100 });
    expect(s.gaps(150, 0, 10_000)).toEqual({ count: 0, longestMs: 0, totalMs: 0 });
    s.add(15_000, 1);
    expect(s.gaps(1000, 0, 16_000)).toEqual({ count: 1, longestMs: 5000, totalMs: 5000 });
    const h = s.histogram('x');
    expect(h.kind === 'histogram' && h.bins.reduce((n, b) => n + b.count, 0)).toBe(101);
  });
});
