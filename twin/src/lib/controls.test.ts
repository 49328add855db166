import { describe, expect, it } from 'vitest';
import { changeGate } from './controls.svelte.js';
import { LiveConnection } from './live/connection.svelte.js';
import { Session } from './session.svelte.js';

describe('change gate', () => {
  const planner = () => {
    const s = new Session();
    s.user = { username: 'pia', role: 'planner', kind: 'user', expiresAt: 0 };
    s.status = 'user';
    return s;
  };

  it('allows a change for the right role while live', () => {
    const conn = new LiveConnection();
    conn.status = 'up';
    expect(changeGate(['planner', 'admin'], conn, planner())).toEqual({ allowed: true, reason: '' });
  });

  it('names the role needed, and refuses while the live connection is down', () => {
    const conn = new LiveConnection();
    conn.status = 'up';
    expect(changeGate(['supervisor', 'engineer', 'admin'], conn, planner())).toEqual({ allowed: false, reason: 'Needs role supervisor, engineer, admin' });
    conn.status = 'down';
    expect(changeGate(['planner'], conn, planner())).toEqual({ allowed: false, reason: 'Not available while the live connection is down' });
    expect(changeGate(['planner'], conn, new Session()).allowed).toBe(false);
  });
});
