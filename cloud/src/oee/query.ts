import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { checkpoint } from '../bounds.js';
import type { CloudTables } from '../db/schema.js';
import { addFacts, emptyFacts, type OeeFacts } from './facts.js';
import { groupFacts, kpisOf, type OeeKpis } from './kpi.js';
import type { OeeModel } from './model.js';
import { dayMs, factsFromRawSpans, gaps, lastSeen, rolledFacts, rolledSpans, type GroupedFacts, type RawSpan } from './store.js';

export interface OeeQuery {
  from: number;
  to: number;
  machineIds?: readonly string[];
  /** false: recompute everything from the raw facts (the rollups must give the same answer) */
  useRollups?: boolean;
  /** stops the query between slices (HistoryReads' time limit) */
  signal?: AbortSignal | undefined;
}

/**
 * Raw facts are computed in slices that take about `sliceTargetMs` each: between them ingestion gets
 * the database (PGlite: one connection) and the event loop runs (probes, SIGTERM). A slice starts at
 * one machine-day and doubles while slices are quick (stretches without data), halves when slow.
 */
const sliceTargetMs = 25;
const sliceMin = dayMs, sliceMax = 128 * dayMs;

/** Spans cut at UTC day boundaries (the unit of a slice). */
function daySpans(spans: readonly RawSpan[]): RawSpan[] {
  return spans.flatMap((s) => {
    const out: RawSpan[] = [];
    for (let a = s.from; a < s.to; ) {
      const b = Math.min(s.to, Math.floor(a / dayMs) * dayMs + dayMs);
      out.push({ ...s, from: a, to: b });
      a = b;
    }
    return out;
  });
}

export interface OeeBreakdown extends OeeKpis {
  byShift: Record<string, OeeKpis>;
  byPart: Record<string, OeeKpis>;
  /** parts counted outside planned busy time (breaks, no shift): not part of the ratios */
  outsidePlanned: { producedQuantity: number; goodQuantity: number; scrapQuantity: number };
}

export interface OeeReport {
  from: number;
  /** the requested end, cut at the latest data of the plant: time after it has not happened yet */
  to: number;
  plant: OeeBreakdown;
  machines: Record<string, OeeBreakdown>;
}

function breakdown(rows: readonly GroupedFacts[]): OeeBreakdown {
  const planned = rows.filter((r) => r.shift !== '');
  const total = planned.reduce((acc, r) => addFacts(acc, r.facts), emptyFacts());
  const outside = rows.filter((r) => r.shift === '').reduce((acc, r) => addFacts(acc, r.facts), emptyFacts());
  const map = (m: Map<string, OeeFacts>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, f]) => [k, kpisOf(f)]));
  return {
    ...kpisOf(total),
    byShift: map(groupFacts(planned, (r) => r.shift, (r) => r.facts)),
    byPart: map(groupFacts(planned, (r) => r.part || '(none)', (r) => r.facts)),
    outsidePlanned: { producedQuantity: outside.produced, goodQuantity: outside.good, scrapQuantity: outside.scrap },
  };
}

/**
 * OEE over any range from stored facts: whole rolled-up days come from oee_day, whole rolled-up
 * hours from oee_hour, everything else (range edges, hours not rolled up yet) is computed from the raw state, pod and counter messages
 * with the same function, so both paths agree.
 */
export async function queryOee(db: Kysely<CloudTables>, model: OeeModel, q: OeeQuery): Promise<OeeReport> {
  const machineIds = (q.machineIds ?? model.machineIds).filter((id) => model.machineIds.includes(id));
  const seen = await lastSeen(db, model.machineIds);
  const plantEnd = Math.max(0, ...seen.values());
  const from = q.from;
  const to = Math.max(from, Math.min(q.to, plantEnd));
  const rows: GroupedFacts[] = [];
  let spans: RawSpan[] = machineIds.map((machineId) => ({ machineId, from, to, end: seen.get(machineId) ?? from }));
  if (q.useRollups !== false) {
    // whole rolled days, then whole rolled hours in what is left, then raw facts for the rest
    for (const level of ['day', 'hour'] as const) {
      await checkpoint(q.signal);
      const covered = await rolledSpans(db, level, spans);
      rows.push(...(await rolledFacts(db, level, spans)));
      spans = spans.flatMap((s, i) => gaps(s.from, s.to, covered[i]!).map(([a, b]) => ({ ...s, from: a, to: b })));
    }
  }
  const pieces = daySpans(spans);
  for (let i = 0, size = sliceMin; i < pieces.length; ) {
    await checkpoint(q.signal);
    const group: RawSpan[] = [];
    for (let covered = 0; i < pieces.length && (!group.length || covered + pieces[i]!.to - pieces[i]!.from <= size); i++) {
      const p = pieces[i]!, last = group[group.length - 1];
      // one span per machine and stretch: a query over many small spans gets a worse plan than over one long one
      if (last && last.machineId === p.machineId && last.to === p.from) group[group.length - 1] = { ...last, to: p.to };
      else group.push(p);
      covered += p.to - p.from;
    }
    const started = performance.now();
    const raw = await factsFromRawSpans(db, model, group);
    group.forEach((span, k) => {
      for (const r of raw[k]!) rows.push({ machineId: span.machineId, shift: r.shift, part: r.part, facts: r });
    });
    const took = performance.now() - started;
    size = took < sliceTargetMs / 2 ? Math.min(sliceMax, size * 2) : took > sliceTargetMs * 2 ? Math.max(sliceMin, size / 2) : size;
  }
  const machines: Record<string, OeeBreakdown> = {};
  for (const id of machineIds) machines[id] = breakdown(rows.filter((r) => r.machineId === id));
  return { from, to, plant: breakdown(rows), machines };
}
