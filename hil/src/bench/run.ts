import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@plant-twin/plant-model';
import { podEntry, podMallocEnv, podNodeArgs } from '@plant-twin/supervisor';

/**
 * `npm run bench:edge|bench:publisher|bench -- [--json] [...]`: runs the packages' benchmark programs
 * one after another (never in parallel: they measure this machine) and prints their figures merged
 * into one JSON object. Arguments after the suite name go to every benchmark.
 */
const suites: Record<string, [script: string, args: string[], env?: Record<string, string>][]> = {
  edge: [
    ['edge/s7-driver/dist/bench/main.js', ['--json']],
    // pods measured with the node options the deployment gives them
    ['edge/machine-pod/dist/bench/rss.js', [], { BENCH_POD_ENTRY: podEntry, BENCH_POD_NODE_FLAGS: podNodeArgs.join(' '), ...podMallocEnv }],
    // the whole edge's memory in the site and the embedded configuration, the job manager's over 8 hours
    ['hil/dist/bench/edge-stack.js', ['--json']],
  ],
  publisher: [
    ['edge/publisher/dist/bench/publisher.js', ['--json']],
    ['cloud/dist/bench/run.js', ['--json']],
  ],
};
const [suite = 'all', ...rest] = process.argv.slice(2);
const pretty = !rest.includes('--json');
const passOn = rest.filter((a) => a !== '--json');
const chosen = suite === 'all' ? Object.values(suites).flat() : suites[suite];
if (!chosen) {
  console.error(`unknown suite ${suite} (edge, publisher, all)`);
  process.exit(2);
}
const merged: Record<string, unknown> = {};
let failed = false;
for (const [script, args, env] of chosen) {
  const r = spawnSync(process.execPath, [join(repoRoot, script), ...args, ...passOn], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  // each benchmark prints its figures as the last JSON object on stdout
  const text = r.stdout.trim();
  const start = text.lastIndexOf('\n{');
  try {
    Object.assign(merged, JSON.parse(start >= 0 ? text.slice(start + 1) : text));
  } catch {
    console.error(`${script} printed no JSON figures (exit ${r.status})`);
    failed = true;
  }
  if (r.status !== 0) failed = true;
}
console.log(JSON.stringify(merged, null, pretty ? 2 : 0));
process.exit(failed ? 1 : 0);
