import { describe, expect, it } from 'vitest';
import type { Command, StoredPlan } from '@plant-twin/contracts';
import { plantFormat } from '../lib/time.js';
import { barsIn, dropPosition, dueStatus, focusStep, ganttModel, keyboardTarget, ticks, tickStepMs } from './gantt.js';
import { SchedulePage } from './page.svelte.js';

const h = 3_600_000;
const t0 = Date.UTC(2026, 2, 2, 5, 0); // 06:00 in Berlin
const job = (jobId: string, machineId: string, position: number, from: number, end: number, o: Partial<StoredPlan['plan']['machines'][number]['jobs'][number]> = {}) => ({
  jobId, machineId, position, partNumber: 'P', setupFrom: null, setupMin: 0, processingMin: (end - from) / 60_000, setupStart: from, start: from, end,
  segments: [{ kind: 'run' as const, from, to: end }], dueDate: end + 2 * h, tardinessMin: 0, weight: 1, weightedTardiness: 0, running: false, frozen: false, locked: false, ...o,
});
const machinePlan = (machineId: string, jobs: ReturnType<typeof job>[]) => ({ machineId, jobs, setupMin: 0, processingMin: 0, weightedTardiness: 0, completion: jobs.at(-1)?.end ?? null });
const stored = {
  id: 'p1',
  offShift: { 'M-1': [{ from: t0 + 3 * h, to: t0 + 3.25 * h, kind: 'off' as const }] },
  plan: {
    start: t0,
    machines: [
      machinePlan('M-1', [job('A', 'M-1', 0, t0, t0 + h, { running: true }), job('B', 'M-1', 1, t0 + h, t0 + 2 * h), job('C', 'M-1', 2, t0 + 2 * h, t0 + 4 * h)]),
      machinePlan('M-2', []),
      machinePlan('M-3', [job('D', 'M-3', 0, t0 + 0.5 * h, t0 + 1.5 * h, { dueDate: t0 + h, tardinessMin: 30 })]),
    ],
  },
} as unknown as StoredPlan;
const machines = [{ id: 'M-1', name: 'One' }, { id: 'M-2', name: 'Two' }, { id: 'M-3', name: 'Three' }];

describe('Gantt model and geometry', () => {
  const model = ganttModel(stored, machines, new Set(['C']));

  it('rows per machine in the plant order, bars with due-date status and flags', () => {
    expect(model.rows.map((r) => [r.machineId, r.bars.map((b) => b.jobId)])).toEqual([['M-1', ['A', 'B', 'C']], ['M-2', []], ['M-3', ['D']]]);
    expect(model.bars.get('D')).toMatchObject({ status: 'late', row: 2 });
    expect(model.bars.get('C')).toMatchObject({ moved: true, status: 'ontime' });
    expect(model.rows[0]!.off).toHaveLength(1);
    expect(dueStatus(t0, t0 + 30 * 60_000)).toBe('atrisk');
    expect(dueStatus(t0 + 1, t0)).toBe('late');
  });

  it('finds the bars in view by time and where a dropped job goes (never before the running one)', () => {
    expect(barsIn(model.rows[0]!, t0 + 1.5 * h, t0 + 2.5 * h).map((b) => b.jobId)).toEqual(['B', 'C']);
    expect(dropPosition(model, 0, t0, 'C')).toBe(1);
    expect(dropPosition(model, 0, t0 + 1.6 * h, 'C')).toBe(2);
    expect(dropPosition(model, 2, t0, 'B')).toBe(0);
    expect(dropPosition(model, 2, t0 + 5 * h, 'B')).toBe(1);
  });

  it('moves focus and a picked-up job with the arrow keys, only onto eligible machines', () => {
    const b = model.bars.get('B')!;
    expect(focusStep(model, b, 'ArrowRight').jobId).toBe('C');
    expect(focusStep(model, b, 'ArrowDown').jobId).toBe('D'); // M-2 has no jobs
    const eligible = new Set(['M-1', 'M-3']);
    expect(keyboardTarget(model, { row: 0, position: 1 }, 'ArrowLeft', 'B', eligible)).toEqual({ row: 0, position: 1 });
    expect(keyboardTarget(model, { row: 0, position: 1 }, 'ArrowRight', 'B', eligible)).toEqual({ row: 0, position: 2 });
    expect(keyboardTarget(model, { row: 0, position: 2 }, 'ArrowDown', 'B', eligible)).toEqual({ row: 2, position: 1 });
    expect(keyboardTarget(model, { row: 2, position: 1 }, 'ArrowDown', 'B', eligible)).toEqual({ row: 2, position: 1 });
  });

  it('puts ticks on the plant\'s whole hours, not the browser\'s', () => {
    const f = plantFormat('Asia/Kolkata'); // UTC+05:30: plant hours fall on UTC half hours
    const at = ticks(t0, t0 + 3 * h, tickStepMs(100), f.offsetMin);
    expect(at.map((x) => f.timeShort(x))).toEqual(['11:00', '12:00', '13:00']);
    expect(tickStepMs(10)).toBe(12 * h);
  });
});

describe('schedule page state', () => {
  it('follows a publication from pending to applied by live command events, never back', async () => {
    const plan = { ...stored, publication: { commandId: 'c1', status: 'pending', by: 'p', at: t0 } } as StoredPlan;
    const fake = { get: async () => ({ plan }), list: async () => ({ plans: [] }) } as unknown as ConstructorParameters<typeof SchedulePage>[0];
    const page = new SchedulePage(fake);
    await page.open('p1');
    const cmd = (status: Command['status']) => ({ id: 'c1', type: 'schedule.publish', status }) as Command;
    page.applyCommand(cmd('delivered'));
    expect(page.current?.publication?.status).toBe('delivered');
    page.applyCommand({ ...cmd('refused'), reason: 'this job manager has no job X' });
    expect(page.current?.publication).toMatchObject({ status: 'refused', reason: 'this job manager has no job X' });
    page.applyCommand(cmd('pending'));
    expect(page.current?.publication?.status).toBe('refused');
  });
});
