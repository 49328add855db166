/**
 * The acceptance figures of a scenario run, from three independent records: the ERP simulator's
 * own log of confirmations, the job manager's jobs and the machine simulators' ground truth.
 */
export interface ErpConfirmation {
  confirmationId: string;
  orderId: string;
  operation: string;
  goodQuantity: number;
  scrapQuantity: number;
  final: boolean;
}

export interface CompletedJob {
  id: string;
  orderId: string;
  operation: string;
  good: number;
}

export interface ScenarioVerdict {
  orders: number;
  jobs_completed: number;
  confirmations_at_erp: number;
  /** operations confirmed final more than once (each extra final confirmation counts) */
  duplicate_confirmations: number;
  /** completed jobs with no final confirmation at the ERP once the run has settled */
  lost_confirmations: number;
  /** completed jobs whose confirmed good quantity differs from what the simulators really produced */
  quantity_mismatches: number;
  /** repeated confirmation ids the ERP refused: resends after a crash, harmless by design */
  resends_refused_by_erp: number;
  mismatches: { jobId: string; orderId: string; confirmedGood: number; truthGood: number }[];
  lost: string[];
}

export function judge(input: {
  orders: number;
  completed: CompletedJob[];
  confirmations: ErpConfirmation[];
  duplicatesRejected: number;
  /** good parts per job id according to the simulators' ground truth */
  truthGoodByJob: Record<string, number>;
}): ScenarioVerdict {
  const byOp = new Map<string, ErpConfirmation[]>();
  for (const c of input.confirmations) {
    const k = `${c.orderId}/${c.operation}`;
    byOp.set(k, [...(byOp.get(k) ?? []), c]);
  }
  let duplicates = 0;
  for (const list of byOp.values()) duplicates += Math.max(0, list.filter((c) => c.final).length - 1);
  const lost: string[] = [];
  const mismatches: ScenarioVerdict['mismatches'] = [];
  for (const j of input.completed) {
    const list = byOp.get(`${j.orderId}/${j.operation}`) ?? [];
    if (!list.some((c) => c.final)) {
      lost.push(j.id);
      continue;
    }
    // confirmations carry yields per confirmation (partial ones add up), as ERPs book them
    const confirmedGood = list.reduce((s, c) => s + c.goodQuantity, 0);
    const truthGood = input.truthGoodByJob[j.id] ?? 0;
    if (confirmedGood !== truthGood) mismatches.push({ jobId: j.id, orderId: j.orderId, confirmedGood, truthGood });
  }
  return {
    orders: input.orders,
    jobs_completed: input.completed.length,
    confirmations_at_erp: input.confirmations.length,
    duplicate_confirmations: duplicates,
    lost_confirmations: lost.length,
    quantity_mismatches: mismatches.length,
    resends_refused_by_erp: input.duplicatesRejected,
    mismatches,
    lost,
  };
}

export const failed = (v: ScenarioVerdict) => v.duplicate_confirmations > 0 || v.lost_confirmations > 0 || v.quantity_mismatches > 0;
