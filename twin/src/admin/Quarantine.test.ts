import { render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { QuarantineAnswer } from '@plant-twin/contracts';
import AlarmTable from '../alarms/AlarmTable.svelte';
import type { AlarmEpisode, CalendarRangesAnswer } from '../lib/api/types.js';
import { plant } from '../lib/plant.svelte.js';
import { router } from '../lib/router.svelte.js';
import { session } from '../lib/session.svelte.js';
import { plantView, sixAm } from '../testing/fixtures.js';
import Quarantine from './Quarantine.svelte';
import type { QuarantineParams } from './api.js';

const week: CalendarRangesAnswer = {
  current: { kind: 'week', label: '2026-W49', from: sixAm - 86_400_000, to: sixAm + 6 * 86_400_000 },
  previous: { kind: 'week', label: '2026-W48', from: sixAm - 8 * 86_400_000, to: sixAm - 86_400_000 },
};
const window = { pastMs: 7 * 86_400_000, futureMs: 300_000 };
const answer: QuarantineAnswer = {
  window,
  truncated: true,
  messages: [
    { id: 'CNC-01/b2/7', receivedAt: sixAm + 60_000, edgeId: 'edge-1', seq: 42, machineId: 'CNC-01', kind: 'counter', ts: sixAm + 86_400_000, reason: 'future', message: { goodDelta: 5 } },
    { id: 'PRS-01/b1/3', receivedAt: sixAm, edgeId: 'edge-1', seq: 41, machineId: 'PRS-01', kind: 'state', ts: 1000, reason: 'too_old', message: { state: 'fault', ts: 1000 } },
  ],
};

afterEach(() => {
  session.user = null;
  router.search = '';
});

describe('ingest quarantine in the admin area', () => {
  it('lists what the cloud set aside in the week, newest first, with why, where from and the message; says when there is more', async () => {
    plant.model = plantView();
    router.search = '?machine=PRS-01';
    const asked: QuarantineParams[] = [];
    render(Quarantine, { calls: { ranges: async () => week, list: async (q: QuarantineParams) => (asked.push(q), answer) } });
    const table = await screen.findByTestId('admin-quarantine');
    expect(asked).toEqual([{ from: week.current.from, to: week.current.to, limit: 200, machineId: 'PRS-01' }]);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-reason'))).toEqual(['future', 'too_old']);
    expect(within(rows[0]!).getByText("Ahead of the cloud's clock")).toBeTruthy();
    expect(within(rows[1]!).getByText('Older than the window')).toBeTruthy();
    expect(within(rows[1]!).getByText('edge-1, batch 41')).toBeTruthy();
    // the message time is shown as it came (1970), in plant time
    expect(within(rows[1]!).getByText(/^1970-01-01 01:00:01/)).toBeTruthy();
    expect(rows[1]!.querySelector('pre')!.textContent).toContain('"state": "fault"');
    expect(screen.getByText(/The newest 2 are shown/)).toBeTruthy();
    expect(screen.getByText(/more than 7 days before its clock or more than 300 s after it .* alarm 9001/)).toBeTruthy();
  });

  it('says why the list could not be read', async () => {
    render(Quarantine, { calls: { ranges: async () => week, list: async () => Promise.reject(new Error('needs role admin or engineer (you are viewer)')) } });
    expect(await screen.findByText(/Could not be read: needs role admin or engineer/)).toBeTruthy();
  });
});

describe("the cloud's clock alarm", () => {
  const clock: AlarmEpisode = { machineId: 'PRS-01', code: 9001, text: 'Messages stamped older than 168 h were quarantined', severity: 'warn', raisedAt: sixAm, clearedAt: null, ack: null };
  const own: AlarmEpisode = { ...clock, code: 101, text: 'Die protection sensor tripped', severity: 'fault' };

  it('says it is the cloud\'s and what to do; links engineers to the machine\'s quarantined messages', () => {
    session.user = { username: 'eng', role: 'engineer', expiresAt: sixAm + 3_600_000, kind: 'user' };
    render(AlarmTable, { episodes: [clock, own], mode: 'active', gate: { allowed: true, reason: '' }, gateId: 'g', onack: async () => null });
    const notes = screen.getAllByTestId('clock-alarm-note');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.textContent).toMatch(/Raised by the cloud, not the machine.*Check the machine's clock/);
    expect(within(notes[0]!).getByRole('link', { name: 'See the quarantined messages' }).getAttribute('href')).toBe('/admin/quarantine?machine=PRS-01');
  });

  it('shows a viewer the note without the link', () => {
    session.user = { username: 'vic', role: 'viewer', expiresAt: sixAm + 3_600_000, kind: 'user' };
    render(AlarmTable, { episodes: [clock], mode: 'active', gate: { allowed: false, reason: 'no' }, gateId: 'g', onack: async () => null });
    expect(within(screen.getByTestId('clock-alarm-note')).queryByRole('link')).toBeNull();
  });
});
