import type { ScheduleProblemInput } from '../problem.js';

/** Monday 2 March 2026, 06:00 in Berlin */
export const monday6 = Date.UTC(2026, 2, 2, 5, 0);
export const minute = 60_000;

/**
 * A small problem for tests: two machines that both make parts A and B (family f1) and C (family f2), one
 * day shift with a break, jobs of 30 to 120 minutes with due dates through the day.
 */
export function smallProblem(jobs = 6): ScheduleProblemInput {
  const parts = [
    { partNumber: 'A-1', family: 'f1', idealCycleS: 60 },
    { partNumber: 'B-1', family: 'f1', idealCycleS: 30 },
    { partNumber: 'C-1', family: 'f2', idealCycleS: 120 },
  ];
  const spec = [
    ['A-1', 60, 180, 5],
    ['C-1', 30, 240, 2],
    ['B-1', 100, 200, 8],
    ['A-1', 45, 300, 4],
    ['C-1', 20, 360, 6],
    ['B-1', 160, 420, 3],
    ['A-1', 90, 480, 7],
  ] as const;
  return {
    start: monday6,
    timezone: 'Europe/Berlin',
    shifts: [{ name: 'day', start: '06:00', end: '14:00', breaks: [{ start: '09:00', minutes: 15 }], days: [1, 2, 3, 4, 5, 6, 7] }],
    machines: [
      { id: 'M-1', parts, setupMin: 30, setupSameFamilyMin: 10, currentPart: 'A-1' },
      { id: 'M-2', parts: parts.map((p) => ({ ...p, idealCycleS: p.idealCycleS * 1.25 })), setupMin: 20, setupSameFamilyMin: 5, performance: 0.9, scrapRate: 0.02 },
    ],
    jobs: spec.slice(0, jobs).map(([partNumber, quantity, dueMin, priority], i) => ({
      id: `J${i + 1}`,
      partNumber,
      quantity,
      dueDate: monday6 + dueMin * minute,
      priority,
      eligibleMachines: i === 1 ? ['M-2'] : ['M-1', 'M-2'],
    })),
  };
}
