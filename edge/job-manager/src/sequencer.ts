import type { Job } from './schema.js';

/**
 * Decides the order in which a machine takes its eligible released jobs. The default rule is
 * priority, then due date; the cloud's optimised schedule plugs in here later.
 */
export interface Sequencer {
  readonly name: string;
  order(machineId: string, candidates: readonly Job[]): Job[];
}

export const priorityThenDueDate: Sequencer = {
  name: 'priority-due-date',
  order: (_machineId, candidates) =>
    [...candidates].sort((a, b) => a.priority - b.priority || a.due_date.getTime() - b.due_date.getTime() || a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id)),
};
