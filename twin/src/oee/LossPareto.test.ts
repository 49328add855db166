import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { OeeKpisView } from '../lib/api/types.js';
import LossPareto from './LossPareto.svelte';

const kpis = {
  coveredTime: 10_000,
  downtimeByReason: { fault: 1_200, starved: 0, blocked: 300, idle: 0, off: 0, maintenance: 0 },
  losses: { downtime: 1_500, setup: 600, smallStops: 100, reducedSpeed: 800, scrap: 0, netProductive: 7_000 },
} as OeeKpisView;

describe('LossPareto', () => {
  it('lists the losses largest first with their share of the time with data and the cumulative share', () => {
    render(LossPareto, { kpis });
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-loss'))).toEqual(['down.fault', 'speed', 'setup', 'down.blocked', 'smallStops']);
    expect(rows[0]!.textContent).toContain('Down: fault');
    expect(rows[0]!.textContent).toContain('12.0 %'); // 1200 of 10000 s with data
    expect(rows[0]!.textContent).toContain('40.0 %'); // 1200 of 3000 s of losses
    expect(rows.at(-1)!.textContent).toContain('100.0 %');
  });

  it('says so when there are no losses', () => {
    render(LossPareto, { kpis: { ...kpis, downtimeByReason: { ...kpis.downtimeByReason, fault: 0, blocked: 0 }, losses: { ...kpis.losses, setup: 0, smallStops: 0, reducedSpeed: 0 } } });
    expect(screen.getByText('No losses in this range.')).toBeTruthy();
  });
});
