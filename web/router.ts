/**
 * Hash routes (`#/targets`, `#/terminal/ID`, …). A route is a pattern with `:name` segments; the
 * page receives the decoded segments in order. Each render gets a fresh AbortSignal that aborts
 * when the user navigates away: pages hang their cleanup (sockets, terminals, players) on it and
 * check it after every await, so a slow reply never paints over the next page.
 */
export interface PageContext {
  main: HTMLElement;
  params: string[];
  signal: AbortSignal;
}

export type Page = (ctx: PageContext) => void | Promise<void>;

export interface Route {
  pattern: string;
  page: Page;
  /** Reachable without a session (the login page). */
  public?: boolean;
  /** Shown in the nav as current when this route is active. */
  section?: 'targets' | 'recordings';
}

export interface Match {
  route: Route;
  params: string[];
}

export function currentPath(): string {
  const hash = window.location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : `/${hash}`;
}

export function matchRoute(routes: Route[], path: string): Match | null {
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
    if (ok) return { route, params };
  }
  return null;
}

export function navigate(path: string): void {
  const hash = `#${path}`;
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = hash;
}
