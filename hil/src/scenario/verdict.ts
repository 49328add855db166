import type { ReportCase } from '@plant-twin/contracts';
import { CaseLog, failed as failedCase, passed } from '../cases.js';

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

/** The verdict as acceptance report cases (the HIL reports' model): one per rule, and one per wrong quantity. */
export function verdictCases(v: ScenarioVerdict, outboxSettled: boolean): ReportCase[] {
  const log = new CaseLog('plant');
  const count = (name: string, n: number, what: string, fix: string) =>
    log.add(name, n === 0 ? passed({ figures: { count: 0 } }) : failedCase({ message: `${n} ${what}`, expected: '0', seen: String(n), fix, figures: { count: n } }));
  count('each operation confirmed final once', v.duplicate_confirmations, 'extra final confirmation(s) at the ERP', 'see the job manager outbox: confirmation ids must derive from the job');
  count('every completed job confirmed', v.lost_confirmations, `completed job(s) without a final confirmation: ${v.lost.slice(0, 10).join(', ')}`, 'see the job manager outbox and the ERP sync log');
  log.add('outbox settled', outboxSettled ? passed() : failedCase({ message: 'confirmations still pending after 3 min', expected: 'empty outbox', seen: 'pending confirmations' }));
  log.add(
    'confirmed quantities equal what the machines made',
    v.quantity_mismatches === 0
      ? passed({ figures: { jobs: v.jobs_completed } })
      : failedCase({
          message: v.mismatches.slice(0, 10).map((m) => `job ${m.jobId} (order ${m.orderId}) confirmed ${m.confirmedGood} good, made ${m.truthGood}`).join('; '),
          expected: 'confirmed good = the simulators\' good parts per job',
          seen: `${v.quantity_mismatches} job(s) differ`,
          fix: 'compare the job\'s counts in the job manager with the machine\'s (pod job agent)',
        }),
  );
  return log.cases;
}
