import { describe, expect, it } from 'vitest';
import { andonLink, generatePassword } from './secret.js';
import { sectionOf, sectionsFor } from './sections.js';

describe('admin helpers', () => {
  it('generates 24-character URL-safe passwords from the random source', () => {
    const pw = generatePassword();
    expect(pw).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(pw);
    expect(generatePassword((a) => a.fill(0xfb))).toBe('-_v7-_v7-_v7-_v7-_v7-_v7');
  });
  it('builds the andon link with the token encoded', () => {
    expect(andonLink('https://twin.example:8443', 'a+b/c=')).toBe('https://twin.example:8443/andon?device=a%2Bb%2Fc%3D');
  });
  it('reads the section from the route, users by default', () => {
    expect(sectionOf('audit')).toBe('audit');
    expect(sectionOf(undefined)).toBe('users');
    expect(sectionOf('nope')).toBe('users');
    // an engineer opens the ingest quarantine only; a viewer nothing
    expect(sectionsFor('engineer')).toEqual(['quarantine']);
    expect(sectionOf('users', 'engineer')).toBe('quarantine');
    expect(sectionOf('quarantine', 'admin')).toBe('quarantine');
    expect(sectionsFor('viewer')).toEqual([]);
  });
});
