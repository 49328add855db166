import type { Role } from '../lib/api/types.js';

/** Admin sections and their routes (/admin/<section>), with who may open each; the first one allowed is the default. */
export const adminSections = ['users', 'devices', 'edges', 'audit', 'quarantine'] as const;
export type AdminSection = (typeof adminSections)[number];

const sectionRoles: Record<AdminSection, readonly Role[]> = {
  users: ['admin'],
  devices: ['admin'],
  edges: ['admin'],
  audit: ['admin'],
  // the ingest quarantine: what an engineer commissioning a machine's clock needs to see
  quarantine: ['admin', 'engineer'],
};

/** The sections this role may open. */
export function sectionsFor(role: Role | null): AdminSection[] {
  return adminSections.filter((s) => role !== null && sectionRoles[s].includes(role));
}

/** The section of the URL when this role may open it, else the role's first. */
export function sectionOf(param: string | undefined, role: Role | null = 'admin'): AdminSection {
  const allowed = sectionsFor(role);
  return (allowed as readonly string[]).includes(param ?? '') ? (param as AdminSection) : (allowed[0] ?? 'users');
}
