import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadPlant, machineById } from '@plant-twin/plant-model';
import { S7Connection } from '../connection.js';
import { S7Poller, type PollReport } from '../poller.js';
import { childSide, percentile, round } from './child.js';

/**
 * Benchmark child: the poller process alone. Polls each given server with the plant machine's tag
 * map (one S7Connection + S7Poller per machine, as a pod would) and reports poll durations, missed
 * ticks, CPU and RSS over the measuring window.
 */
const { arg, send } = childSide<{ ports: number[]; machines: string[]; fastMs: number; slowMs: number; changeMs: number; warmupMs: number; measureMs: number; pduSize: number; piggyback?: boolean }>();
const plant = loadPlant();
const pollers = arg.ports.map((port, i) => {
  const m = machineById(plant, arg.machines[i]!);
  const connection = new S7Connection({ host: '127.0.0.1', port, pduSize: arg.pduSize, label: `${m.id}#${i}`, connectTimeoutMs: 10_000, requestTimeoutMs: 5000 });
  return new S7Poller({ connection, tags: m.tags, fastMs: arg.fastMs, slowMs: arg.slowMs, changeMs: arg.changeMs, piggyback: arg.piggyback ?? true });
});
let values = 0;
const durations: number[] = [];
let measuring = false;
let overruns = 0;
let pdus = 0;
for (const p of pollers) {
  p.on('values', (v: unknown[]) => (values += measuring ? v.length : 0));
  p.on('poll', (r: PollReport) => {
    if (!measuring) return;
    durations.push(r.durationMs);
    pdus += r.pdus;
    if (r.overrun) overruns++;
  });
}
// connect in waves so that a thousand SYNs do not hit the listen backlogs at once
for (let i = 0; i < pollers.length; i += 50) {
  const wave = pollers.slice(i, i + 50);
  for (const p of wave) p.start();
  await Promise.all(wave.map((p) => p.connection.waitUp(20_000)));
}
send({ ready: true });
await new Promise((r) => setTimeout(r, arg.warmupMs));
const skipped0 = pollers.reduce((s, p) => s + p.stats.skipped, 0);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
measuring = true;
await new Promise((r) => setTimeout(r, arg.measureMs));
measuring = false;
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
loop.disable();
durations.sort((a, b) => a - b);
const skipped = pollers.reduce((s, p) => s + p.stats.skipped, 0) - skipped0;
const bad = pollers.reduce((s, p) => s + p.current().filter((v) => v.quality !== 'good').length, 0);
const reconnects = pollers.reduce((s, p) => s + p.connection.stats.reconnects, 0);
send({
  machines: pollers.length,
  polls: durations.length,
  pollsPerMachinePerS: round(durations.length / pollers.length / (wall / 1000), 2),
  expectedPerMachinePerS: round(1000 / arg.fastMs, 2),
  p50Ms: round(percentile(durations, 50)),
  p95Ms: round(percentile(durations, 95)),
  p99Ms: round(percentile(durations, 99)),
  maxMs: round(durations[durations.length - 1] ?? NaN),
  overruns,
  skippedTicks: skipped,
  pdusPerS: round(pdus / (wall / 1000), 0),
  valuesPerS: round(values / (wall / 1000), 0),
  cpuPct: round(((cpu.user + cpu.system) / 1000 / wall) * 100, 1),
  eventLoopP99Ms: round(loop.percentile(99) / 1e6),
  rssMb: round(process.memoryUsage().rss / 2 ** 20, 1),
  badValues: bad,
  reconnects,
});
process.exit(0);
