import { oeeDiffPp, oeeDifferences, truthOee, type SimTruth } from '@plant-twin/cloud/testing';
import { oeeModelOf, type OeeBreakdown, type OeeKpis } from '@plant-twin/cloud';
import type { Machine } from '@plant-twin/plant-model';
import type { PlantRun } from '@plant-twin/supervisor';

/**
 * What the end-to-end chain checks need around a running plant (plant-run.ts): a job dispatcher
 * that keeps every machine busy through the real job paths, the simulator's ground truth, the
 * cloud's OEE next to the OEE of that truth, and the programs' metrics.
 */

/** The simulator's record (GET /truth on its control API). */
export interface PlantTruth extends SimTruth {
  now: number;
  intervals: (SimTruth['intervals'][number] & { reason: string })[];
  counts: { good: number; scrap: number; byJob: Record<string, { good: number; scrap: number }> };
}

export const fetchTruth = (run: PlantRun) => run.http<PlantTruth>(run.byRole('simulators'), '/truth');

/** Simulated time now, read from the simulators. */
export const simNow = async (run: PlantRun) => (await run.http<{ now: number }>(run.byRole('simulators'), '/machines')).now;

const takesJobs = (m: Machine) => m.interface.type !== 'file' || m.interface.inbox !== undefined;

/**
 * Keeps every machine busy: whenever one has no job, the next one (its parts in turn, so jobs
 * change over between part families) goes to the machine's pod through the job agent API, as the
 * job manager dispatches; a machine whose interface takes no jobs (the CMM measures what arrives)
 * gets it from the simulator's operator commands.
 */
export function startDispatcher(run: PlantRun, o: { jobMinutes: number; everyMs?: number }) {
  let n = 0;
  let stopped = false;
  const errors: string[] = [];
  const next = (m: Machine) => {
    const part = m.parts[n % m.parts.length]!;
    return { jobId: `CH${String(++n).padStart(4, '0')}`, partNumber: part.partNumber, quantity: Math.max(1, Math.round((o.jobMinutes * 60) / part.idealCycleS)) };
  };
  const sim = run.byRole('simulators');
  const tick = async (m: Machine) => {
    if (takesJobs(m)) {
      const pod = run.pod(m.id);
      const current = await run.http<unknown>(pod, '/api/v1/jobs/current');
      if (current) return; // 204: no job
      await run.http(pod, '/api/v1/jobs', { method: 'POST', body: { ...next(m), autoStart: true } });
    } else {
      const { job } = await run.http<{ job: { state: string } | null }>(sim, `/machines/${m.id}`);
      if (job && job.state !== 'completed' && job.state !== 'cancelled') return;
      if (job) await run.http(sim, `/machines/${m.id}/command`, { method: 'POST', body: { command: 'clear' } });
      await run.http(sim, `/machines/${m.id}/command`, { method: 'POST', body: { command: 'load', ...next(m) } });
      await run.http(sim, `/machines/${m.id}/command`, { method: 'POST', body: { command: 'start' } });
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(run.plant.machines.map((m) => tick(m).catch((err: Error) => void errors.push(`${m.id}: ${err.message}`))));
      await new Promise((r) => setTimeout(r, o.everyMs ?? 1_000));
    }
  })();
  return {
    errors,
    dispatched: () => n,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export interface MachineOee {
  cloud: OeeBreakdown;
  truth: OeeKpis;
  /** where the window ended for this machine */
  end: number;
  /** largest difference of availability, effectiveness, quality ratio and OEE, in percentage points */
  maxDiffPp: number;
  /** the ratios that differ by more than the tolerance */
  differences: string[];
}

/**
 * How far a window's edge stays from the machine's events (a cycle's end, a change of state), in plant
 * ms: a PLC reports them at the pod's next poll, late by up to a poll gap (0.1 s of plant time, seconds
 * when the machine is busy and a poll waits), so a part finished just before an edge is counted just
 * after it. One part of a slow machine is 2 pp of its effectiveness over an hour.
 */
export const windowEdgeMarginMs = 15_000;

/**
 * The nearest instant from `t` in `direction` that lies at least `margin` from every one of `events`;
 * `t` itself when there is none within five minutes (a machine busy with short cycles, where one part
 * is a small share of the window anyway).
 */
export function quietInstant(events: readonly number[], t: number, direction: -1 | 1, margin = windowEdgeMarginMs): number {
  let at = t;
  for (let moved = true; moved && Math.abs(at - t) <= 300_000; ) {
    moved = false;
    for (const e of events) {
      if (Math.abs(e - at) >= margin) continue;
      at = direction < 0 ? e - margin : e + margin;
      moved = true;
    }
  }
  return Math.abs(at - t) <= 300_000 ? at : t;
}

/**
 * The cloud's OEE per machine (REST API, as a user sees it) next to the OEE of the simulator's record
 * over the same window: [from, to), cut per machine where the cloud's knowledge of it ends (its latest
 * message: a file machine reports nothing between results, so the time after its last one is no
 * data to the cloud, as it should be, while the simulator knows what happened), and with both edges
 * moved inwards to instants away from the machine's events (windowEdgeMarginMs).
 */
export async function oeeAgainstTruth(run: PlantRun, truth: PlantTruth, from: number, to: number, tolerancePp = 0.5): Promise<Record<string, MachineOee>> {
  const cloudApi = run.byRole('cloud');
  const machines = await run.http<{ id: string; status?: { lastSeen: number | null } }[]>(cloudApi, '/api/v1/machines');
  const model = oeeModelOf(run.plant);
  const out: Record<string, MachineOee> = {};
  for (const m of run.plant.machines) {
    const events = [
      ...truth.cycles.filter((c) => c.machineId === m.id).map((c) => c.at),
      ...truth.intervals.filter((i) => i.machineId === m.id).flatMap((i) => (i.to === null ? [i.from] : [i.from, i.to])),
    ];
    const start = quietInstant(events, from, 1);
    const end = quietInstant(events, Math.min(to, machines.find((x) => x.id === m.id)?.status?.lastSeen ?? to), -1);
    const report = await run.http<{ machines: Record<string, OeeBreakdown> }>(cloudApi, `/api/v1/oee?from=${start}&to=${end}&machineIds=${m.id}`);
    const cloud = report.machines[m.id]!;
    const t = truthOee(truth, model, m.id, start, end, truth.now);
    out[m.id] = { cloud, truth: t, end, maxDiffPp: Math.max(...Object.values(oeeDiffPp(cloud, t))), differences: oeeDifferences(cloud, t, tolerancePp) };
  }
  return out;
}

/** A program's Prometheus metrics: the sum of every series of `name` whose labels contain `labels`. */
export async function metric(run: PlantRun, program: string, name: string, labels = ''): Promise<number> {
  const p = run.programs.find((x) => x.name === program)!;
  const text = await run.http<string>(p, '/metrics');
  let sum = 0;
  for (const line of String(text).split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Waits until everything produced so far has reached the cloud: no pod holds an unacknowledged
 * message, the publisher has nothing unsent, and both stay so for a few seconds.
 */
export async function settle(run: PlantRun, timeoutMs = 60_000): Promise<void> {
  const publisher = run.byRole('publisher');
  const pods = run.programs.filter((p) => p.role === 'machine-pod');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let quiet = 0; quiet < 3; await new Promise((r) => setTimeout(r, 1_000))) {
    if (Date.now() > deadline) throw new Error(`the chain did not settle: ${last}`);
    try {
      const depths = await Promise.all(pods.map(async (p) => [p.name, await metric(run, p.name, 'pod_queue_depth')] as const));
      const { detail } = await run.http<{ detail: { unsentMessages: number } }>(publisher, '/health/ready');
      const waiting = depths.filter(([, d]) => d > 0);
      last = `publisher unsent ${detail.unsentMessages}, pod queues ${JSON.stringify(Object.fromEntries(waiting))}`;
      quiet = waiting.length === 0 && detail.unsentMessages === 0 ? quiet + 1 : 0;
    } catch (err) {
      last = (err as Error).message;
      quiet = 0; // a program still restarting
    }
  }
}
