/**
 * History API router: every view has its own URL, back/forward and reload work (the cloud answers
 * every page URL with index.html). Routes are plain data (src/routes.ts); links are ordinary
 * `<a href>` elements that `interceptLinks` turns into pushState navigations.
 */
export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

export interface PathRoute {
  path: string;
}

/** Matches `/machines/:id` style patterns; params are URI-decoded. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = pathname.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}

export function matchRoute<R extends PathRoute>(routes: readonly R[], pathname: string): RouteMatch<R> | null {
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return null;
}

/** Builds a path from a pattern and params (encoded). */
export function pathOf(pattern: string, params: Record<string, string | number> = {}): string {
  return pattern.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(String(params[k] ?? '')));
}

export class Router {
  path = $state('/');
  search = $state('');
  private detach: (() => void) | null = null;

  constructor(private readonly win: Window | undefined = typeof window === 'undefined' ? undefined : window) {
    this.read();
  }

  get query(): URLSearchParams {
    return new URLSearchParams(this.search);
  }

  /** Follows the browser's back/forward and same-origin link clicks. */
  start(): void {
    if (!this.win || this.detach) return;
    const w = this.win;
    const pop = () => this.read();
    const click = (e: MouseEvent) => this.interceptLinks(e);
    w.addEventListener('popstate', pop);
    w.document.addEventListener('click', click);
    this.detach = () => {
      w.removeEventListener('popstate', pop);
      w.document.removeEventListener('click', click);
    };
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  navigate(to: string, opts: { replace?: boolean } = {}): void {
    if (!this.win) return;
    const url = new URL(to, this.win.location.href);
    if (url.pathname === this.path && url.search === this.search && !opts.replace) return;
    if (opts.replace) this.win.history.replaceState(null, '', url.pathname + url.search + url.hash);
    else this.win.history.pushState(null, '', url.pathname + url.search + url.hash);
    this.read();
    if (!opts.replace) this.win.scrollTo?.(0, 0);
  }

  /** Sets (or removes, with null) query parameters of the current URL without a new history entry. */
  setQuery(changes: Record<string, string | null>): void {
    const q = this.query;
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    const s = q.toString();
    this.navigate(this.path + (s ? `?${s}` : ''), { replace: true });
  }

  private read(): void {
    if (!this.win) return;
    this.path = this.win.location.pathname;
    this.search = this.win.location.search;
  }

  private interceptLinks(e: MouseEvent): void {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || !a.href || a.target || a.hasAttribute('download') || a.getAttribute('rel') === 'external') return;
    const url = new URL(a.href);
    if (url.origin !== this.win!.location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  }
}

export const router = new Router();
