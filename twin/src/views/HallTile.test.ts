import { render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { live, plantLive } from '../lib/live/index.js';
import { plant } from '../lib/plant.svelte.js';
import { plantView, press, sixAm, snapshot } from '../testing/fixtures.js';
import HallTile from './HallTile.svelte';

describe('hall tile', () => {
  beforeEach(() => {
    plant.model = plantView();
    live.status = 'up';
    live.downSince = null;
  });
  afterEach(() => {
    live.status = 'idle';
  });

  it('shows state as icon and word, grey while normal, the part, job progress, and links to the machine', () => {
    plantLive.applySnapshot({
      serverTime: sixAm,
      machines: [snapshot({}, { job: { jobId: 'J-1001', partNumber: 'BRK-4412', quantity: 400, good: 120, scrap: 2, event: 'progress', ts: sixAm } })],
    });
    const { container } = render(HallTile, { machine: press });
    expect(screen.getByText('Running')).toBeTruthy();
    expect(screen.getByText('BRK-4412')).toBeTruthy();
    expect(screen.getByText('120 of 400')).toBeTruthy();
    expect(container.querySelector('[data-tone]')?.getAttribute('data-tone')).toBe('normal');
    expect(container.querySelector('svg.icon')).toBeTruthy();
    expect(container.querySelector('a')?.getAttribute('href')).toBe('/machines/PRS-01');
  });

  it('colours an abnormal state and shows its alarm text', () => {
    plantLive.applySnapshot({
      serverTime: sixAm,
      machines: [snapshot({ state: 'fault' }, { activeAlarms: [{ code: 101, text: 'Die protection sensor tripped', severity: 'fault', raisedAt: sixAm, ack: null }] })],
    });
    const { container } = render(HallTile, { machine: press });
    expect(container.querySelector('.badge .word')?.textContent).toBe('Fault');
    expect(container.querySelector('[data-tone]')?.getAttribute('data-tone')).toBe('alarm');
    expect(screen.getByText('Die protection sensor tripped')).toBeTruthy();
  });

  it('draws an offline machine as "no data since" in plant time, hatched, never in its last colour', () => {
    plantLive.applySnapshot({ serverTime: sixAm, machines: [snapshot({ state: 'fault', freshness: 'offline', staleSince: sixAm + 15_000 })] });
    const { container } = render(HallTile, { machine: press });
    expect(screen.getByText('No data since 06:00:15')).toBeTruthy();
    expect(screen.queryByText('Fault')).toBeNull();
    expect(container.querySelector('[data-tone]')?.getAttribute('data-tone')).toBe('nodata');
    expect(container.querySelector('.hatched')).toBeTruthy();
  });

  it('turns to "no data since" the moment the live connection drops', async () => {
    plantLive.applySnapshot({ serverTime: sixAm, machines: [snapshot({ lastSeen: sixAm + 60_000 })] });
    render(HallTile, { machine: press });
    expect(screen.getByText('Running')).toBeTruthy();
    live.status = 'down';
    live.downSince = sixAm + 30_000;
    await Promise.resolve();
    expect(await screen.findByText('No data since 06:00:30')).toBeTruthy();
  });
});
