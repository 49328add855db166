import { execFileSync } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import { acceptanceReportSchema, acceptanceReportSchemaId, type AcceptanceReport, type ReportSuite } from '@plant-twin/contracts';
import { repoRoot } from '@plant-twin/plant-model';
import { hilSuites, runSuite, type SuiteContext } from './suites/index.js';
import { sha256File, type Target } from './target.js';

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

/** The software under test: this package's version and the git commit, when the tree is a checkout. */
export function softwareVersion(): { name: string; version: string; commit?: string } {
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
  let commit = process.env.PLANT_TWIN_COMMIT;
  if (!commit) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (dirty) commit += '+changes';
    } catch {
      commit = undefined;
    }
  }
  return { name: 'plant-twin', version, ...(commit ? { commit } : {}) };
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
    latencyMs: o.latencyMs ?? 10_000,
    soakMs: o.soakMs ?? 0,
    progress: o.progress ?? (() => undefined),
  };
  const startedAt = Date.now();
  const suites: ReportSuite[] = [];
  for (const s of hilSuites.filter((x) => names.includes(x.name))) suites.push(await runSuite(ctx, s));
  return acceptanceReportSchema.parse({
    schema: acceptanceReportSchemaId,
    kind: 'hil',
    title: `Hardware-in-the-loop acceptance: ${o.target.plant.plant.name}`,
    trace: {
      plantFile: o.target.plantFile,
      plantSha256: sha256File(o.target.plantFile),
      siteFile: o.target.siteFile,
      siteSha256: sha256File(o.target.siteFile),
      software: softwareVersion(),
      target: o.target.simulated ? 'sim (simulated plant started by the HIL run)' : `site ${o.target.name}`,
      operator: o.operator ?? process.env.HIL_OPERATOR ?? userInfo().username,
      host: hostname(),
      startedAt,
      finishedAt: Date.now(),
      ...(o.command ? { command: o.command } : {}),
    },
    suites,
  });
}
