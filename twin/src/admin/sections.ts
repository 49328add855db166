/** Admin sections and their routes (/admin/<section>); the first is the default. */
export const adminSections = ['users', 'devices', 'edges', 'audit'] as const;
export type AdminSection = (typeof adminSections)[number];

export function sectionOf(param: string | undefined): AdminSection {
  return (adminSections as readonly string[]).includes(param ?? '') ? (param as AdminSection) : 'users';
}
