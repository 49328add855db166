import { caseMessage, type AcceptanceReport } from '@plant-twin/contracts';

/**
 * JUnit XML as Jenkins and GitLab read it: a <testsuite> per suite, a <testcase> per case with the
 * machine (unit) in classname and the time in seconds, <failure> with a message that names the
 * machine, the subject (tag, table, file), what was expected and seen and the fix; <skipped> with the
 * reason; figures as <system-out>.
 */
const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // characters XML 1.0 does not allow at all
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
const secs = (ms: number) => (ms / 1000).toFixed(3);

export function toJUnit(r: AcceptanceReport): string {
  const all = r.suites.flatMap((s) => s.cases);
  const count = (cs: typeof all, st: string) => cs.filter((c) => c.status === st).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${esc(r.title)}" tests="${all.length}" failures="${count(all, 'failed')}" errors="0" skipped="${count(all, 'skipped')}" time="${secs(r.trace.finishedAt - r.trace.startedAt)}" timestamp="${new Date(r.trace.startedAt).toISOString()}">`);
  r.suites.forEach((s, id) => {
    out.push(`  <testsuite id="${id}" name="${esc(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, 'failed')}" errors="0" skipped="${count(s.cases, 'skipped')}" time="${secs(s.durationMs)}" timestamp="${new Date(s.startedAt).toISOString().slice(0, 19)}" hostname="${esc(r.trace.host)}">`);
    out.push('    <properties>');
    for (const [k, v] of [['target', r.trace.target], ['operator', r.trace.operator], ['plant_sha256', r.trace.plantSha256], ['site_sha256', r.trace.siteSha256 ?? ''], ['software', `${r.trace.software.name} ${r.trace.software.version}${r.trace.software.commit ? ` (${r.trace.software.commit})` : ''}`]] as const)
      out.push(`      <property name="${k}" value="${esc(v)}"/>`);
    out.push('    </properties>');
    for (const c of s.cases) {
      const name = c.subject && !c.name.includes(c.subject) ? `${c.name} [${c.subject}]` : c.name;
      const head = `    <testcase classname="${esc(`${s.name}.${c.unit}`)}" name="${esc(name)}" time="${secs(c.durationMs)}"`;
      const figures = Object.entries(c.figures).map(([k, v]) => `${k}=${v}`).join(' ');
      if (c.status === 'passed' && !figures) {
        out.push(`${head}/>`);
        continue;
      }
      out.push(`${head}>`);
      if (c.status === 'failed') {
        const msg = caseMessage(c);
        out.push(`      <failure message="${esc(msg)}" type="${esc(s.name)}">${esc([`${c.unit}${c.subject ? ` ${c.subject}` : ''}: ${c.message ?? 'failed'}`, c.expected && `expected: ${c.expected}`, c.seen && `seen: ${c.seen}`, c.fix && `fix: ${c.fix}`].filter(Boolean).join('\n'))}</failure>`);
      }
      if (c.status === 'skipped') out.push(`      <skipped message="${esc(c.message ?? '')}"/>`);
      if (figures) out.push(`      <system-out>${esc(figures)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  });
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
