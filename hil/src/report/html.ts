import { caseMessage, reportSummary, type AcceptanceReport, type ReportCase } from '@plant-twin/contracts';
import { chartSvg } from './svg.js';

/**
 * One self-contained HTML file (no script, no external resource: it opens offline and prints for
 * sign-off). It opens with the traceability header (plant and site file hashes, software, target,
 * operator, time) and the verdict, lists every failure with its fix first, then each suite by machine.
 */
const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
const dur = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);

const css = `
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 6px;border-bottom:1px solid #999}h3{font-size:14px;margin:14px 0 4px}
table{border-collapse:collapse;width:100%;margin:4px 0}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee}.trace td:first-child{width:200px;font-weight:600}.mono{font-family:ui-monospace,Consolas,monospace;font-size:12px;word-break:break-all}
.verdict{font-size:18px;font-weight:700;padding:8px;border:2px solid #333;margin:10px 0}.verdict.fail{border-color:#b00;color:#b00}
.st{font-weight:700}.failed .st{color:#b00}.skipped .st{color:#666}.failed{background:#fff3f3}
.fig{color:#555;font-size:12px}.chart{margin:4px 8px 4px 0;border:1px solid #ddd}.chart .t{font-size:12px;font-weight:600;fill:#222}
.chart .l,.chart .m{font-size:10px;fill:#444}.chart .axis{stroke:#888}.chart .bar{fill:#8a8a8a}.chart .bar.over,.chart .over{fill:#c00}
.chart .mark{stroke:#333;stroke-dasharray:2 2}.chart .limit{stroke:#c00;stroke-dasharray:6 3}.chart .line{fill:none;stroke:#333;stroke-width:1.5}
.sign td{height:40px}
@media print{body{margin:10mm}h2{break-after:avoid}tr,svg{break-inside:avoid}.nop{display:none}}
`;

function caseRow(c: ReportCase): string {
  const figs = Object.entries(c.figures).map(([k, v]) => `${esc(k)}=${esc(String(v))}`).join(' ');
  const detail = c.status === 'failed' ? esc(caseMessage(c)) : esc(c.message ?? '');
  return `<tr class="${c.status}"><td class="st">${c.status === 'passed' ? 'PASS' : c.status === 'failed' ? 'FAIL' : 'SKIP'}</td><td>${esc(c.name)}${c.subject && !c.name.includes(c.subject) ? `<div class="fig">${esc(c.subject)}</div>` : ''}</td><td>${detail}${figs ? `<div class="fig">${figs}</div>` : ''}${c.charts.map(chartSvg).join('')}</td><td>${dur(c.durationMs)}</td></tr>`;
}

export function toHtml(r: AcceptanceReport): string {
  const s = reportSummary(r);
  const t = r.trace;
  const failures = r.suites.flatMap((x) => x.cases.filter((c) => c.status === 'failed').map((c) => ({ suite: x.title, c })));
  const trace: [string, string][] = [
    ['Target', t.target],
    ['Plant model', `${t.plantFile}`],
    ['Plant model SHA-256', t.plantSha256],
    ...(t.siteFile ? ([['Site file', t.siteFile], ['Site file SHA-256', t.siteSha256 ?? '']] as [string, string][]) : []),
    ['Software', `${t.software.name} ${t.software.version}${t.software.commit ? ` (commit ${t.software.commit})` : ''}`],
    ['Operator', t.operator],
    ['Host', t.host],
    ['Started', time(t.startedAt)],
    ['Finished', `${time(t.finishedAt)} (${dur(t.finishedAt - t.startedAt)})`],
    ...(t.command ? ([['Command', t.command]] as [string, string][]) : []),
  ];
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)} - ${esc(t.target)} - ${time(t.startedAt)}</title><style>${css}</style></head><body>`);
  out.push(`<h1>${esc(r.title)}</h1><table class="trace">${trace.map(([k, v]) => `<tr><td>${esc(k)}</td><td class="${/SHA|Command|file|model/.test(k) ? 'mono' : ''}">${esc(v)}</td></tr>`).join('')}</table>`);
  out.push(`<div class="verdict ${s.failed ? 'fail' : ''}">${s.failed ? 'FAILED' : 'PASSED'}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped</div>`);
  out.push(`<table><tr><th>Suite</th><th>Passed</th><th>Failed</th><th>Skipped</th><th>Time</th></tr>${r.suites.map((x) => `<tr><td>${esc(x.title)}</td>${(['passed', 'failed', 'skipped'] as const).map((st) => `<td>${x.cases.filter((c) => c.status === st).length}</td>`).join('')}<td>${dur(x.durationMs)}</td></tr>`).join('')}</table>`);
  if (failures.length) {
    out.push(`<h2>Failures (${failures.length})</h2><table><tr><th>Suite</th><th>Machine</th><th>What</th><th>Expected</th><th>Seen</th><th>Fix</th></tr>`);
    for (const { suite, c } of failures) out.push(`<tr class="failed"><td>${esc(suite)}</td><td>${esc(c.unit)}</td><td>${esc(c.name)}${c.subject ? `<div class="fig">${esc(c.subject)}</div>` : ''}<div>${esc(c.message ?? '')}</div></td><td>${esc(c.expected ?? '')}</td><td>${esc(c.seen ?? '')}</td><td>${esc(c.fix ?? '')}</td></tr>`);
    out.push('</table>');
  }
  for (const x of r.suites) {
    out.push(`<h2>${esc(x.title)}</h2><div class="fig">${time(x.startedAt)}, ${dur(x.durationMs)}</div>`);
    const units = [...new Set(x.cases.map((c) => c.unit))];
    for (const u of units) {
      const cs = x.cases.filter((c) => c.unit === u);
      out.push(`<h3>${esc(u)}: ${cs.filter((c) => c.status === 'passed').length} passed, ${cs.filter((c) => c.status === 'failed').length} failed, ${cs.filter((c) => c.status === 'skipped').length} skipped</h3>`);
      out.push(`<table><tr><th style="width:40px"></th><th style="width:30%">Check</th><th>Result</th><th style="width:60px">Time</th></tr>${cs.map(caseRow).join('')}</table>`);
    }
  }
  out.push('<h2>Sign-off</h2><table class="sign"><tr><th>Role</th><th>Name</th><th>Date</th><th>Signature</th></tr><tr><td>Automation engineer</td><td></td><td></td><td></td></tr><tr><td>Plant / customer</td><td></td><td></td><td></td></tr></table>');
  out.push('</body></html>\n');
  return out.join('\n');
}
