import { afterEach, describe, expect, it } from 'vitest';
import { matchPath, matchRoute, pathOf, Router } from './router.svelte.js';

describe('router', () => {
  it('matches patterns with params, decoded', () => {
    expect(matchPath('/machines/:id', '/machines/PRS-01')).toEqual({ id: 'PRS-01' });
    expect(matchPath('/machines/:id', '/machines/A%2FB')).toEqual({ id: 'A/B' });
    expect(matchPath('/machines/:id', '/machines')).toBeNull();
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/machines/:id', '/machines/%E0%A4%A')).toBeNull();
    expect(pathOf('/machines/:id', { id: 'A/B' })).toBe('/machines/A%2FB');
  });

  it('takes the first route that matches', () => {
    const routes = [{ path: '/jobs', v: 'list' }, { path: '/jobs/:id', v: 'detail' }];
    expect(matchRoute(routes, '/jobs/J1')).toEqual({ route: routes[1], params: { id: 'J1' } });
    expect(matchRoute(routes, '/nope')).toBeNull();
  });

  describe('in the browser', () => {
    let r: Router;
    afterEach(() => r.stop());

    it('pushes history entries, follows back, and turns same-origin link clicks into navigations', async () => {
      history.replaceState(null, '', '/');
      r = new Router(window);
      r.start();
      r.navigate('/machines/PRS-01?range=day');
      expect(location.pathname).toBe('/machines/PRS-01');
      expect(r.path).toBe('/machines/PRS-01');
      expect(r.query.get('range')).toBe('day');

      r.setQuery({ range: 'week', tags: 'a,b' });
      expect(location.search).toBe('?range=week&tags=a%2Cb');

      const a = document.createElement('a');
      a.href = '/oee';
      document.body.append(a);
      const click = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
      a.dispatchEvent(click);
      expect(click.defaultPrevented).toBe(true);
      expect(r.path).toBe('/oee');

      history.back();
      await new Promise((res) => setTimeout(res, 50));
      expect(r.path).toBe('/machines/PRS-01');

      const api = document.createElement('a');
      api.href = '/api/v1/plant';
      document.body.append(api);
      const apiClick = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
      api.addEventListener('click', (e) => e.preventDefault()); // keep happy-dom from loading it
      api.dispatchEvent(apiClick);
      expect(r.path).toBe('/machines/PRS-01');
    });
  });
});
