import type { Quality } from '@plant-twin/contracts';
import type { PlannedWindow } from './calendar.js';

export interface StateFact {
  ts: number;
  state: string;
  quality: Quality | string;
  partNumber: string | null;
}
/** Pod liveness: ok = pod online and connected to its machine. */
export interface PodFact {
  ts: number;
  ok: boolean;
}
export interface CountFact {
  ts: number;
  good: number;
  scrap: number;
  partNumber: string | null;
}

/** Additive OEE facts of one (hour bucket, shift, part): times in ms, quantities in parts. */
export interface OeeFacts {
  pbtMs: number;
  noDataMs: number;
  aptMs: number;
  setupMs: number;
  faultMs: number;
  starvedMs: number;
  blockedMs: number;
  idleMs: number;
  offMs: number;
  maintMs: number;
  smallMs: number;
  smallN: number;
  produced: number;
  good: number;
  scrap: number;
  /** planned run time per item x produced quantity, over parts with a known ideal cycle time */
  idealMs: number;
  /** the same over good parts only: idealMs - idealGoodMs is the time lost to scrap */
  idealGoodMs: number;
  /** produced parts whose part number has no ideal cycle time in the plant model */
  unknownQty: number;
  /** produced parts counted while the machine's state was unknown (no data) */
  noDataQty: number;
}
export type FactsKey = { bucket: number; shift: string; part: string };
export type FactsRow = FactsKey & OeeFacts;

export const emptyFacts = (): OeeFacts => ({
  pbtMs: 0, noDataMs: 0, aptMs: 0, setupMs: 0, faultMs: 0, starvedMs: 0, blockedMs: 0, idleMs: 0, offMs: 0, maintMs: 0,
  smallMs: 0, smallN: 0, produced: 0, good: 0, scrap: 0, idealMs: 0, idealGoodMs: 0, unknownQty: 0, noDataQty: 0,
});
export const factFields = Object.keys(emptyFacts()) as (keyof OeeFacts)[];

export function addFacts(into: OeeFacts, f: OeeFacts): OeeFacts {
  for (const k of factFields) into[k] += f[k];
  return into;
}

/** Stop states: a stop that follows running and is shorter than the small-stop threshold is a small stop. */
const stopStates = new Set(['idle', 'starved', 'blocked', 'fault', 'off']);
const downField: Record<string, keyof OeeFacts> = {
  running: 'aptMs', setup: 'setupMs', fault: 'faultMs', starved: 'starvedMs', blocked: 'blockedMs', idle: 'idleMs', off: 'offMs', maintenance: 'maintMs',
};

interface Segment {
  start: number;
  stop: number;
  state: string | null;
  part: string | null;
  noData: boolean;
  small: boolean;
  smallStart: boolean;
}

export interface TimelineInput {
  /** state messages in time order, including the last one before (range start - small-stop threshold) */
  states: readonly StateFact[];
  /** pod status messages in time order, including the last one before the range */
  pods: readonly PodFact[];
  /** counter messages in the range */
  counts: readonly CountFact[];
  /** what is known of the machine ends here (its latest message): later time is no data */
  end: number;
}

export interface FactsOptions {
  from: number;
  to: number;
  /** planned busy windows (clipped to [from, to), time ordered, not overlapping) */
  windows: readonly PlannedWindow[];
  smallStopMs: number;
  idealCycleS: ReadonlyMap<string, number>;
  bucketMs: number;
}

/** The machine's timeline as contiguous segments from state intervals, with no-data where the state or the pod is not good. */
function segmentsOf(input: TimelineInput): Segment[] {
  const base: Segment[] = [];
  let part: string | null = null;
  const states = input.states;
  const nodata = (start: number, stop: number): Segment => ({ start, stop, state: null, part, noData: true, small: false, smallStart: false });
  base.push(nodata(-Infinity, states[0]?.ts ?? input.end));
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    part = s.partNumber ?? part;
    const stop = Math.min(states[i + 1]?.ts ?? input.end, input.end);
    if (stop > s.ts) base.push({ start: s.ts, stop, state: s.state, part, noData: s.quality !== 'good', small: false, smallStart: false });
  }
  base.push(nodata(Math.max(input.end, states[0]?.ts ?? input.end), Infinity));

  // pod offline / machine disconnected spans turn whatever the last state said into no data
  const bad: [number, number][] = [];
  input.pods.forEach((p, i) => {
    if (!p.ok) bad.push([p.ts, input.pods[i + 1]?.ts ?? Infinity]);
  });
  if (!bad.length) return base;
  const out: Segment[] = [];
  for (const seg of base) {
    let cursor = seg.start;
    for (const [bs, be] of bad) {
      if (be <= cursor || bs >= seg.stop) continue;
      if (bs > cursor) out.push({ ...seg, start: cursor, stop: bs });
      out.push({ ...seg, start: Math.max(bs, cursor), stop: Math.min(be, seg.stop), noData: true });
      cursor = Math.min(be, seg.stop);
    }
    if (cursor < seg.stop) out.push({ ...seg, start: cursor });
  }
  return out;
}

function markSmallStops(segs: Segment[], smallStopMs: number): void {
  const isStop = (s: Segment) => !s.noData && s.state !== null && stopStates.has(s.state);
  for (let i = 0; i < segs.length; i++) {
    if (!isStop(segs[i]!)) continue;
    let j = i;
    while (j + 1 < segs.length && isStop(segs[j + 1]!)) j++;
    const prev = segs[i - 1], next = segs[j + 1];
    const length = segs[j]!.stop - segs[i]!.start;
    // only a stop between production and a known next state can be judged; one cut by no data is downtime
    if (prev && !prev.noData && prev.state === 'running' && next && !next.noData && length < smallStopMs) {
      for (let k = i; k <= j; k++) segs[k]!.small = true;
      segs[i]!.smallStart = true;
    }
    i = j;
  }
}

function windowAt(windows: readonly PlannedWindow[], ts: number): PlannedWindow | undefined {
  let lo = 0, hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid]!;
    if (ts < w.start) hi = mid - 1;
    else if (ts >= w.end) lo = mid + 1;
    else return w;
  }
  return undefined;
}

function segmentAt(segs: readonly Segment[], ts: number): Segment | undefined {
  let lo = 0, hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid]!;
    if (ts < s.start) hi = mid - 1;
    else if (ts >= s.stop) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/**
 * The OEE facts of one machine over [from, to): the state timeline clipped to the planned busy
 * windows, split by hour bucket, shift and part. Everything OEE reports is derived from these
 * sums, so a rolled-up hour and a recomputation from raw facts give the same figures.
 */
export function machineFacts(input: TimelineInput, opts: FactsOptions): FactsRow[] {
  const segs = segmentsOf(input);
  markSmallStops(segs, opts.smallStopMs);
  const rows = new Map<string, FactsRow>();
  const row = (bucket: number, shift: string, part: string | null): FactsRow => {
    const key = `${bucket}|${shift}|${part ?? ''}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { bucket, shift, part: part ?? '', ...emptyFacts() }));
    return r;
  };

  let si = 0;
  for (const w of opts.windows) {
    while (si < segs.length && segs[si]!.stop <= w.start) si++;
    for (let k = si; k < segs.length && segs[k]!.start < w.end; k++) {
      const seg = segs[k]!;
      const a = Math.max(seg.start, w.start), b = Math.min(seg.stop, w.end);
      for (let t = a; t < b; ) {
        const bucket = Math.floor(t / opts.bucketMs) * opts.bucketMs;
        const u = Math.min(b, bucket + opts.bucketMs);
        const r = row(bucket, w.shift, seg.part);
        const len = u - t;
        r.pbtMs += len;
        if (seg.noData) r.noDataMs += len;
        else if (seg.small) {
          r.aptMs += len;
          r.smallMs += len;
          if (seg.smallStart && t === seg.start) r.smallN += 1;
        } else r[downField[seg.state!] ?? 'offMs'] += len;
        t = u;
      }
    }
  }

  for (const c of input.counts) {
    if (c.ts < opts.from || c.ts >= opts.to) continue;
    const qty = c.good + c.scrap;
    if (qty === 0) continue;
    const seg = segmentAt(segs, c.ts);
    const part = c.partNumber ?? seg?.part ?? null;
    const r = row(Math.floor(c.ts / opts.bucketMs) * opts.bucketMs, windowAt(opts.windows, c.ts)?.shift ?? '', part);
    r.produced += qty;
    r.good += c.good;
    r.scrap += c.scrap;
    const pri = part ? opts.idealCycleS.get(part) : undefined;
    if (pri === undefined) r.unknownQty += qty;
    else {
      r.idealMs += pri * 1000 * qty;
      r.idealGoodMs += pri * 1000 * c.good;
    }
    if (!seg || seg.noData) r.noDataQty += qty;
  }
  return [...rows.values()];
}
