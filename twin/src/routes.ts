/**
 * The route table: every view's URL, its place in the navigation and who may open it. A route names
 * its view by file: `view: 'Oee'` is src/views/OeeView.svelte, loaded on first visit (its own chunk).
 * Views that are not in this build yet (a route listed ahead of its view, e.g. the scheduler's Gantt
 * or the HIL reports) stay out of the navigation and answer "not part of this build"; adding the file
 * is all it takes to plug one in.
 */
import type { Component } from 'svelte';
import type { Role } from './lib/api/types.js';
import type { MessageKey } from './lib/i18n/index.js';

export interface AppRoute {
  path: string;
  /** file stem in src/views: `${view}View.svelte` */
  view: string;
  /** label in the main navigation (routes without one are reached by links) */
  nav?: MessageKey;
  /** roles that may open the view (none: every logged-in user) */
  roles?: Role[];
  /** 'app': navigation bar and live banner; 'bare': the view owns the whole screen (andon, login) */
  chrome?: 'app' | 'bare';
  /** 'user': needs a login (the default); 'public': no session needed; 'device': signs itself in (andon) */
  access?: 'user' | 'public' | 'device';
}

export const routes: AppRoute[] = [
  { path: '/', view: 'Hall', nav: 'nav.hall' },
  { path: '/machines/:id', view: 'Machine' },
  { path: '/oee', view: 'Oee', nav: 'nav.oee' },
  { path: '/alarms', view: 'Alarms', nav: 'nav.alarms' },
  { path: '/jobs', view: 'Jobs', nav: 'nav.jobs' },
  { path: '/jobs/:id', view: 'Jobs' },
  { path: '/schedule', view: 'Schedule', nav: 'nav.schedule' },
  { path: '/hil', view: 'Hil', nav: 'nav.hil', roles: ['engineer', 'admin'] },
  { path: '/hil/:run', view: 'Hil', roles: ['engineer', 'admin'] },
  { path: '/admin', view: 'Admin', nav: 'nav.admin', roles: ['admin', 'engineer'] },
  { path: '/admin/:section', view: 'Admin', roles: ['admin', 'engineer'] },
  { path: '/account', view: 'Account' },
  { path: '/login', view: 'Login', chrome: 'bare', access: 'public' },
  { path: '/andon', view: 'Andon', chrome: 'bare', access: 'device' },
];

export type ViewProps = { params: Record<string, string> };
type ViewModule = { default: Component<ViewProps> };

const viewFiles = import.meta.glob<ViewModule>('./views/*View.svelte');
const fileOf = (view: string) => `./views/${view}View.svelte`;

/** True when the view's file is part of this build. */
export function viewBuilt(view: string): boolean {
  return fileOf(view) in viewFiles;
}

/** Loads a view's component (null when the view is not in this build). */
export async function loadView(view: string): Promise<Component<ViewProps> | null> {
  const load = viewFiles[fileOf(view)];
  return load ? (await load()).default : null;
}
