import type { OeePeriod } from '@plant-twin/contracts';
import { api } from '../lib/api/index.js';
import type { OeeReportView } from '../lib/api/types.js';
import { RangeData, type RangeBounds } from '../period/rangeData.svelte.js';

/** Days in the OEE trend: the production day of the range's end and the ones before it. */
export const trendDays = 14;
const dayMs = 86_400_000;

interface OeeData {
  report: OeeReportView;
  trend: OeePeriod[];
  trendSpan: RangeBounds;
}

async function fetchOee({ from, to }: RangeBounds): Promise<OeeData> {
  // the trend's days come from the calendar too: 13 days back from the last day's start may cross a DST change
  const lastDay = (await api.calendarRanges('day', to - 1)).current;
  const firstDay = (await api.calendarRanges('day', lastDay.from - (trendDays - 1) * dayMs + dayMs / 2)).current;
  const [report, trend] = await Promise.all([api.oee({ from, to }), api.oee({ from: firstDay.from, to: lastDay.to, by: 'day' })]);
  return { report, trend: trend.trend ?? [], trendSpan: { from: firstDay.from, to: lastDay.to } };
}

/**
 * The OEE view's data: the plant-calendar range asked for (kind + a time inside it), the cloud's
 * report for it and a trend by production day ending with it.
 */
export class OeePage extends RangeData<void, OeeData> {
  constructor() {
    super(fetchOee);
  }

  get report(): OeeReportView | null {
    return this.data?.report ?? null;
  }
  get trend(): OeePeriod[] | null {
    return this.data?.trend ?? null;
  }
  get trendSpan(): RangeBounds | null {
    return this.data?.trendSpan ?? null;
  }
}
