import type { AcceptanceReport, ReportSuite } from '@plant-twin/contracts';
import { buildReport } from './report/write.js';
import { hilSuites, runSuite, type SuiteContext } from './suites/index.js';
import type { Target } from './target.js';

export interface HilRunOptions {
  target: Target;
  /** suite names (default: all) */
  suites?: string[];
  /** machine ids (default: all) */
  machines?: string[];
  allowWrites?: boolean;
  latencyMs?: number;
  soakMs?: number;
  operator?: string;
  command?: string;
  progress?: (line: string) => void;
}

/** Runs the chosen suites against the target and returns the report (the caller writes and closes). */
export async function runHil(o: HilRunOptions): Promise<AcceptanceReport> {
  const names = o.suites ?? hilSuites.map((s) => s.name);
  const unknown = names.filter((n) => !hilSuites.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')} (suites: ${hilSuites.map((s) => s.name).join(', ')})`);
  const machines = o.machines ? o.target.plant.machines.filter((m) => o.machines!.includes(m.id)) : o.target.plant.machines;
  const missing = (o.machines ?? []).filter((id) => !machines.some((m) => m.id === id));
  if (missing.length) throw new Error(`no machine ${missing.join(', ')} in the plant model`);
  const ctx: SuiteContext = {
    target: o.target,
    machines,
    allowWrites: o.allowWrites ?? false,
    latencyMs: o.latencyMs ?? 30_000,
    soakMs: o.soakMs ?? 0,
    progress: o.progress ?? (() => undefined),
  };
  const startedAt = Date.now();
  const suites: ReportSuite[] = [];
  for (const s of hilSuites.filter((x) => names.includes(x.name))) suites.push(await runSuite(ctx, s));
  return buildReport({
    kind: 'hil',
    title: `Hardware-in-the-loop acceptance: ${o.target.plant.plant.name}`,
    target: o.target.simulated ? 'sim (simulated plant started by the HIL run)' : `site ${o.target.name}`,
    plantFile: o.target.plantFile,
    siteFile: o.target.siteFile,
    startedAt,
    suites,
    ...(o.operator ? { operator: o.operator } : {}),
    ...(o.command ? { command: o.command } : {}),
  });
}
