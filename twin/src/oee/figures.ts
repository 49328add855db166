import type { OeeKpisView as OeeKpis } from '../lib/api/types.js';

/** The downtime reasons of the cloud's OEE (ISO 22400 ADOT/ADET), in the Pareto's tie order. */
export const downtimeReasons = ['fault', 'starved', 'blocked', 'idle', 'off', 'maintenance'] as const satisfies readonly (keyof OeeKpis['downtimeByReason'])[];
export type DowntimeReason = (typeof downtimeReasons)[number];

/**
 * How the twin turns the cloud's OEE figures into what it shows. The rounding rule is part of the
 * contract with the REST API (the end-to-end test compares the screen with GET /oee through it):
 * a ratio is shown as a percentage with one decimal, `(ratio × 100).toFixed(1)`, i.e. rounded half away
 * from zero on the exact binary value; a null ratio (its denominator is 0) is shown as "no value",
 * never as 0 %. Ratios above 100 % are shown as measured (the cloud flags them in `issues`).
 */
export function percentText(ratio: number | null | undefined): string | null {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return null;
  const text = (ratio * 100).toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}

/** The ratios of a scope, in the order shown (keys of the report and of the catalogue's `oee.*`). */
export const ratioKeys = ['availability', 'effectiveness', 'qualityRatio', 'oee'] as const satisfies readonly (keyof OeeKpis)[];

/** One row of an OEE table: a scope (machine, shift, part) and its figures. */
export interface OeeRow {
  key: string;
  label: string;
  /** a second, quieter line under the label (a machine's name) */
  sub?: string;
  /** a link that shows this row's scope */
  href?: string;
  kpis: OeeKpis;
}

export type LossKey = `down.${DowntimeReason}` | 'setup' | 'smallStops' | 'speed' | 'scrap';

/** The Pareto's categories in a fixed order, used to break ties so the chart never reshuffles. */
export const lossKeys: readonly LossKey[] = [...downtimeReasons.map((r) => `down.${r}` as const), 'setup', 'smallStops', 'speed', 'scrap'];

export interface ParetoBar {
  key: LossKey;
  seconds: number;
  /** of all losses shown */
  share: number;
  /** running sum of `share`, the Pareto's line */
  cumulative: number;
  /** of the covered time (planned busy time with data): the same base as availability */
  ofCovered: number | null;
}

/** The seconds of one loss category in the cloud's breakdown (reduced speed may be negative). */
export function lossSeconds(k: OeeKpis, key: LossKey): number {
  switch (key) {
    case 'setup':
      return k.losses.setup;
    case 'smallStops':
      return k.losses.smallStops;
    case 'speed':
      return k.losses.reducedSpeed;
    case 'scrap':
      return k.losses.scrap;
    default:
      return k.downtimeByReason[key.slice('down.'.length) as DowntimeReason];
  }
}

/**
 * The loss Pareto of one scope: downtime by reason, setup, small stops, reduced speed and scrap from
 * the cloud's loss breakdown, largest first. Losses of zero or less are left out: a negative speed loss
 * means effectiveness above 100 %, which the cloud reports as an issue, not as a loss.
 */
export function lossPareto(k: OeeKpis): ParetoBar[] {
  const bars = lossKeys
    .map((key, order) => ({ key, order, seconds: lossSeconds(k, key) }))
    .filter((b) => b.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds || a.order - b.order);
  const total = bars.reduce((s, b) => s + b.seconds, 0);
  let running = 0;
  return bars.map(({ key, seconds }) => {
    running += seconds;
    return { key, seconds, share: seconds / total, cumulative: running / total, ofCovered: k.coveredTime > 0 ? seconds / k.coveredTime : null };
  });
}
