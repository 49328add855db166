import { addFacts, emptyFacts, type OeeFacts } from './facts.js';

/**
 * OEE per ISO 22400-2 from summed facts. Times in seconds. Ratios are null where their
 * denominator is zero (e.g. no planned busy time), never a made-up 0 or 100 %.
 */
export interface OeeKpis {
  /** PBT: shift time minus planned breaks, within the range */
  plannedBusyTime: number;
  /** part of PBT without trustworthy data (quality not good, pod offline or unreachable machine) */
  noDataTime: number;
  /** PBT with data: the base of availability */
  coveredTime: number;
  /** APT: time in running, including small stops (a speed loss, not downtime) */
  actualProductionTime: number;
  /** AUST: time in setup / changeover */
  actualUnitSetupTime: number;
  /** ADOT + ADET: down and delay time by reason, small stops excluded */
  actualUnitDownTime: number;
  downtimeByReason: { fault: number; starved: number; blocked: number; idle: number; off: number; maintenance: number };
  smallStopTime: number;
  smallStops: number;
  producedQuantity: number;
  goodQuantity: number;
  scrapQuantity: number;
  /** sum of PRI x produced quantity over parts with a known PRI (seconds) */
  plannedRunTime: number;
  availability: number | null;
  effectiveness: number | null;
  qualityRatio: number | null;
  oee: number | null;
  /** where covered time went, seconds: downtime + setup + small stops + reduced speed + scrap + net good production = covered time */
  losses: {
    downtime: number;
    setup: number;
    smallStops: number;
    reducedSpeed: number;
    scrap: number;
    netProductive: number;
  };
  issues: string[];
}

const s = (ms: number) => Math.round(ms) / 1000;
const ratio = (num: number, den: number) => (den > 0 ? num / den : null);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function kpisOf(f: OeeFacts): OeeKpis {
  const covered = f.pbtMs - f.noDataMs;
  const down = f.faultMs + f.starvedMs + f.blockedMs + f.idleMs + f.offMs + f.maintMs;
  const availability = ratio(f.aptMs, covered);
  const effectiveness = ratio(f.idealMs, f.aptMs);
  const qualityRatio = ratio(f.good, f.produced);
  const oee = availability !== null && effectiveness !== null && qualityRatio !== null ? availability * effectiveness * qualityRatio : availability === 0 ? 0 : null;
  const issues: string[] = [];
  if (effectiveness !== null && effectiveness > 1) issues.push(`effectiveness ${pct(effectiveness)} is above 100 %: the ideal cycle time of a part is longer than the machine runs, or parts were counted outside the time they were made in (reported as measured, not capped)`);
  if (f.unknownQty > 0) issues.push(`${f.unknownQty} produced parts have a part number without an ideal cycle time in the plant model: effectiveness leaves them out`);
  if (f.noDataMs > 0) issues.push(`${s(f.noDataMs)} s of planned busy time had no trustworthy data (pod offline, machine unreachable or quality not good): neither running nor down, ratios cover the remaining ${s(covered)} s`);
  if (f.noDataQty > 0) issues.push(`${f.noDataQty} parts were counted while the machine state was unknown`);
  if (f.produced > 0 && f.aptMs === 0) issues.push(`${f.produced} parts were counted without any running time`);
  return {
    plannedBusyTime: s(f.pbtMs),
    noDataTime: s(f.noDataMs),
    coveredTime: s(covered),
    actualProductionTime: s(f.aptMs),
    actualUnitSetupTime: s(f.setupMs),
    actualUnitDownTime: s(down),
    downtimeByReason: { fault: s(f.faultMs), starved: s(f.starvedMs), blocked: s(f.blockedMs), idle: s(f.idleMs), off: s(f.offMs), maintenance: s(f.maintMs) },
    smallStopTime: s(f.smallMs),
    smallStops: f.smallN,
    producedQuantity: f.produced,
    goodQuantity: f.good,
    scrapQuantity: f.scrap,
    plannedRunTime: s(f.idealMs),
    availability,
    effectiveness,
    qualityRatio,
    oee,
    losses: {
      downtime: s(down),
      setup: s(f.setupMs),
      smallStops: s(f.smallMs),
      reducedSpeed: s(f.aptMs - f.smallMs - f.idealMs),
      scrap: s(f.idealMs - f.idealGoodMs),
      netProductive: s(f.idealGoodMs),
    },
    issues,
  };
}

/** Sums facts grouped by a key. */
export function groupFacts<T>(rows: readonly T[], key: (r: T) => string | null, facts: (r: T) => OeeFacts): Map<string, OeeFacts> {
  const out = new Map<string, OeeFacts>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    let f = out.get(k);
    if (!f) out.set(k, (f = emptyFacts()));
    addFacts(f, facts(r));
  }
  return out;
}
