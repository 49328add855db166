import type { PlanOperation } from '@plant-twin/contracts';
import { t } from '../lib/i18n/index.js';

/** What made a plan, in words: a new plan, a planner's edit or a re-plan after an event. */
export function operationText(op: PlanOperation): string {
  switch (op.kind) {
    case 'create':
      return t('schedule.op.create');
    case 'move':
      return t('schedule.op.move', { job: op.jobId, machine: op.machineId, position: op.position + 1 });
    case 'lock':
      return t('schedule.op.lock', { job: op.jobId, machine: op.machineId });
    case 'unlock':
      return t('schedule.op.unlock', { job: op.jobId });
    case 'optimise':
      return t('schedule.op.optimise');
    case 'replan':
      return t(`schedule.op.replan.${op.event.kind}`, op.event.kind === 'fault' ? { machine: op.event.machineId, min: op.event.repairMin } : op.event.kind === 'refresh' ? {} : { job: op.event.jobId });
  }
}
