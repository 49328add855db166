import type { OeeKpisView } from '../lib/api/types.js';
import type { CsvColumn } from '../lib/csv.js';
import { t } from '../lib/i18n/index.js';
import { lossKeys, lossSeconds, percentText, ratioKeys } from './figures.js';

/** A row of the OEE export: one scope or period with every figure the view shows for it. */
export interface OeeCsvRow {
  section: string;
  name: string;
  from: number;
  to: number;
  kpis: OeeKpisView;
}

const pct = (label: string) => t('csv.unit.pct', { label });
const sec = (label: string) => t('csv.unit.s', { label });

/**
 * The columns of the OEE export: ratios as shown (one decimal, the view's rounding rule), times in
 * seconds and quantities as the API reports them, and every loss of the Pareto, so a spreadsheet can
 * redraw the view.
 */
export function oeeCsvColumns(): CsvColumn<OeeCsvRow>[] {
  return [
    { header: t('csv.section'), value: (r) => r.section },
    { header: t('oee.name'), value: (r) => r.name },
    { header: t('csv.from'), value: (r) => ({ time: r.from }) },
    { header: t('csv.to'), value: (r) => ({ time: r.to }) },
    ...ratioKeys.map((k): CsvColumn<OeeCsvRow> => ({ header: pct(t(`oee.${k}`)), value: (r) => percentText(r.kpis[k]) })),
    { header: sec(t('oee.pbt')), value: (r) => r.kpis.plannedBusyTime },
    { header: sec(t('oee.covered')), value: (r) => r.kpis.coveredTime },
    { header: sec(t('oee.noData')), value: (r) => r.kpis.noDataTime },
    { header: sec(t('oee.apt')), value: (r) => r.kpis.actualProductionTime },
    { header: t('oee.produced'), value: (r) => r.kpis.producedQuantity },
    { header: t('oee.good'), value: (r) => r.kpis.goodQuantity },
    { header: t('oee.scrap'), value: (r) => r.kpis.scrapQuantity },
    { header: t('oee.smallStopsN'), value: (r) => r.kpis.smallStops },
    ...lossKeys.map((k): CsvColumn<OeeCsvRow> => ({
      header: sec(t(`oee.loss.${k}`)),
      value: (r) => lossSeconds(r.kpis, k),
    })),
  ];
}

