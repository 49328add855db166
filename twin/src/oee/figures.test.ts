import { describe, expect, it } from 'vitest';
import { lossPareto, percentText } from './figures.js';
import type { OeeKpisView as OeeKpis } from '../lib/api/types.js';

function kpis(over: Partial<OeeKpis> = {}): OeeKpis {
  return {
    plannedBusyTime: 27_000,
    noDataTime: 0,
    coveredTime: 27_000,
    actualProductionTime: 20_000,
    actualUnitSetupTime: 1_200,
    actualUnitDownTime: 5_800,
    downtimeByReason: { fault: 3_000, starved: 600, blocked: 0, idle: 2_200, off: 0, maintenance: 0 },
    smallStopTime: 400,
    smallStops: 7,
    producedQuantity: 6_000,
    goodQuantity: 5_900,
    scrapQuantity: 100,
    plannedRunTime: 18_000,
    availability: 20_000 / 27_000,
    effectiveness: 0.9,
    qualityRatio: 5_900 / 6_000,
    oee: (20_000 / 27_000) * 0.9 * (5_900 / 6_000),
    losses: { downtime: 5_800, setup: 1_200, smallStops: 400, reducedSpeed: 1_600, scrap: 300, netProductive: 17_700 },
    issues: [],
    ...over,
  };
}

describe('percentText', () => {
  it('shows a ratio as a percentage with one decimal, half away from zero on the binary value', () => {
    expect(percentText(0.8125)).toBe('81.3');
    expect(percentText(0.81249)).toBe('81.2');
    expect(percentText(20_000 / 27_000)).toBe('74.1');
    expect(percentText(1)).toBe('100.0');
    expect(percentText(1.0234)).toBe('102.3'); // above 100 %: as measured
    expect(percentText(0)).toBe('0.0');
    expect(percentText(-0.00001)).toBe('0.0');
  });
  it('has no text for a missing ratio: the view says "no value", never 0 %', () => {
    expect(percentText(null)).toBeNull();
    expect(percentText(undefined)).toBeNull();
    expect(percentText(Number.NaN)).toBeNull();
  });
});

describe('lossPareto', () => {
  it('orders losses largest first with shares and the cumulative line, zero losses left out', () => {
    const bars = lossPareto(kpis());
    expect(bars.map((b) => b.key)).toEqual(['down.fault', 'down.idle', 'speed', 'setup', 'down.starved', 'smallStops', 'scrap']);
    const total = 3_000 + 2_200 + 1_600 + 1_200 + 600 + 400 + 300;
    expect(bars[0]).toEqual({ key: 'down.fault', seconds: 3_000, share: 3_000 / total, cumulative: 3_000 / total, ofCovered: 3_000 / 27_000 });
    expect(bars.at(-1)!.cumulative).toBeCloseTo(1, 12);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.cumulative).toBeGreaterThan(bars[i - 1]!.cumulative);
  });

  it('breaks ties in the fixed category order (downtime reasons, setup, small stops, speed, scrap)', () => {
    const k = kpis({
      downtimeByReason: { fault: 0, starved: 0, blocked: 500, idle: 0, off: 0, maintenance: 500 },
      losses: { downtime: 1_000, setup: 500, smallStops: 0, reducedSpeed: 500, scrap: 500, netProductive: 0 },
    });
    expect(lossPareto(k).map((b) => b.key)).toEqual(['down.blocked', 'down.maintenance', 'setup', 'speed', 'scrap']);
  });

  it('leaves out a negative speed loss (effectiveness above 100 %) and has no bars without losses', () => {
    const k = kpis({ losses: { downtime: 5_800, setup: 1_200, smallStops: 400, reducedSpeed: -250, scrap: 300, netProductive: 17_700 } });
    expect(lossPareto(k).some((b) => b.key === 'speed')).toBe(false);
    const none = kpis({
      coveredTime: 0,
      downtimeByReason: { fault: 0, starved: 0, blocked: 0, idle: 0, off: 0, maintenance: 0 },
      losses: { downtime: 0, setup: 0, smallStops: 0, reducedSpeed: 0, scrap: 0, netProductive: 0 },
    });
    expect(lossPareto(none)).toEqual([]);
  });
});
