import type { ReportCase, ReportSuite } from '@plant-twin/contracts';
import type { Machine } from '@plant-twin/plant-model';
import { CaseLog } from '../cases.js';
import { machineUnderTest, type MachineOptions, type MachineUnderTest } from '../machines/index.js';
import type { Target } from '../target.js';

export interface SuiteContext {
  target: Target;
  /** the machines to test (all, or --machines) */
  machines: Machine[];
  allowWrites: boolean;
  /** how long the latency suite polls each machine */
  latencyMs: number;
  /** how long the soak runs (0: no soak) */
  soakMs: number;
  /** a line of progress for the person watching */
  progress(line: string): void;
}

export interface Suite {
  name: string;
  title: string;
  /** false: not run against this target, with the reason */
  applies(ctx: SuiteContext): true | string;
  run(ctx: SuiteContext): Promise<ReportCase[]>;
}

export function machineOptions(ctx: SuiteContext, m: Machine): MachineOptions {
  const site = ctx.target.hil.machines[m.id];
  return { simulated: ctx.target.simulated, allowWrites: ctx.allowWrites || ctx.target.simulated, env: ctx.target.env, ...(site ? { site } : {}) };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs `fn` for every machine at once, each into its own case log, with a progress line per machine. */
export async function perMachine(ctx: SuiteContext, suite: string, fn: (m: Machine, log: CaseLog, mut: MachineUnderTest, o: MachineOptions) => Promise<void>): Promise<ReportCase[]> {
  const logs = await Promise.all(
    ctx.machines.map(async (m) => {
      const log = new CaseLog(m.id);
      const t0 = Date.now();
      try {
        await fn(m, log, machineUnderTest(m), machineOptions(ctx, m));
      } catch (e) {
        log.add(`${suite} aborted`, { status: 'failed', message: (e as Error).message });
      }
      const n = (s: string) => log.cases.filter((c) => c.status === s).length;
      const firstFailure = log.cases.find((c) => c.status === 'failed');
      ctx.progress(`  ${suite.padEnd(12)} ${m.id.padEnd(7)} ${n('passed')} passed, ${n('failed')} failed${n('skipped') ? `, ${n('skipped')} skipped` : ''} (${secs(Date.now() - t0)})${firstFailure ? `  first failure: ${firstFailure.name}: ${firstFailure.message ?? ''}`.slice(0, 200) : ''}`);
      return log.cases;
    }),
  );
  return logs.flat();
}

export async function runSuite(ctx: SuiteContext, s: Suite): Promise<ReportSuite> {
  const startedAt = Date.now();
  const applies = s.applies(ctx);
  ctx.progress(`${s.title}${applies === true ? '' : ` - skipped: ${applies}`}`);
  const cases = applies === true ? await s.run(ctx) : [new CaseLog('plant').add(s.title, { status: 'skipped', message: applies })];
  return { name: s.name, title: s.title, startedAt, durationMs: Date.now() - startedAt, cases };
}
