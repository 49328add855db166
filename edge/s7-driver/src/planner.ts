import { parseS7Address, type S7Address } from '@plant-twin/plant-model';

/**
 * The poll planner: turns a tag map into the fewest S7 "read var" request PDUs for the negotiated
 * PDU size. It coalesces tags into contiguous byte ranges per DB, merges ranges across gaps where
 * that saves a request, and packs the ranges (split where needed) into multi-item reads that
 * respect the PDU size of both request and response and the 20-items-per-request limit
 * (snap7 and real CPUs refuse more; nodes7 does not cap items, which crashes it at >= 25).
 *
 * Rather than a fixed gap rule (nodes7 merges gaps of up to 5 bytes), the planner tries a ladder of
 * gap thresholds and two packings and keeps the cheapest plan: fewest PDUs, then fewest response
 * bytes, then fewest items. Maps are small (tens to a few thousand tags) so this costs milliseconds.
 */

/** S7 header sizes in bytes (the S7 PDU, i.e. without TPKT/COTP). */
export const S7_REQ_HEADER = 10; // job header
export const S7_RES_HEADER = 12; // ack-data header incl. error class/code
export const READ_PARAM_HEAD = 2; // function code + item count
export const READ_ITEM_REQ = 12; // one any-pointer item in the request
export const READ_ITEM_RES_HEAD = 4; // return code, transport size, length
/** Items per multi-variable request: the S7 protocol's (and snap7's) limit. */
export const MAX_ITEMS_PER_REQUEST = 20;

export interface PlanTag {
  name: string;
  /** the address as in the plant model (DB10,REAL4) or already parsed */
  address: string | S7Address;
}

export interface PlanOptions {
  /** negotiated PDU size in bytes (240 on S7-1200, 480/960 on S7-1500) */
  pduSize: number;
  /** items per request; capped at 20 */
  maxItems?: number;
}

/** A contiguous byte range of one DB that the plan reads; every tag lies in exactly one range. */
export interface ReadRange {
  db: number;
  start: number;
  length: number;
  tags: string[];
}

/** One item of a read request: a piece of a range (a range longer than a PDU is split). */
export interface ReadItem {
  db: number;
  start: number;
  length: number;
  /** index into plan.ranges */
  range: number;
}

export interface ReadRequest {
  items: ReadItem[];
  /** S7 PDU bytes of the request and of the expected response */
  requestBytes: number;
  responseBytes: number;
}

export interface TagSlot {
  address: S7Address;
  range: number;
  /** byte offset of the tag within its range */
  offset: number;
}

export interface ReadPlan {
  pduSize: number;
  maxItems: number;
  ranges: ReadRange[];
  requests: ReadRequest[];
  slots: Map<string, TagSlot>;
  /** distinct bytes the tags occupy (bits of one byte count once) */
  tagBytes: number;
  /** bytes actually read, gaps included */
  readBytes: number;
  /** ceil(tagBytes / usable response payload of one PDU): no plan can do with fewer PDUs */
  lowerBound: number;
  /**
   * A tighter bound that also counts the 4-byte item header of every read item: the cheapest
   * cover of the tag bytes by items (exact, by dynamic programming over each DB's spans) divided
   * by the response capacity, and the item limit. Still a true lower bound for any plan.
   */
  lowerBoundTight: number;
  /** the gap (bytes) up to which ranges of one DB were merged in the chosen plan */
  mergeGap: number;
}

/** Data bytes one read response can carry when it holds a single item. */
export function usablePayload(pduSize: number): number {
  return pduSize - S7_RES_HEADER - READ_PARAM_HEAD - READ_ITEM_RES_HEAD;
}

export function requestSize(items: number): number {
  return S7_REQ_HEADER + READ_PARAM_HEAD + READ_ITEM_REQ * items;
}

/** Exact response size: odd-length items are padded to even except the last one. */
export function responseSize(lengths: readonly number[]): number {
  let n = S7_RES_HEADER + READ_PARAM_HEAD;
  lengths.forEach((len, i) => {
    n += READ_ITEM_RES_HEAD + len + (len % 2 === 1 && i < lengths.length - 1 ? 1 : 0);
  });
  return n;
}

export function lowerBoundPdus(tagBytes: number, pduSize: number): number {
  return tagBytes === 0 ? 0 : Math.ceil(tagBytes / usablePayload(pduSize));
}

interface Span {
  db: number;
  start: number;
  end: number; // exclusive
}

const gapLadder = [0, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512, Infinity];

export function planReads(tags: readonly PlanTag[], options: PlanOptions): ReadPlan {
  const pduSize = options.pduSize;
  if (!Number.isInteger(pduSize) || pduSize < 64) throw new Error(`pduSize ${pduSize} is too small (an S7 PDU is at least 240 bytes; 64 is the planner's floor)`);
  const maxItems = Math.min(options.maxItems ?? MAX_ITEMS_PER_REQUEST, MAX_ITEMS_PER_REQUEST, Math.floor((pduSize - S7_REQ_HEADER - READ_PARAM_HEAD) / READ_ITEM_REQ));
  if (maxItems < 1) throw new Error(`maxItems must be at least 1`);

  const parsed = tags.map((t) => {
    const a = typeof t.address === 'string' ? parseS7Address(t.address) : t.address;
    if (typeof a === 'string') throw new Error(`tag ${t.name}: ${a}`);
    return { name: t.name, a };
  });
  const names = new Set<string>();
  for (const t of parsed) {
    if (names.has(t.name)) throw new Error(`tag ${t.name} appears twice in the tag map`);
    names.add(t.name);
  }

  // exact spans: tags sorted by DB and offset; overlapping/adjacent bytes form one span
  const sorted = [...parsed].sort((x, y) => x.a.db - y.a.db || x.a.offset - y.a.offset);
  const spans: Span[] = [];
  let tagBytes = 0;
  for (const t of sorted) {
    const end = t.a.offset + t.a.size;
    const last = spans[spans.length - 1];
    if (last && last.db === t.a.db && t.a.offset <= last.end) {
      tagBytes += Math.max(0, end - last.end);
      last.end = Math.max(last.end, end);
    } else {
      tagBytes += t.a.size;
      spans.push({ db: t.a.db, start: t.a.offset, end });
    }
  }

  let best: { ranges: Span[]; requests: ReadRequest[]; gap: number; cost: number[] } | undefined;
  const consider = (ranges: Span[], requests: ReadRequest[], gap: number) => {
    const cost = [requests.length, requests.reduce((s, r) => s + r.responseBytes, 0), requests.reduce((s, r) => s + r.items.length, 0)];
    if (!best || lexLess(cost, best.cost)) best = { ranges, requests, gap, cost };
  };
  const dbCount = new Set(spans.map((s) => s.db)).size;
  for (const gap of gapLadder) {
    const ranges = mergeSpans(spans, gap);
    for (const pack of [packFirstFitDecreasing, packNextFitSplitting]) consider(ranges, pack(ranges, pduSize, maxItems), gap);
    const adaptive = packAdaptive(spans, gap, pduSize, maxItems);
    consider(adaptive.ranges, adaptive.requests, gap);
    // once everything of every DB is one range, larger gaps change nothing
    if (ranges.length === dbCount) break;
  }
  const chosen = best ?? { ranges: [], requests: [], gap: 0, cost: [0] };

  // candidates carry no tag lists (cheap to build); the chosen ranges get theirs here. Ranges are in
  // DB/offset order, so each tag finds its range by binary search.
  const ranges: ReadRange[] = chosen.ranges.map((r) => ({ db: r.db, start: r.start, length: r.end - r.start, tags: [] }));
  const slots = new Map<string, TagSlot>();
  for (const t of sorted) {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const r = ranges[mid]!;
      if (r.db < t.a.db || (r.db === t.a.db && r.start <= t.a.offset)) lo = mid;
      else hi = mid - 1;
    }
    const r = ranges[lo]!;
    r.tags.push(t.name);
    slots.set(t.name, { address: t.a, range: lo, offset: t.a.offset - r.start });
  }
  return {
    pduSize,
    maxItems,
    ranges,
    requests: chosen.requests,
    slots,
    tagBytes,
    readBytes: ranges.reduce((s, r) => s + r.length, 0),
    lowerBound: lowerBoundPdus(tagBytes, pduSize),
    lowerBoundTight: tightBound(spans, pduSize),
    mergeGap: chosen.gap,
  };
}

function tightBound(spans: readonly Span[], pduSize: number): number {
  if (spans.length === 0) return 0;
  let cost = 0;
  let minItems = 0;
  for (const db of new Set(spans.map((s) => s.db))) {
    const ss = spans.filter((s) => s.db === db);
    // f[j] = cheapest cover of spans 0..j-1; an item covering spans i..j-1 costs header + bytes
    const f = [0];
    for (let j = 1; j <= ss.length; j++) {
      let best = Infinity;
      for (let i = 0; i < j; i++) best = Math.min(best, f[i]! + READ_ITEM_RES_HEAD + ss[j - 1]!.end - ss[i]!.start);
      f.push(best);
    }
    cost += f[ss.length]!;
    minItems += 1;
  }
  const itemsBound = Math.ceil(minItems / Math.min(MAX_ITEMS_PER_REQUEST, Math.floor((pduSize - S7_REQ_HEADER - READ_PARAM_HEAD) / READ_ITEM_REQ)));
  return Math.max(Math.ceil(cost / capacity(pduSize)), itemsBound);
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function mergeSpans(spans: readonly Span[], gap: number): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && last.db === s.db && s.start - last.end <= gap) {
      last.end = Math.max(last.end, s.end);
    } else out.push({ ...s });
  }
  return out;
}

/** Bytes an item costs in the response, counting the pad byte of an odd length (conservative by one for the last item). */
const itemCost = (len: number) => READ_ITEM_RES_HEAD + len + (len % 2);

interface Bin {
  items: ReadItem[];
  free: number;
}

function finish(bins: Bin[]): ReadRequest[] {
  return bins
    .filter((b) => b.items.length > 0)
    .map((b) => {
      // items in DB/offset order: deterministic requests and readable traces
      const items = [...b.items].sort((x, y) => x.db - y.db || x.start - y.start);
      return { items, requestBytes: requestSize(items.length), responseBytes: responseSize(items.map((i) => i.length)) };
    });
}

const capacity = (pduSize: number) => pduSize - S7_RES_HEADER - READ_PARAM_HEAD;

/** Ranges larger than one PDU are cut into full-PDU chunks; then first-fit decreasing without further splits. */
function packFirstFitDecreasing(ranges: readonly Span[], pduSize: number, maxItems: number): ReadRequest[] {
  const maxChunk = evenFloor(capacity(pduSize) - READ_ITEM_RES_HEAD);
  const pieces: ReadItem[] = [];
  ranges.forEach((r, i) => {
    for (let s = r.start; s < r.end; s += maxChunk) pieces.push({ db: r.db, start: s, length: Math.min(maxChunk, r.end - s), range: i });
  });
  pieces.sort((x, y) => y.length - x.length);
  const bins: Bin[] = [];
  for (const p of pieces) {
    const cost = itemCost(p.length);
    let bin = bins.find((b) => b.free >= cost && b.items.length < maxItems);
    if (!bin) bins.push((bin = { items: [], free: capacity(pduSize) }));
    bin.items.push(p);
    bin.free -= cost;
  }
  return finish(bins);
}

/** Fills PDUs in address order, cutting a range at the PDU boundary: reaches ceil(bytes / capacity) when a few large ranges dominate. */
function packNextFitSplitting(ranges: readonly Span[], pduSize: number, maxItems: number): ReadRequest[] {
  const bins: Bin[] = [{ items: [], free: capacity(pduSize) }];
  const minPiece = 2;
  ranges.forEach((r, i) => {
    let s = r.start;
    while (s < r.end) {
      let bin = bins[bins.length - 1]!;
      if (bin.items.length >= maxItems || bin.free < READ_ITEM_RES_HEAD + minPiece) bins.push((bin = { items: [], free: capacity(pduSize) }));
      const rest = r.end - s;
      const room = bin.free - READ_ITEM_RES_HEAD;
      const len = itemCost(rest) - READ_ITEM_RES_HEAD <= room ? rest : evenFloor(room);
      bin.items.push({ db: r.db, start: s, length: len, range: i });
      bin.free -= itemCost(len);
      s += len;
    }
  });
  return finish(bins);
}

/**
 * Address order with merging decided per PDU: a gap up to `gap` bytes is read through; once a PDU's
 * items are used up, any gap is read through while the PDU has room (those bytes are free, a new
 * item is not). Wins where the 20-item limit binds before the PDU size does (many small tags).
 */
function packAdaptive(spans: readonly Span[], gap: number, pduSize: number, maxItems: number): { ranges: Span[]; requests: ReadRequest[] } {
  const ranges: Span[] = [];
  const bins: Bin[] = [{ items: [], free: capacity(pduSize) }];
  let cur: ReadItem | undefined; // the open item: always the last item of the last bin while it can grow
  const open = (bin: Bin, item: ReadItem) => {
    bin.items.push(item);
    bin.free -= READ_ITEM_RES_HEAD;
    cur = item;
  };
  for (const s of spans) {
    let start = s.start;
    let placed = false; // the span belongs to a range already
    const place = (range: Span) => {
      placed = true;
      range.end = s.end;
    };
    while (start < s.end) {
      let bin = bins[bins.length - 1]!;
      if (cur && cur.db === s.db && bin.items[bin.items.length - 1] === cur) {
        const g = start - (cur.start + cur.length);
        if (g <= gap || bin.items.length >= maxItems) {
          const room = bin.free + itemCost(cur.length) - READ_ITEM_RES_HEAD; // data bytes the open item may grow to
          const want = s.end - cur.start;
          if (itemCost(want) - READ_ITEM_RES_HEAD <= room) {
            bin.free -= itemCost(want) - itemCost(cur.length);
            cur.length = want;
            place(ranges[cur.range]!);
            start = s.end;
            continue;
          }
          const len = evenFloor(room);
          if (len > cur.length + g) {
            // fill this PDU, and continue the same range in a new one
            bin.free -= itemCost(len) - itemCost(cur.length);
            cur.length = len;
            place(ranges[cur.range]!);
            start = cur.start + len;
            bins.push((bin = { items: [], free: capacity(pduSize) }));
            open(bin, { db: s.db, start, length: 0, range: cur.range });
            continue;
          }
        }
      }
      if (bin.items.length >= maxItems || bin.free < READ_ITEM_RES_HEAD + 2) bins.push((bin = { items: [], free: capacity(pduSize) }));
      if (placed) open(bin, { db: s.db, start, length: 0, range: cur!.range }); // contiguous continuation
      else {
        ranges.push({ db: s.db, start, end: s.end });
        placed = true;
        open(bin, { db: s.db, start, length: 0, range: ranges.length - 1 });
      }
    }
  }
  for (const b of bins) b.items = b.items.filter((it) => it.length > 0);
  return { ranges, requests: finish(bins) };
}

const evenFloor = (n: number) => n - (n % 2);
