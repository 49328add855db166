import type { Machine } from '@plant-twin/plant-model';
import { failed, passed, type CaseLog } from '../cases.js';
import { recordingContext, type MachineOptions, type MachineUnderTest } from '../machines/index.js';
import { quietLog } from '../log.js';
import { Samples } from '../samples.js';
import { perMachine, type Suite, type SuiteContext } from './context.js';

/**
 * Latency and soak: the machine polled for a while by the pod's own driver (file machines: a read-only
 * scan), every poll's duration recorded from the pod's poll-duration metric.
 */
async function pollFor(ctx: SuiteContext, m: Machine, log: CaseLog, mut: MachineUnderTest, o: MachineOptions, ms: number, kind: 'latency' | 'soak'): Promise<void> {
  const rec = recordingContext(m, quietLog());
  const budget = o.site?.latencyBudgetMs ?? mut.budgetMs(m);
  const name = kind === 'latency' ? `poll latency over ${Math.round(ms / 1000)} s` : `soak ${Math.round(ms / 60_000)} min`;
  const driver = await mut.driver(m, rec, o);
  try {
    await driver.start();
    if (!(await rec.until(() => driver.connected() && rec.polls.count > 0, 20_000))) {
      log.add(name, failed({ message: 'the driver did not connect and poll within 20 s', expected: 'a connected driver', seen: rec.links.at(-1)?.reason ?? 'not connected' }));
      return;
    }
    // measured from a warm driver: the first seconds after connecting carry its one-time work (code
    // compiled, buffers and plans made), which is not the link's latency
    await new Promise((r) => setTimeout(r, Math.min(2000, ms / 5)));
    rec.polls = new Samples();
    const linksBefore = rec.links.length;
    const eventsBefore = rec.events;
    const from = Date.now();
    const end = from + ms;
    let nextReport = from + 60_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(1000, end - Date.now())));
      if (kind === 'soak' && Date.now() >= nextReport) {
        nextReport += 60_000;
        ctx.progress(`  soak         ${m.id.padEnd(7)} ${Math.round((Date.now() - from) / 60_000)}/${Math.round(ms / 60_000)} min: ${rec.polls.count} polls, p99 ${rec.polls.quantile(0.99).toFixed(1)} ms, ${rec.links.slice(linksBefore).filter((l) => !l.up).length} link losses`);
      }
    }
    const to = Date.now();
    const s = rec.polls.summary();
    const downs = rec.links.slice(linksBefore).filter((l) => !l.up);
    const gaps = rec.polls.gaps(mut.gapMs(m), from, to);
    const figures = { ...s, budget_ms: budget, reconnects: downs.length, gaps: gaps.count, longest_gap_ms: gaps.longestMs, gap_total_ms: gaps.totalMs, events: rec.events - eventsBefore, bad_values: rec.badValues };
    const charts = [rec.polls.histogram(`${m.id} poll duration`, budget), ...(kind === 'soak' ? [rec.polls.series(`${m.id} p99 per minute`, 60_000, budget)] : [])];
    const problems: { message: string; expected: string; seen: string; fix: string }[] = [];
    if (s.count === 0) problems.push({ message: 'no poll completed', expected: 'polls', seen: '0', fix: 'see the connectivity suite' });
    if (s.p99_ms > budget) problems.push({ message: `p99 poll latency ${s.p99_ms} ms is over the budget`, expected: `p99 <= ${budget} ms`, seen: `p99 ${s.p99_ms} ms (max ${s.max_ms} ms)`, fix: 'check the network path (switch load, VLAN, duplex) and the machine\'s load; set hil.machines.<id>.latencyBudgetMs in the site file if this machine is known to be slower' });
    if (downs.length) problems.push({ message: `the link was lost ${downs.length} time(s)`, expected: 'no reconnect', seen: downs.map((d) => d.reason ?? 'down').slice(0, 3).join(' | '), fix: 'check the cabling, the switch port and the machine\'s connection limit' });
    if (gaps.count) problems.push({ message: `${gaps.count} data gap(s), longest ${gaps.longestMs} ms`, expected: `no time over ${mut.gapMs(m)} ms without a completed poll`, seen: `${gaps.count} gap(s), ${gaps.totalMs} ms in all`, fix: 'see the link losses and latency above; a stalled edge node (CPU, memory) stops polls too' });
    log.add(name, problems.length ? failed({ ...problems[0]!, message: problems.map((p) => p.message).join('; '), figures, charts }) : passed({ message: `p50 ${s.p50_ms} / p95 ${s.p95_ms} / p99 ${s.p99_ms} / max ${s.max_ms} ms over ${s.count} polls`, figures, charts }), to - from);
  } finally {
    await driver.stop();
    rec.dispose();
  }
}

export const latencySuite: Suite = {
  name: 'latency',
  title: 'Latency and jitter per machine (p50 / p95 / p99 / max)',
  applies: () => true,
  run: (ctx) => perMachine(ctx, 'latency', (m, log, mut, o) => pollFor(ctx, m, log, mut, o, ctx.latencyMs, 'latency')),
};

export const soakSuite: Suite = {
  name: 'soak',
  title: 'Soak: every machine polled, reconnects and data gaps counted',
  applies: (ctx) => (ctx.soakMs > 0 ? true : 'no --soak duration given'),
  run: (ctx) => perMachine(ctx, 'soak', (m, log, mut, o) => pollFor(ctx, m, log, mut, o, ctx.soakMs, 'soak')),
};
