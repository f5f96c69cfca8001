/**
 * Hash routes (`#/targets`, `#/terminal/ID`, …). A route is a pattern with `:name` segments; the
 * page receives the decoded segments in order. Each render gets a fresh AbortSignal that aborts
 * when the user navigates away: pages hang their cleanup (sockets, terminals, players) on it and
 * check it after every await, so a slow reply never paints over the next page.
 */
export interface PageContext {
  main: HTMLElement;
  params: string[];
  /** The `?a=b` part of the hash (`#/logs/connections?user=…`), for pages with filters. */
  query: URLSearchParams;
  signal: AbortSignal;
}

export type Page = (ctx: PageContext) => void | Promise<void>;

export interface Route {
  pattern: string;
  page: Page;
  /** Reachable without a session (the login page). */
  public?: boolean;
  /** Shown in the nav as current when this route is active. */
  section?: Section;
}

export type Section = 'targets' | 'connections' | 'requests' | 'recordings' | 'logs' | 'admin' | 'account';

export interface Match {
  route: Route;
  params: string[];
  query: URLSearchParams;
}

/** The hash without `#`, query included (`/logs/connections?user=a`). */
export function currentPath(): string {
  const hash = window.location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : `/${hash}`;
}

export function matchRoute(routes: Route[], fullPath: string): Match | null {
  const q = fullPath.indexOf('?');
  const path = q === -1 ? fullPath : fullPath.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : fullPath.slice(q + 1));
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pat = route.pattern.split('/').filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < pat.length; i++) {
      const p = pat[i]!;
      const actual = parts[i]!;
      if (p.startsWith(':')) params.push(decodeURIComponent(actual));
      else if (p !== actual) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params, query };
  }
  return null;
}

/** Puts `query` in the address bar for the current route without rendering it again. */
export function replaceQuery(query: URLSearchParams): void {
  const path = currentPath().split('?')[0]!;
  const qs = query.toString();
  history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
}

export function navigate(path: string): void {
  const hash = `#${path}`;
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = hash;
}
