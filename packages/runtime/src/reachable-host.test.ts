import { describe, expect, it } from 'vitest';
import { reachableHost, urlHost } from './reachable-host.js';

describe('reachableHost / urlHost', () => {
  it('points a client at loopback for a program bound to every interface, at the bound address otherwise', () => {
    expect(reachableHost('0.0.0.0')).toBe('127.0.0.1');
    expect(reachableHost('::')).toBe('127.0.0.1');
    expect(reachableHost('10.0.0.5')).toBe('10.0.0.5');
    expect(urlHost('::')).toBe('127.0.0.1');
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('edge-1.plant.local')).toBe('edge-1.plant.local');
  });
});
