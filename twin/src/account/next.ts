/**
 * Where to go after logging in: the page that sent the browser to the login page (`?next=`), if it is
 * a path of this app. Anything else (another origin, `//host`, a backslash trick, the login page
 * itself) goes to the hall: a link must not turn the login page into an open redirect.
 */
export function nextPath(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  let url: URL;
  try {
    url = new URL(next, 'https://twin.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'https://twin.invalid' || url.pathname === '/login' || url.pathname.startsWith('/api/')) return '/';
  return url.pathname + url.search + url.hash;
}
