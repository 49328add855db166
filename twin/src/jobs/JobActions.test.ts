import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { Command, JobDto } from '@plant-twin/contracts';
import JobActions from './JobActions.svelte';

const job: JobDto = {
  id: 'ORD-7-10',
  orderId: 'ORD-7',
  operation: '10',
  orderVersion: 1,
  partNumber: 'BRK-4411',
  workCenter: 'press',
  quantity: 100,
  dispatchedQuantity: null,
  dueDate: '2026-12-08T12:00:00.000Z',
  priority: 5,
  eligibleMachines: ['PRS-01'],
  status: 'released',
  machineId: null,
  good: 0,
  scrap: 0,
  cancelRequested: false,
  dispatchAttempts: 0,
  startedAt: null,
  endedAt: null,
  message: null,
  createdAt: '2026-12-07T06:00:00.000Z',
  updatedAt: '2026-12-07T06:00:00.000Z',
};
const open = { allowed: true, reason: '' };
const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

describe('JobActions', () => {
  it('offers what the status allows and sends the command with priority and reason', async () => {
    const onsend = vi.fn(async () => null);
    render(JobActions, { job, open: [], gate: open, onsend });
    expect(button('Hold').disabled).toBe(false);
    expect(button('Release').disabled).toBe(true);
    expect(button('Release').title).toBe('Not possible while the job is Released');
    expect(screen.getByText('Release: Not possible while the job is Released')).toBeTruthy();

    await fireEvent.input(screen.getByLabelText(/Reason/), { target: { value: ' material late ' } });
    await fireEvent.click(button('Hold'));
    expect(onsend).toHaveBeenCalledWith({ action: 'hold', reason: 'material late' });

    const prio = screen.getByLabelText(/Priority/) as HTMLInputElement;
    expect(button('Set priority').disabled).toBe(true); // unchanged priority
    await fireEvent.input(prio, { target: { value: '2' } });
    await fireEvent.click(button('Set priority'));
    expect(onsend).toHaveBeenLastCalledWith({ action: 'priority', priority: 2 });
  });

  it('disables every action with the gate reason for a viewer, shown as text', () => {
    render(JobActions, { job, open: [], gate: { allowed: false, reason: 'Needs role planner, admin' }, onsend: vi.fn() });
    for (const name of ['Release', 'Hold', 'Cancel job', 'Set priority']) expect(button(name).disabled).toBe(true);
    expect(button('Hold').title).toBe('Needs role planner, admin');
    expect(screen.getByText('Needs role planner, admin')).toBeTruthy();
  });

  it('waits while a command of the job is open, and shows a refusal with the reason', async () => {
    const pending: Command = { id: '00000000-0000-4000-8000-000000000001', seq: 1, type: 'job.hold', target: job.id, args: {}, createdBy: 'p', createdAt: 1, expiresAt: 2, status: 'pending' };
    const view = render(JobActions, { job, open: [pending], gate: open, onsend: vi.fn() });
    expect(button('Hold').disabled).toBe(true);
    expect(screen.getByText('Waiting for the previous command (Hold: Pending)')).toBeTruthy();

    await view.rerender({ job, open: [], gate: open, onsend: vi.fn(async () => 'needs role planner or admin') });
    await fireEvent.click(button('Hold'));
    expect(await screen.findByText('Command not sent: needs role planner or admin')).toBeTruthy();
  });
});
