import { seededRandom } from '@plant-twin/runtime';
import { describe, expect, it } from 'vitest';
import { loadPlant, parseS7Address, type S7Address, type S7Type } from '@plant-twin/plant-model';
import { planReads, usablePayload, type PlanTag, type ReadPlan } from './planner.js';

const rng = seededRandom;

const types: S7Type[] = ['bool', 'byte', 'char', 'int', 'word', 'dint', 'dword', 'real', 'lreal', 'string'];

/** A random, non-overlapping tag map over a few DBs, with random gaps (sometimes huge). */
function randomTags(seed: number): PlanTag[] {
  const r = rng(seed);
  const tags: PlanTag[] = [];
  const dbCount = 1 + Math.floor(r() * 5);
  for (let d = 0; d < dbCount; d++) {
    const db = 1 + Math.floor(r() * 200);
    if (tags.some((t) => (t.address as S7Address).db === db)) continue;
    let offset = Math.floor(r() * 40) * 2;
    const n = Math.floor(r() * 120);
    for (let i = 0; i < n; i++) {
      const type = types[Math.floor(r() * types.length)]!;
      let text: string;
      if (type === 'bool') text = `DB${db},X${offset}.${Math.floor(r() * 8)}`;
      else if (type === 'string') text = `DB${db},S${offset}.${1 + Math.floor(r() * (r() < 0.1 ? 254 : 40))}`;
      else text = `DB${db},${{ byte: 'BYTE', char: 'CHAR', int: 'INT', word: 'WORD', dint: 'DINT', dword: 'DWORD', real: 'REAL', lreal: 'LREAL' }[type]}${offset}`;
      const a = parseS7Address(text);
      if (typeof a === 'string') throw new Error(a);
      tags.push({ name: `t${tags.length}`, address: a });
      offset += a.size;
      const g = r();
      offset += g < 0.5 ? 0 : g < 0.8 ? Math.floor(r() * 8) : g < 0.95 ? Math.floor(r() * 64) : Math.floor(r() * 2000);
      offset += offset % 2; // next word-aligned start
    }
  }
  return tags;
}

/** Plain checks (not expect) because this runs for thousands of tags: a failure names what broke. */
function checkPlan(tags: PlanTag[], plan: ReadPlan, pduSize: number) {
  const ok = (cond: boolean, what: string) => {
    if (!cond) throw new Error(what);
  };
  // every tag in exactly one range, and inside it
  const seen = new Map<string, number>();
  for (const r of plan.ranges) for (const t of r.tags) seen.set(t, (seen.get(t) ?? 0) + 1);
  for (const t of tags) {
    ok(seen.get(t.name) === 1, `tag ${t.name} is in ${seen.get(t.name) ?? 0} ranges`);
    const slot = plan.slots.get(t.name)!;
    const a = slot.address;
    const r = plan.ranges[slot.range]!;
    ok(r.db === a.db && a.offset >= r.start && a.offset + a.size <= r.start + r.length, `tag ${t.name} lies outside its range`);
    ok(slot.offset === a.offset - r.start, `tag ${t.name}: wrong offset in range`);
  }
  ok(seen.size === tags.length, 'ranges hold tags that are not in the map');
  // ranges of one DB never overlap
  const sorted = [...plan.ranges].sort((x, y) => x.db - y.db || x.start - y.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.db === sorted[i - 1]!.db) ok(sorted[i]!.start >= sorted[i - 1]!.start + sorted[i - 1]!.length, 'ranges overlap');
  // the items of each range tile it exactly; sizes recomputed independently of the planner's helpers
  const pieces = plan.ranges.map(() => [] as { start: number; length: number }[]);
  for (const req of plan.requests) {
    ok(req.items.length > 0 && req.items.length <= 20, `request with ${req.items.length} items`);
    ok(req.requestBytes <= pduSize && req.responseBytes <= pduSize, `request ${req.requestBytes} / response ${req.responseBytes} bytes over PDU ${pduSize}`);
    ok(req.requestBytes === 10 + 2 + 12 * req.items.length, 'request size miscounted');
    let res = 12 + 2;
    req.items.forEach((it, k) => (res += 4 + it.length + (it.length % 2 && k < req.items.length - 1 ? 1 : 0)));
    ok(req.responseBytes === res, `response size ${req.responseBytes}, recomputed ${res}`);
    for (const it of req.items) {
      ok(it.length > 0 && plan.ranges[it.range]!.db === it.db, 'empty item or item in the wrong DB');
      pieces[it.range]!.push(it);
    }
  }
  plan.ranges.forEach((r, i) => {
    let at = r.start;
    for (const p of pieces[i]!.sort((x, y) => x.start - y.start)) {
      ok(p.start === at, `range DB${r.db}.${r.start}+${r.length}: piece at ${p.start}, expected ${at}`);
      at += p.length;
    }
    ok(at === r.start + r.length, `range DB${r.db}.${r.start}+${r.length} not fully read`);
  });
  ok(plan.requests.length >= plan.lowerBound && plan.requests.length >= plan.lowerBoundTight, 'fewer PDUs than the lower bound: the bound or the sizes are wrong');
  ok(plan.lowerBoundTight >= plan.lowerBound, 'tight bound below the plain bound');
}

describe('planReads', () => {
  it('covers every tag exactly once and never exceeds PDU size or 20 items (random tag maps)', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const tags = randomTags(seed);
      for (const pduSize of [240, 480, 960]) {
        const plan = planReads(tags, { pduSize });
        try {
          checkPlan(tags, plan, pduSize);
        } catch (e) {
          throw new Error(`seed ${seed}, pdu ${pduSize}: ${(e as Error).message}`);
        }
      }
    }
  });

  it('has a checker that catches broken plans (so the random test can fail)', () => {
    const tags = randomTags(7);
    const plan = planReads(tags, { pduSize: 240 });
    const dropped = { ...plan, requests: plan.requests.map((r, i) => (i === 0 ? { ...r, items: r.items.slice(1) } : r)) };
    expect(() => checkPlan(tags, dropped, 240)).toThrow();
    const fat = { ...plan, requests: [{ ...plan.requests[0]!, responseBytes: 241 }, ...plan.requests.slice(1)] };
    expect(() => checkPlan(tags, fat, 240)).toThrow(/over PDU 240/);
    const twice = { ...plan, ranges: plan.ranges.map((r, i) => (i === 1 ? { ...r, tags: [...r.tags, plan.ranges[0]!.tags[0]!] } : r)) };
    expect(() => checkPlan(tags, twice, 240)).toThrow(/is in 2 ranges/);
  });

  it('respects a smaller item limit', () => {
    const tags = Array.from({ length: 60 }, (_, i) => ({ name: `r${i}`, address: `DB${i + 1},REAL0` }));
    const plan = planReads(tags, { pduSize: 960, maxItems: 7 });
    expect(plan.requests.every((r) => r.items.length <= 7)).toBe(true);
    expect(plan.requests.length).toBe(Math.ceil(60 / 7));
  });

  it('caps items at 19 when 20 request items would not fit a 240-byte PDU', () => {
    const tags = Array.from({ length: 40 }, (_, i) => ({ name: `r${i}`, address: `DB${i + 1},INT0` }));
    const plan = planReads(tags, { pduSize: 240 });
    expect(plan.maxItems).toBe(19);
    expect(Math.max(...plan.requests.map((r) => r.items.length))).toBe(19);
  });

  it('merges across small gaps when that saves requests, and keeps far-apart tags separate when it does not', () => {
    // 25 REALs 12 bytes apart in one DB: the nodes7 crash case; merged into one range, one request
    const spaced = Array.from({ length: 25 }, (_, i) => ({ name: `v${i}`, address: `DB1,REAL${i * 12}` }));
    const p1 = planReads(spaced, { pduSize: 960 });
    expect(p1.requests.length).toBe(1);
    expect(p1.requests[0]!.items.length).toBeLessThanOrEqual(20);
    // two tags 5000 bytes apart: reading the gap would cost several PDUs, two items cost one
    const far = [{ name: 'a', address: 'DB1,REAL0' }, { name: 'b', address: 'DB1,REAL5000' }];
    const p2 = planReads(far, { pduSize: 240 });
    expect(p2.requests.length).toBe(1);
    expect(p2.readBytes).toBe(8);
  });

  it('splits a range longer than one PDU and reaches the lower bound', () => {
    const tags = [{ name: 'head', address: 'DB5,INT0' }, { name: 's', address: 'DB5,S2.254' }, ...Array.from({ length: 400 }, (_, i) => ({ name: `x${i}`, address: `DB5,REAL${258 + i * 4}` }))];
    const plan = planReads(tags, { pduSize: 240 });
    expect(plan.ranges.length).toBe(1);
    expect(plan.tagBytes).toBe(258 + 1600);
    expect(plan.lowerBound).toBe(Math.ceil(1858 / usablePayload(240)));
    expect(plan.requests.length).toBe(plan.lowerBound);
    checkPlan(tags, plan, 240);
  });

  it('refuses duplicate names and bad addresses with the tag named', () => {
    expect(() => planReads([{ name: 'a', address: 'DB1,REAL0' }, { name: 'a', address: 'DB1,REAL4' }], { pduSize: 480 })).toThrow(/tag a appears twice/);
    expect(() => planReads([{ name: 'q', address: 'MW10' }], { pduSize: 480 })).toThrow(/tag q: "MW10" is not an S7 address/);
  });

  // The plain bound ceil(tag bytes / payload) ignores item headers and gaps; at 240 bytes (S7-1200)
  // the plant's ~200 bytes in 9-10 separate spans cannot fit one PDU (item headers + gaps > 226), so
  // there the planner is held to 1.1 x the tight bound, which includes them.
  it('plans the plant S7 machines within 1.1 x the lower bound', () => {
    const plant = loadPlant();
    const s7 = plant.machines.filter((m) => m.interface.type === 's7');
    expect(s7.length).toBe(5);
    for (const pduSize of [240, 480, 960]) {
      let pdus = 0;
      let bound = 0;
      let tight = 0;
      for (const m of s7) {
        const plan = planReads(m.tags, { pduSize });
        checkPlan(m.tags, plan, pduSize);
        expect(plan.requests.length, `${m.id} @${pduSize}`).toBeLessThanOrEqual(Math.max(plan.lowerBoundTight, Math.floor(1.1 * plan.lowerBoundTight)));
        pdus += plan.requests.length;
        bound += plan.lowerBound;
        tight += plan.lowerBoundTight;
      }
      expect(pdus / tight).toBeLessThanOrEqual(1.1);
      if (pduSize >= 480) expect(pdus / bound).toBeLessThanOrEqual(1.1);
    }
  });
});
