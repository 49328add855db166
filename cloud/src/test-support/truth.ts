import type { MachineMessage } from '@plant-twin/contracts';
import { plannedWindows } from '../oee/calendar.js';
import { emptyFacts, addFacts, machineFacts } from '../oee/facts.js';
import { kpisOf, type OeeKpis } from '../oee/kpi.js';
import type { OeeModel } from '../oee/model.js';
import type { OeeBreakdown } from '../oee/query.js';

/** What the simulator recorded (a subset of machine-sim's Truth, so this file does not import the simulator). */
export interface SimTruth {
  intervals: { machineId: string; state: string; from: number; to: number | null; partNumber: string | null }[];
  cycles: { machineId: string; at: number; partNumber: string; result: 'good' | 'scrap' }[];
}

/** OEE of one machine straight from the simulator's own record: exact interval times and every cycle at its end time. */
export function truthOee(truth: SimTruth, model: OeeModel, machineId: string, from: number, to: number, now: number): OeeKpis {
  const states = truth.intervals.filter((i) => i.machineId === machineId).sort((a, b) => a.from - b.from).map((i) => ({ ts: i.from, state: i.state, quality: 'good', partNumber: i.partNumber }));
  const counts = truth.cycles.filter((c) => c.machineId === machineId).map((c) => ({ ts: c.at, good: c.result === 'good' ? 1 : 0, scrap: c.result === 'scrap' ? 1 : 0, partNumber: c.partNumber }));
  const rows = machineFacts(
    { states, pods: [], counts, end: now },
    { from, to, windows: plannedWindows(model.shifts, model.timezone, from, to), smallStopMs: model.smallStopMs, idealCycleS: model.idealCycleS.get(machineId) ?? new Map(), bucketMs: 3_600_000 },
  );
  return kpisOf(rows.filter((r) => r.shift !== '').reduce((acc, r) => addFacts(acc, r), emptyFacts()));
}

/**
 * The messages a machine pod would publish for this record: a state message on every change of
 * state or part, and one counter message per second in which parts completed.
 */
export function podMessages(truth: SimTruth, machineId: string, now: number): MachineMessage[] {
  const out: MachineMessage[] = [];
  let seq = 0;
  const env = (ts: number) => ({ v: 1 as const, id: `${machineId}/truth/${++seq}`, machineId, ts, seq });
  let last: { state: string; part: string | null } | null = null;
  for (const i of truth.intervals.filter((x) => x.machineId === machineId).sort((a, b) => a.from - b.from)) {
    if (last && last.state === i.state && last.part === i.partNumber) continue;
    out.push({ ...env(i.from), kind: 'state', state: i.state as 'idle', previous: (last?.state ?? null) as 'idle' | null, quality: 'good', ...(i.partNumber ? { partNumber: i.partNumber } : {}) });
    last = { state: i.state, part: i.partNumber };
  }
  const perSecond = new Map<string, { ts: number; good: number; scrap: number; part: string }>();
  for (const c of truth.cycles.filter((x) => x.machineId === machineId)) {
    const ts = Math.floor(c.at / 1000) * 1000 + 999; // the pod sees a completed part at its next read, within the second
    const key = `${ts}|${c.partNumber}`;
    const e = perSecond.get(key) ?? { ts, good: 0, scrap: 0, part: c.partNumber };
    e[c.result]++;
    perSecond.set(key, e);
  }
  let good = 0, scrap = 0;
  for (const e of [...perSecond.values()].sort((a, b) => a.ts - b.ts)) {
    good += e.good;
    scrap += e.scrap;
    out.push({ ...env(e.ts), kind: 'counter', goodDelta: e.good, scrapDelta: e.scrap, goodTotal: good, scrapTotal: scrap, partNumber: e.part });
  }
  // pods poll process values all the time: the timeline is known up to the latest of them
  const first = Math.min(...truth.intervals.filter((x) => x.machineId === machineId).map((i) => i.from));
  for (let ts = first; ts <= now; ts += 10_000) out.push({ ...env(ts), kind: 'sample', values: [{ name: 'heartbeat', value: (ts / 10_000) % 32768, quality: 'good', ts }] });
  return out.sort((a, b) => a.ts - b.ts);
}

const oeeRatios = ['availability', 'effectiveness', 'qualityRatio', 'oee'] as const;

/** Per ratio, |cloud - truth| in percentage points (Infinity when only one side has a value). */
export function oeeDiffPp(cloud: OeeKpis | OeeBreakdown, truth: OeeKpis): Record<(typeof oeeRatios)[number], number> {
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? (a === b ? 0 : Infinity) : Math.abs(a - b) * 100);
  return Object.fromEntries(oeeRatios.map((k) => [k, diff(cloud[k], truth[k])])) as Record<(typeof oeeRatios)[number], number>;
}

/** Differences above the tolerance (percentage points) between the cloud's and the truth's ratios. */
export function oeeDifferences(cloud: OeeKpis | OeeBreakdown, truth: OeeKpis, tolerancePp: number): string[] {
  const diffs = oeeDiffPp(cloud, truth);
  const pct = (v: number | null) => (v === null ? String(v) : `${(v * 100).toFixed(2)} %`);
  return oeeRatios.filter((k) => diffs[k] > tolerancePp).map((k) => `${k}: cloud ${pct(cloud[k])} truth ${pct(truth[k])}`);
}
