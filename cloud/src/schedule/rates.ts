import type { Kysely } from 'kysely';
import type { MachineRates } from '@plant-twin/contracts';
import type { HistoryReads } from '../bounds.js';
import type { CloudTables } from '../db/schema.js';
import type { OeeModel } from '../oee/model.js';
import { queryOee } from '../oee/query.js';
import type { OeeKpis } from '../oee/kpi.js';

/**
 * How fast each machine really works, from its OEE history (ISO 22400: effectiveness, availability,
 * quality ratio over the last `days`): the scheduler plans a job's time as ideal cycle x quantity /
 * (performance x availability x (1 - scrap)). A machine with less than `minHours` of production time in
 * that window takes the plant's figures (all machines together), and with too little history anywhere the
 * ideal (1, 1, 0): the source is reported per machine. Figures are clamped to what the scheduler accepts.
 */
export interface RatesOptions {
  days: number;
  minHours: number;
  /** answers are kept this long (a plan, its edits and re-plans use the same figures) */
  cacheMs: number;
}

export const defaultRatesOptions: RatesOptions = { days: 7, minHours: 1, cacheMs: 5 * 60_000 };

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function ratesOf(k: OeeKpis, source: MachineRates['source']): MachineRates | null {
  const hours = k.actualProductionTime / 3600;
  if (k.effectiveness === null || k.availability === null || k.qualityRatio === null) return null;
  return {
    performance: clamp(k.effectiveness, 0.05, 2),
    availability: clamp(k.availability, 0.05, 1),
    scrapRate: clamp(1 - k.qualityRatio, 0, 0.95),
    source,
    hours: Math.round(hours * 100) / 100,
  };
}

export class MachineRatesSource {
  private cached: { at: number; rates: Record<string, MachineRates> } | null = null;

  constructor(
    private readonly reads: HistoryReads,
    private readonly model: OeeModel,
    private readonly opts: RatesOptions = defaultRatesOptions,
  ) {}

  async rates(now = Date.now()): Promise<Record<string, MachineRates>> {
    if (this.cached && now - this.cached.at < this.opts.cacheMs) return this.cached.rates;
    const report = await this.reads.run((db, signal) => queryOee(db as Kysely<CloudTables>, this.model, { from: now - this.opts.days * 86_400_000, to: now, signal }));
    const enough = (k: OeeKpis) => k.actualProductionTime >= this.opts.minHours * 3600;
    const plant = enough(report.plant) ? ratesOf(report.plant, 'plant') : null;
    const rates: Record<string, MachineRates> = {};
    for (const id of this.model.machineIds) {
      const k = report.machines[id];
      const ideal: MachineRates = { performance: 1, availability: 1, scrapRate: 0, source: 'ideal', hours: Math.round(((k?.actualProductionTime ?? 0) / 3600) * 100) / 100 };
      rates[id] = (k && enough(k) ? ratesOf(k, 'machine') : null) ?? plant ?? ideal;
    }
    this.cached = { at: now, rates };
    return rates;
  }
}
