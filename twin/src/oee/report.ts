/**
 * The GET /api/v1/oee reply as the cloud reports it (cloud/src/oee/query.ts, kpi.ts; ISO 22400-2):
 * times in seconds, ratios 0..1 or null where their denominator is 0, losses adding up to the covered
 * time. The twin shows these figures; it never computes its own OEE.
 */
export interface OeeKpis {
  plannedBusyTime: number;
  noDataTime: number;
  coveredTime: number;
  actualProductionTime: number;
  actualUnitSetupTime: number;
  actualUnitDownTime: number;
  downtimeByReason: Record<DowntimeReason, number>;
  smallStopTime: number;
  smallStops: number;
  producedQuantity: number;
  goodQuantity: number;
  scrapQuantity: number;
  plannedRunTime: number;
  availability: number | null;
  effectiveness: number | null;
  qualityRatio: number | null;
  oee: number | null;
  losses: { downtime: number; setup: number; smallStops: number; reducedSpeed: number; scrap: number; netProductive: number };
  issues: string[];
}

export const downtimeReasons = ['fault', 'starved', 'blocked', 'idle', 'off', 'maintenance'] as const;
export type DowntimeReason = (typeof downtimeReasons)[number];

export interface OeeBreakdown extends OeeKpis {
  byShift: Record<string, OeeKpis>;
  byPart: Record<string, OeeKpis>;
  outsidePlanned: { producedQuantity: number; goodQuantity: number; scrapQuantity: number };
}

/** One period of the trend (`by=day` or `by=shift`). */
export interface OeePeriod {
  from: number;
  to: number;
  label?: string;
  plant: OeeKpis;
  machines?: Record<string, OeeKpis>;
}

export interface OeeReport {
  from: number;
  /** the requested end, cut at the plant's latest data */
  to: number;
  plant: OeeBreakdown;
  machines: Record<string, OeeBreakdown>;
  periods?: OeePeriod[];
}

export const ratioKeys = ['availability', 'effectiveness', 'qualityRatio', 'oee'] as const;
export type RatioKey = (typeof ratioKeys)[number];
