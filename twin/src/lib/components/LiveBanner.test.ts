import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { live } from '../live/index.js';
import { plant } from '../plant.svelte.js';
import { plantView, sixAm } from '../../testing/fixtures.js';
import LiveBanner from './LiveBanner.svelte';

describe('live banner', () => {
  afterEach(() => {
    live.status = 'idle';
    live.downSince = null;
  });

  it('is absent while live and says since when (plant time) the connection is lost', async () => {
    plant.model = plantView();
    live.status = 'up';
    render(LiveBanner);
    expect(screen.queryByRole('alert')).toBeNull();
    live.status = 'down';
    live.downSince = sixAm + 5_000;
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toContain('Live connection lost at 06:00:05');
    expect(banner.textContent).toContain('changes are disabled');
  });
});
