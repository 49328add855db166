import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrlibValues } from '../formats/orlib-wt.js';
import { parseReference, type ReferenceRow } from '../formats/vallada-ruiz.js';
import { mean, round, rpd, shareAtReference } from './rpd.js';
import type { Task } from './tasks.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');

interface Args {
  json: boolean;
  quick: boolean;
  dataDir: string;
  plantFile: string;
  vrDir: string | null;
  vrReference: string | null;
  budgetS: number | null;
  workers: number;
  /** large Vallada-Ruiz instances with replicate <= this (3: all 36; 1: one of each of the 12 classes) */
  replicates: number;
  /** reduced runs for a loaded machine: instances for the 60 s budget, weighted tardiness instances per set, plant seeds */
  longSample: number | null;
  wtSample: number | null;
  plantSeeds: number;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    json: false,
    quick: false,
    dataDir: resolve(repo, '../shared/benchmarks/scheduling'),
    plantFile: resolve(repo, 'plant/plant.yaml'),
    vrDir: null,
    vrReference: null,
    budgetS: null,
    workers: Math.max(1, Math.min(2, cpus().length)),
    replicates: 3,
    longSample: null,
    wtSample: null,
    plantSeeds: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--json') a.json = true;
    else if (arg === '--quick') a.quick = true;
    else if (arg === '--data-dir') a.dataDir = resolve(value());
    else if (arg === '--plant') a.plantFile = resolve(value());
    else if (arg === '--vr-dir') a.vrDir = resolve(value());
    else if (arg === '--vr-reference') a.vrReference = resolve(value());
    else if (arg === '--budget-s') {
      a.budgetS = Number(value());
      if (!(a.budgetS > 0)) throw new Error('--budget-s must be a positive number of seconds');
    } else if (arg === '--workers') a.workers = Math.max(1, Number(value()) | 0);
    else if (arg === '--replicates') a.replicates = Math.max(1, Math.min(3, Number(value()) | 0));
    else if (arg === '--long-sample') a.longSample = Math.max(1, Number(value()) | 0);
    else if (arg === '--wt-sample') a.wtSample = Math.max(1, Number(value()) | 0);
    else if (arg === '--plant-seeds') a.plantSeeds = Math.max(1, Number(value()) | 0);
    else throw new Error(`unknown argument ${arg} (--json --quick --data-dir --plant --vr-dir --vr-reference --budget-s --workers --replicates --long-sample --wt-sample --plant-seeds)`);
  }
  if ((a.vrDir === null) !== (a.vrReference === null)) throw new Error('--vr-dir and --vr-reference go together');
  return a;
}

/** Runs tasks on `workers` child processes, one task per process at a time. */
async function runPool<R>(tasks: readonly Task[], workers: number, progress: (done: number, total: number) => void): Promise<R[]> {
  const results: R[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const worker = join(here, 'worker.js');
  const one = () =>
    new Promise<void>((resolveRun, reject) => {
      const child: ChildProcess = fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let current = -1;
      const send = () => {
        if (next >= tasks.length) {
          child.kill();
          return resolveRun();
        }
        current = next++;
        child.send({ id: current, task: tasks[current] });
      };
      child.on('message', (msg: { ready?: boolean; id?: number; result?: R; error?: string }) => {
        if (msg.ready) return send();
        if (msg.error) {
          child.kill();
          return reject(new Error(`task ${JSON.stringify(tasks[msg.id!])}: ${msg.error}`));
        }
        results[msg.id!] = msg.result!;
        progress(++done, tasks.length);
        send();
      });
      child.on('exit', (code) => {
        if (next <= tasks.length && current >= 0 && results[current] === undefined && code !== null && code !== 0) reject(new Error(`worker exited ${code}`));
      });
    });
  await Promise.all(Array.from({ length: Math.min(workers, tasks.length) }, one));
  return results;
}

/** the large instance alone in a fresh process, so its peak memory is its own */
async function runAlone<R>(task: Task): Promise<R> {
  return (await runPool<R>([task], 1, () => {}))[0]!;
}

/** `count` items spread evenly over the list (every class of a sorted instance list gets its share) */
export function spread<T>(items: readonly T[], count: number | null): T[] {
  if (count === null || count >= items.length) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

function vrFiles(dir: string, limit?: number): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  return (limit ? files.slice(0, limit) : files).map((f) => join(dir, f));
}

const targets = {
  vr_large_rpd_10s: { max: 3 },
  vr_large_rpd_60s: { max: 1.5 },
  vr_small_optimal_1s: { min: 0.99 },
  wt40_optimal_1s: { min: 0.95 },
  wt100_rpd_1s: { max: 0.5 },
  tardiness_vs_edd: { max: 0.8 },
  ms_first_feasible: { max: 2000 },
  ms_replan_after_fault: { max: 2000 },
  large_ms_first_feasible: { max: 5000 },
  large_rss_mb: { max: 1024 },
} as const;

type VrRow = { name: string; makespan: number; initial: number; iterations: number };

function vrSummary(rows: readonly VrRow[], ref: Map<string, ReferenceRow>) {
  const known = rows.filter((r) => ref.has(r.name));
  return {
    instances: known.length,
    rpd: round(mean(known.map((r) => rpd(r.makespan, ref.get(r.name)!.bestKnown)))),
    rpdConstructive: round(mean(known.map((r) => rpd(r.initial, ref.get(r.name)!.bestKnown)))),
    atBestKnown: round(shareAtReference(known.map((r) => ({ value: r.makespan, reference: ref.get(r.name)!.bestKnown })))),
    meanIterations: round(mean(known.map((r) => r.iterations)), 0),
    perInstance: Object.fromEntries(known.map((r) => [r.name, { makespan: r.makespan, bestKnown: ref.get(r.name)!.bestKnown, rpd: round(rpd(r.makespan, ref.get(r.name)!.bestKnown), 2) }])),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const load0 = loadavg();
  const log = (s: string) => process.stderr.write(`[bench:scheduler] ${s}\n`);
  const progress = (what: string) => (d: number, n: number) => {
    if (d === n || d % 10 === 0) log(`${what}: ${d}/${n}`);
  };
  const seed = 1;
  if (args.vrDir) {
    const ref = parseReference(readFileSync(args.vrReference!, 'utf8'));
    const budgetMs = (args.budgetS ?? 10) * 1000;
    const rows = await runPool<VrRow>(vrFiles(args.vrDir).map((file) => ({ kind: 'vr', file, budgetMs, seed })), args.workers, progress('vr'));
    const s = vrSummary(rows, ref);
    const out = { benchmark: 'scheduler', mode: 'vr-custom', dir: args.vrDir, budgetS: budgetMs / 1000, clock: 'process CPU time', figures: { vr_custom_rpd: s.rpd, vr_custom_at_best_known: s.atBestKnown }, baselines: { constructive_rpd: s.rpdConstructive }, details: s, wallS: round((performance.now() - t0) / 1000, 1), loadavg: { start: load0, end: loadavg() } };
    process.stdout.write(args.json ? `${JSON.stringify(out, null, 2)}\n` : `${JSON.stringify(out.figures)}\n`);
    return;
  }

  const q = args.quick;
  const dir = args.dataDir;
  if (!existsSync(dir)) throw new Error(`no benchmark data at ${dir} (--data-dir)`);
  const ref = parseReference(readFileSync(join(dir, 'vallada-ruiz/reference.csv'), 'utf8'));
  const large = vrFiles(join(dir, 'vallada-ruiz/large'), q ? 3 : undefined).filter((f) => Number(/_(\d+)\.txt$/.exec(f)?.[1] ?? 1) <= args.replicates);
  const small = vrFiles(join(dir, 'vallada-ruiz/small'), q ? 8 : undefined);
  const longRuns = spread(large, args.longSample);
  const wtIndexes = spread([...Array(125).keys()], q ? 10 : args.wtSample);
  const wtBudget = q ? 300 : 1000;
  const plantSizes = [50, 150, 300];
  const plantSeeds = q ? [1] : Array.from({ length: args.plantSeeds }, (_, i) => i + 1);
  const plantBudget = q ? 2000 : 10_000;

  const tasks: Task[] = [
    ...longRuns.map((file): Task => ({ kind: 'vr', file, budgetMs: q ? 2000 : 60_000, seed })),
    ...large.map((file): Task => ({ kind: 'vr', file, budgetMs: q ? 500 : 10_000, seed })),
    ...small.map((file): Task => ({ kind: 'vr', file, budgetMs: q ? 300 : 1000, seed })),
    ...wtIndexes.map((index): Task => ({ kind: 'wt', file: join(dir, 'orlib-wt/wt40.txt'), n: 40, index, budgetMs: wtBudget, seed })),
    ...wtIndexes.map((index): Task => ({ kind: 'wt', file: join(dir, 'orlib-wt/wt100.txt'), n: 100, index, budgetMs: wtBudget, seed })),
    ...plantSizes.flatMap((jobs) => plantSeeds.map((s): Task => ({ kind: 'plant', plantFile: args.plantFile, jobs, seed: s, budgetMs: plantBudget, replanBudgetMs: 1000, highsTimeLimitS: q ? 2 : 10 }))),
    ...large.map((file): Task => ({ kind: 'vr-highs', file, timeLimitS: q ? 1 : 5 })),
  ];
  log(`${tasks.length} tasks on ${args.workers} worker processes${q ? ' (quick)' : ''}`);
  const results = await runPool<any>(tasks, args.workers, progress('tasks'));
  log('large instance (50 machines x 2,000 jobs) in a fresh process');
  const big = await runAlone<any>({ kind: 'large', plantFile: args.plantFile, jobs: 2000, machines: 50, seed });

  const vr = results.filter((r) => r.kind === 'vr');
  const vrLong = vr.filter((r) => r.budgetMs === (q ? 2000 : 60_000) && longRuns.some((f) => f.endsWith(`${r.name}.txt`)));
  const vrShort = vr.filter((r) => r.budgetMs === (q ? 500 : 10_000) && large.some((f) => f.endsWith(`${r.name}.txt`)));
  const vrSmall = vr.filter((r) => small.some((f) => f.endsWith(`${r.name}.txt`)));
  const long = vrSummary(vrLong, ref);
  const short = vrSummary(vrShort, ref);
  const sm = vrSummary(vrSmall, ref);
  const refText = readFileSync(join(dir, 'vallada-ruiz/reference.csv'), 'utf8').split('\n');
  /** the published one-hour stochastic local search on a set of instances, % above the best known */
  const slsRpd = (files: readonly string[]) =>
    mean(
      files.flatMap((f) => {
        const name = f.split('/').pop()!.replace('.txt', '');
        const v = Number(refText.find((l) => l.startsWith(`${name},`))?.split(',')[3]);
        const best = ref.get(name)?.bestKnown;
        return Number.isFinite(v) && v > 0 && best ? [rpd(v, best)] : [];
      }),
    );

  const wt = (n: number, file: string) => {
    const best = parseOrlibValues(readFileSync(join(dir, 'orlib-wt', file), 'utf8'));
    const rows = results.filter((r) => r.kind === 'wt' && r.n === n).map((r) => ({ value: r.value, initial: r.initial, reference: best[r.index]! }));
    return {
      instances: rows.length,
      atReference: round(shareAtReference(rows)),
      rpd: round(mean(rows.map((r) => rpd(r.value, r.reference)))),
      rpdConstructive: round(mean(rows.map((r) => rpd(r.initial, r.reference)))),
    };
  };
  const wt40 = wt(40, 'wtopt40.txt');
  const wt100 = wt(100, 'wtbest100b.txt');

  const plant = results.filter((r) => r.kind === 'plant');
  const sum = (rows: any[], f: (r: any) => number) => rows.reduce((a, r) => a + f(r), 0);
  const bySize = Object.fromEntries(
    plantSizes.map((n) => {
      const rows = plant.filter((r) => r.jobs === n);
      return [
        `jobs_${n}`,
        {
          tardiness_vs_edd: round(sum(rows, (r) => r.optimiser.weightedTardiness) / sum(rows, (r) => r.edd.weightedTardiness)),
          tardiness_vs_atcs: round(sum(rows, (r) => r.optimiser.weightedTardiness) / sum(rows, (r) => r.atcs.weightedTardiness)),
          tardiness_vs_priority_rule: round(sum(rows, (r) => r.optimiser.weightedTardiness) / sum(rows, (r) => r.priority.weightedTardiness)),
          setup_vs_edd: round(sum(rows, (r) => r.optimiser.setupMin) / sum(rows, (r) => r.edd.setupMin)),
          gap_to_lower_bound: round(mean(rows.map((r) => (r.optimiser.total - r.bound) / r.optimiser.total))),
          score: { optimiser: round(mean(rows.map((r) => r.optimiser.total)), 0), edd: round(mean(rows.map((r) => r.edd.total)), 0), atcs: round(mean(rows.map((r) => r.atcs.total)), 0), priority_rule: round(mean(rows.map((r) => r.priority.total)), 0) },
          lower_bound: { best: round(mean(rows.map((r) => r.bound)), 0), combinatorial: round(mean(rows.map((r) => r.boundCombinatorial)), 0), highs_mip: round(mean(rows.map((r) => r.boundHighs)), 0), highs_ms: round(mean(rows.map((r) => r.highsMs)), 0), highs_status: rows.map((r) => r.highsStatus) },
          ms_first_feasible_max: round(Math.max(...rows.map((r) => r.msFirstFeasible)), 0),
          ms_replan_first_feasible_max: round(Math.max(...rows.map((r) => r.replan.msFirstFeasible)), 0),
          iterations: round(mean(rows.map((r) => r.iterations)), 0),
        },
      ];
    }),
  );
  const highsVr = results.filter((r) => r.kind === 'vr-highs');
  const figures = {
    vr_large_rpd_10s: short.rpd,
    vr_large_rpd_60s: long.rpd,
    vr_small_optimal_1s: sm.atBestKnown,
    wt40_optimal_1s: wt40.atReference,
    wt100_rpd_1s: wt100.rpd,
    tardiness_vs_edd: round(sum(plant, (r) => r.optimiser.weightedTardiness) / sum(plant, (r) => r.edd.weightedTardiness)),
    tardiness_vs_atcs: round(sum(plant, (r) => r.optimiser.weightedTardiness) / sum(plant, (r) => r.atcs.weightedTardiness)),
    setup_vs_edd: round(sum(plant, (r) => r.optimiser.setupMin) / sum(plant, (r) => r.edd.setupMin)),
    gap_to_lower_bound: round(mean(plant.map((r) => (r.optimiser.total - r.bound) / r.optimiser.total))),
    ms_first_feasible: round(Math.max(...plant.map((r) => r.msFirstFeasible)), 0),
    ms_replan_after_fault: round(Math.max(...plant.map((r) => r.replan.msFirstFeasible)), 0),
    large_ms_first_feasible: round(big.msFirstFeasible, 0),
    large_rss_mb: round(big.rssMb, 0),
  };
  const met = Object.fromEntries(
    Object.entries(targets).map(([k, t]) => {
      const v = figures[k as keyof typeof figures];
      return [k, 'max' in t ? v <= t.max : v >= t.min];
    }),
  );
  const out = {
    benchmark: 'scheduler',
    quick: q,
    instances: { vr_large_10s: large.length, vr_large_60s: longRuns.length, vr_small: small.length, wt_per_set: wtIndexes.length, plant: plantSizes.length * plantSeeds.length },
    budgets: {
      clock: 'process CPU time (user + system) of the worker process: a budget buys the same work on a shared machine',
      vr_large_s: q ? [0.5, 2] : [10, 60],
      vr_small_s: q ? 0.3 : 1,
      wt_s: wtBudget / 1000,
      plant_s: plantBudget / 1000,
      replan_s: 1,
      first_feasible_and_replan_clock: 'wall',
    },
    figures,
    targets,
    met,
    checks: {
      plant_plans_infeasible: plant.filter((r) => r.violations > 0).length,
      plant_first_violation: plant.find((r) => r.firstViolation)?.firstViolation ?? null,
      replan_frozen_or_feasibility_violations: sum(plant, (r) => r.replan.violations),
      replan_first_violation: plant.find((r) => r.replan.firstViolation)?.replan.firstViolation ?? null,
      large_plan_violations: big.violations,
    },
    baselines: {
      vr_large_rpd_constructive_10s_run: short.rpdConstructive,
      vr_large_rpd_sls_1h_published_10s_set: round(slsRpd(large)),
      vr_large_rpd_sls_1h_published_60s_set: round(slsRpd(longRuns)),
      vr_large_rpd_fix_and_optimize_1h_published: 0.7,
      wt40_rpd_constructive: wt40.rpdConstructive,
      wt100_rpd_constructive: wt100.rpdConstructive,
      plant_weighted_tardiness: {
        edd: round(sum(plant, (r) => r.edd.weightedTardiness), 0),
        atcs_best_of_6: round(sum(plant, (r) => r.atcs.weightedTardiness), 0),
        priority_then_due_date: round(sum(plant, (r) => r.priority.weightedTardiness), 0),
        optimiser: round(sum(plant, (r) => r.optimiser.weightedTardiness), 0),
      },
      plant_setup_min: { edd: round(sum(plant, (r) => r.edd.setupMin), 0), optimiser: round(sum(plant, (r) => r.optimiser.setupMin), 0) },
    },
    details: {
      vr_large_10s: { ...short, perInstance: undefined },
      vr_large_60s: long,
      vr_small_1s: { ...sm, perInstance: undefined, missed: Object.entries(sm.perInstance).filter(([, v]) => v.rpd > 0).map(([k, v]) => `${k}: ${v.makespan} vs ${v.bestKnown}`) },
      wt40,
      wt100,
      plant: bySize,
      large: big,
      highs: {
        vr_large_lower_bound: {
          note: 'assignment MIP relaxation (class entries, one first job per machine) solved by HiGHS with a time limit; compared with the published one-hour exact-decomposition bound and the solver-free bound',
          mean_gap_to_best_known_pct: round(mean(highsVr.map((r) => ((ref.get(r.name)!.bestKnown - r.bound) / ref.get(r.name)!.bestKnown) * 100))),
          mean_gap_published_bound_pct: round(mean(highsVr.map((r) => ((ref.get(r.name)!.bestKnown - (ref.get(r.name)!.lowerBound ?? 0)) / ref.get(r.name)!.bestKnown) * 100))),
          mean_gap_combinatorial_pct: round(mean(highsVr.map((r) => ((ref.get(r.name)!.bestKnown - r.combinatorial) / ref.get(r.name)!.bestKnown) * 100))),
          closed: highsVr.filter((r) => r.status === 'optimal').length,
          instances: highsVr.length,
          mean_ms: round(mean(highsVr.map((r) => r.ms)), 0),
        },
      },
    },
    machine: { cores: cpus().length, workers: args.workers, loadavg_start: load0.map((x) => round(x, 2)), loadavg_end: loadavg().map((x) => round(x, 2)) },
    wallS: round((performance.now() - t0) / 1000, 1),
  };
  if (args.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else {
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(26)} ${String(v).padStart(10)}  ${k in met ? (met[k] ? 'target met' : 'target missed') : ''}\n`);
    process.stdout.write(`wall ${out.wallS} s\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`bench:scheduler: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
