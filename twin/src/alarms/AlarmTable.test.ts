import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { AlarmEpisode } from '../lib/api/types.js';
import AlarmTable from './AlarmTable.svelte';

const raised = Date.UTC(2026, 11, 7, 8, 0, 0);
const episodes: AlarmEpisode[] = [
  { machineId: 'PRS-01', code: 17, text: 'Die clamp pressure low', severity: 'fault', raisedAt: raised, clearedAt: null, ack: null },
  { machineId: 'IMM-01', code: 3, text: 'Hopper low', severity: 'warn', raisedAt: raised - 60_000, clearedAt: null, ack: { by: 'sup1', at: raised + 30_000, comment: 'refilled' } },
];

describe('AlarmTable', () => {
  it('shows who acknowledged and when, and acknowledges with a comment', async () => {
    const onack = vi.fn(async () => null);
    render(AlarmTable, { episodes, mode: 'active', gate: { allowed: true, reason: '' }, gateId: 'g', onack });
    expect(screen.getByText(/sup1, /).textContent).toMatch(/^sup1, \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(screen.getByText('refilled')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Acknowledge 17 on PRS-01' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByText(/Write what was done or found/)).toBeTruthy();
    expect(onack).not.toHaveBeenCalled();
    await fireEvent.input(screen.getByLabelText(/Comment/), { target: { value: 'clamp re-seated' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(onack).toHaveBeenCalledWith(episodes[0], 'clamp re-seated');
  });

  it('keeps the action disabled with the reason for a viewer', () => {
    render(AlarmTable, { episodes, mode: 'active', gate: { allowed: false, reason: 'Needs role supervisor, engineer, admin' }, gateId: 'why', onack: vi.fn() });
    const b = screen.getByRole('button', { name: 'Acknowledge 17 on PRS-01' }) as HTMLButtonElement;
    expect(b.disabled).toBe(true);
    expect(b.title).toBe('Needs role supervisor, engineer, admin');
    expect(b.getAttribute('aria-describedby')).toBe('why');
  });
});
