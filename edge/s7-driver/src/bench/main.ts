import { readFileSync } from 'node:fs';
import { loadPlant, type Machine, type PollClass } from '@plant-twin/plant-model';
import { S7Connection } from '../connection.js';
import { planReads } from '../planner.js';
import { S7Poller } from '../poller.js';
import { ChaosProxy } from '../testing/chaos-proxy.js';
import { percentile, round, startChild } from './child.js';

/**
 * S7 driver benchmark: `node edge/s7-driver/dist/bench/main.js [--json] [--quick] [--no-ramp]`.
 * Prints one JSON object (with --json only that) with the planner's PDUs per poll for the plant's
 * S7 tag maps, the lower bound, the naive one-read-per-tag count and nodes7's count (both measured
 * by polling node-snap7 servers and counting requests), the poll-class decision, the RSS of a
 * poller process, and the largest number of simulated machines one poller process keeps at 100 ms.
 */
const json = process.argv.includes('--json');
const { cpus, loadavg } = await import('node:os');
const loadBefore = loadavg()[0]!;
const quick = process.argv.includes('--quick');
const say = (...a: unknown[]) => {
  if (!json) console.error(...a);
};

const plant = loadPlant();
const s7 = plant.machines.filter((m): m is Machine & { interface: { type: 's7' } } => m.interface.type === 's7');
const ids = s7.map((m) => m.id);
const here = (f: string) => new URL(f, import.meta.url);
const FAST = 100;
const SLOW = 1000;
const CHANGE = 500;

// 1. the planner on the plant maps (the simulator negotiates 960; a real S7-1200 gives 240)
const planner: Record<string, unknown> = {};
for (const pduSize of [960, 480, 240]) {
  const per = s7.map((m) => {
    const p = planReads(m.tags, { pduSize });
    return { machine: m.id, tags: m.tags.length, pdus: p.requests.length, lowerBound: p.lowerBound, lowerBoundTight: p.lowerBoundTight, items: p.requests.reduce((s, r) => s + r.items.length, 0), tagBytes: p.tagBytes, readBytes: p.readBytes };
  });
  const pdus = per.reduce((s, x) => s + x.pdus, 0);
  const bound = per.reduce((s, x) => s + x.lowerBound, 0);
  const tight = per.reduce((s, x) => s + x.lowerBoundTight, 0);
  planner[`pdu${pduSize}`] = { pdus_per_poll: pdus, pdu_lower_bound: bound, pdu_lower_bound_tight: tight, ratio_to_bound: round(pdus / bound, 3), ratio_to_tight_bound: round(pdus / tight, 3), machines: per };
}
say('planner', JSON.stringify(planner.pdu960));

// 2. measured: planned vs naive (one read per tag) vs nodes7, against node-snap7 servers in a child
// process; at 960 (what an S7-1500 and the simulator negotiate) and at 240 imposed by the server (S7-1200)
const POLLS = quick ? 10 : 40;
interface Measured { planned: number; naive: number; nodes7: number | null; plannedMs: number[]; naiveMs: number[]; nodes7Error?: string }
async function measureAt(pduSize: number): Promise<Record<string, Measured>> {
  const servers = startChild<{ ports: number[]; machines: string[] }>(here('./servers.js'), { machines: ids, count: ids.length, pduSize });
  const { ports } = await servers.ready;
  const out: Record<string, Measured> = {};
  try {
    for (const [i, m] of s7.entries()) {
      const conn = new S7Connection({ host: '127.0.0.1', port: ports[i]!, pduSize: 960, label: m.id }).start();
      await conn.waitUp();
      const plan = planReads(m.tags, { pduSize: conn.pduSize });
      const r0 = conn.stats.requests;
      const plannedMs: number[] = [];
      for (let k = 0; k < POLLS; k++) {
        const t = performance.now();
        await Promise.all(plan.requests.map((r) => conn.readItems(r.items)));
        plannedMs.push(performance.now() - t);
      }
      const planned = (conn.stats.requests - r0) / POLLS;
      // naive: what flow-based tools do, one read request per tag, one after the other
      const r1 = conn.stats.requests;
      const naiveMs: number[] = [];
      for (let k = 0; k < POLLS; k++) {
        const t = performance.now();
        for (const slot of plan.slots.values()) await conn.readItems([{ db: slot.address.db, start: slot.address.offset, length: slot.address.size }]);
        naiveMs.push(performance.now() - t);
      }
      const naive = (conn.stats.requests - r1) / POLLS;
      await conn.close();
      // nodes7 through a frame-counting proxy
      const proxy = await new ChaosProxy({ host: '127.0.0.1', port: ports[i]! }).listen();
      const probe = startChild<unknown, { ok: boolean; polls?: number; error?: string }>(here('./nodes7-probe.js'), { port: proxy.port, addresses: m.tags.map((t) => t.address), polls: POLLS });
      let nodes7: number | null = null;
      let nodes7Error: string | undefined;
      try {
        const r = await probe.result;
        if (r?.ok) nodes7 = (proxy.requestFrames - 2) / r.polls!; // minus COTP CR and S7 setup
        else nodes7Error = r?.error ?? 'no result';
      } catch (e) {
        nodes7Error = (e as Error).message;
      }
      await proxy.close();
      plannedMs.sort((a, b) => a - b);
      naiveMs.sort((a, b) => a - b);
      out[m.id] = { planned, naive, nodes7, plannedMs, naiveMs, nodes7Error };
      say(pduSize, m.id, { planned, naive, nodes7, nodes7Error });
    }
  } finally {
    await servers.stop();
  }
  return out;
}
const measured = await measureAt(960);
const measured240 = await measureAt(240);
const sumOf = (ms: Record<string, Measured>, f: (x: Measured) => number) => Object.values(ms).reduce((s, x) => s + f(x), 0);
const sum = (f: (x: Measured) => number) => sumOf(measured, f);
const measuredPdus = sum((x) => x.planned);
const naivePdus = sum((x) => x.naive);
const nodes7Pdus = Object.values(measured).every((x) => x.nodes7 !== null) ? sum((x) => x.nodes7!) : null;
const allPlanned = Object.values(measured).flatMap((x) => x.plannedMs).sort((a, b) => a - b);
const allNaive = Object.values(measured).flatMap((x) => x.naiveMs).sort((a, b) => a - b);
const byMachine = (ms: Record<string, Measured>) => Object.fromEntries(Object.entries(ms).map(([id, x]) => [id, { planned: x.planned, naive: x.naive, nodes7: x.nodes7, ...(x.nodes7Error ? { nodes7_error: x.nodes7Error } : {}) }]));

// 2b. a sparse map (DESIGN.md's case: 25 REALs 12 bytes apart): nodes7 merges gaps of up to 5 bytes
// only, so it sends 25 items in one request, which snap7 refuses (> 20) and whose error reply nodes7
// misparses; the planner merges the gaps into one range and reads it in one PDU
const sparseTags = Array.from({ length: 25 }, (_, i) => ({ name: `v${i}`, address: `DB200,REAL${i * 12}` }));
const sparsePlan = planReads(sparseTags, { pduSize: 960 });
const sparse: Record<string, unknown> = { tags: sparseTags.length, planned_pdus: sparsePlan.requests.length, planned_items: sparsePlan.requests.map((r) => r.items.length) };
{
  const servers = startChild<{ ports: number[] }>(here('./servers.js'), { machines: [ids[0]], count: 1, extraDb: { db: 200, size: 512 } });
  const { ports } = await servers.ready;
  const conn = new S7Connection({ host: '127.0.0.1', port: ports[0]! }).start();
  await conn.waitUp();
  const results = await Promise.all(sparsePlan.requests.map((r) => conn.readItems(r.items)));
  sparse.planned_ok = results.flat().every((r) => r instanceof Buffer);
  await conn.close();
  const probe = startChild<unknown, { ok: boolean; polls?: number; badPolls?: number; error?: string }>(here('./nodes7-probe.js'), { port: ports[0]!, addresses: sparseTags.map((t) => t.address), polls: 3 });
  const exit = new Promise<number | null>((resolve) => probe.proc.on('exit', (code) => resolve(code)));
  const r = await probe.result.catch((e: Error) => ({ ok: false, error: e.message }));
  sparse.nodes7 = { ...r, exitCode: await exit };
  await servers.stop();
  say('sparse', sparse);
}

// 3. poll classes: PDUs per second with not-due classes planned in when free ("piggyback") vs each class on its own
function pdusPerSecond(m: Machine, pduSize: number, piggyback: boolean): number {
  const p = new S7Poller({ connection: new S7Connection({ host: '127.0.0.1', port: 1, pduSize }), tags: m.tags, fastMs: FAST, slowMs: SLOW, changeMs: CHANGE, piggyback });
  let total = 0;
  for (let t = 0; t < 1000; t += FAST) {
    const due: PollClass[] = ['fast'];
    if (t % CHANGE === 0) due.push('change');
    if (t % SLOW === 0) due.push('slow');
    const present = due.filter((c) => m.tags.some((x) => (x.poll ?? 'slow') === c));
    total += p.planFor(present).requests.length;
  }
  return total;
}
const pollClasses: Record<string, unknown> = {};
for (const pduSize of [960, 240]) {
  const pig = s7.reduce((s, m) => s + pdusPerSecond(m, pduSize, true), 0);
  const sep = s7.reduce((s, m) => s + pdusPerSecond(m, pduSize, false), 0);
  const everything = s7.reduce((s, m) => s + planReads(m.tags, { pduSize }).requests.length * (1000 / FAST), 0);
  pollClasses[`pdu${pduSize}`] = { piggyback_pdus_per_s: pig, separate_pdus_per_s: sep, all_at_fast_rate_pdus_per_s: everything };
}

/** utime + stime of a process in clock ticks (10 ms) */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

// 4. RSS of a poller process polling one machine
async function pollLoad(n: number, measureMs: number): Promise<Record<string, number>> {
  const per = Math.ceil(n / 2);
  const kids = [startChild<{ ports: number[]; machines: string[] }>(here('./servers.js'), { machines: ids, count: per }), startChild<{ ports: number[]; machines: string[] }>(here('./servers.js'), { machines: ids, count: n - per })];
  try {
    const parts = await Promise.all(kids.map((k) => k.ready));
    const portsN = parts.flatMap((p) => p.ports);
    const machines = parts.flatMap((p) => p.machines);
    const warmupMs = 2000;
    const load = startChild<{ ready: boolean }, Record<string, number>>(here('./poll-load.js'), { ports: portsN, machines, fastMs: FAST, slowMs: SLOW, changeMs: CHANGE, warmupMs, measureMs, pduSize: 960 });
    await load.ready;
    await new Promise((r) => setTimeout(r, warmupMs));
    const cpu0 = kids.map((k) => cpuTicks(k.proc.pid!));
    const t0 = performance.now();
    const r = await load.result;
    const wall = performance.now() - t0;
    // the simulated PLCs share this machine's cores with the poller: say how much they took
    const serverCpu = kids.reduce((s, k, i) => s + cpuTicks(k.proc.pid!) - cpu0[i]!, 0);
    return { ...r, serversCpuPct: round((serverCpu * 10 * 100) / wall, 1) };
  } finally {
    await Promise.all(kids.map((k) => k.stop()));
  }
}
const one = await pollLoad(1, 3000);
say('one machine', one);

// 5. ramp: the largest N where one poller process keeps p95 poll time <= 100 ms at 10 polls/s each
const steps = process.argv.includes('--no-ramp') ? [] : quick ? [50, 200, 500] : [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500];
const ramp: Record<string, number>[] = [];
let maxMachines = 0;
const attempt = async (n: number) => {
  let r: Record<string, number>;
  try {
    r = await pollLoad(n, quick ? 3000 : 5000);
  } catch (e) {
    // the simulated PLCs share the machine's two cores with the poller: under overload a node-snap7
    // server process can crash (seen at 1000 machines), which ends the step as a failure
    ramp.push({ n, pass: 0, simulated_plcs_crashed: 1 });
    say('ramp', n, 'FAIL (simulated PLCs crashed)', (e as Error).message);
    return false;
  }
  const pass = r.p95Ms! <= FAST && r.pollsPerMachinePerS! >= 0.9 * r.expectedPerMachinePerS! && r.badValues === 0;
  ramp.push({ n, pass: pass ? 1 : 0, ...r });
  say('ramp', n, pass ? 'pass' : 'FAIL', r);
  if (pass) maxMachines = Math.max(maxMachines, n);
  return pass;
};
let failedAt: number | undefined;
for (const n of steps) {
  // one retry: this machine may be shared, and one noisy window should not end the ramp
  if (!(await attempt(n)) && !(await attempt(n))) {
    failedAt = n;
    break;
  }
}
// narrow down between the last pass and the first failure (steps of 25)
if (failedAt !== undefined && !quick) {
  let lo = maxMachines;
  let hi = failedAt;
  while (hi - lo > 25) {
    const mid = lo + Math.round((hi - lo) / 50) * 25 || lo + 25;
    if ((await attempt(mid)) || (await attempt(mid))) lo = mid;
    else hi = mid;
  }
}

const result = {
  pdus_per_poll: measuredPdus,
  pdus_per_poll_planned: (planner.pdu960 as { pdus_per_poll: number }).pdus_per_poll,
  pdu_lower_bound: (planner.pdu960 as { pdu_lower_bound: number }).pdu_lower_bound,
  pdu_lower_bound_tight: (planner.pdu960 as { pdu_lower_bound_tight: number }).pdu_lower_bound_tight,
  planner_ratio_to_bound: round(measuredPdus / (planner.pdu960 as { pdu_lower_bound: number }).pdu_lower_bound, 3),
  naive_pdus_per_poll: naivePdus,
  naive_to_planned_ratio: round(naivePdus / measuredPdus, 2),
  nodes7_pdus_per_poll: nodes7Pdus,
  pdus_per_poll_by_machine: byMachine(measured),
  at_pdu_240: {
    pdus_per_poll: sumOf(measured240, (x) => x.planned),
    pdu_lower_bound: (planner.pdu240 as { pdu_lower_bound: number }).pdu_lower_bound,
    pdu_lower_bound_tight: (planner.pdu240 as { pdu_lower_bound_tight: number }).pdu_lower_bound_tight,
    naive_pdus_per_poll: sumOf(measured240, (x) => x.naive),
    nodes7_pdus_per_poll: Object.values(measured240).every((x) => x.nodes7 !== null) ? sumOf(measured240, (x) => x.nodes7!) : null,
    by_machine: byMachine(measured240),
  },
  poll_ms: {
    planned_p50: round(percentile(allPlanned, 50), 3),
    planned_p95: round(percentile(allPlanned, 95), 3),
    naive_p50: round(percentile(allNaive, 50), 3),
    naive_p95: round(percentile(allNaive, 95), 3),
  },
  sparse_map: sparse,
  planner,
  poll_classes: pollClasses,
  max_machines_100ms: maxMachines,
  max_machines_tested: steps[steps.length - 1],
  ramp,
  s7_poller_rss_mb: one.rssMb,
  pod_rss_mb: null,
  cpus: cpus().length,
  // load average (1 min) at start and end: other processes on this machine compete with the ramp
  loadavg: [round(loadBefore), round(loadavg()[0]!)],
  note: 'servers (node-snap7) run in 2 child processes on the same machine as the poller process; PDU 960 negotiated; fast 100 ms, change 500 ms, slow 1000 ms',
};
console.log(JSON.stringify(result, null, json ? 0 : 2));
process.exit(0);
