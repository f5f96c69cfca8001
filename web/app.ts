/**
 * Gatehouse web app entry: routes, the session guard, and the top bar. Pages live in
 * web/pages/ and render into <main>; this file decides which one and tears the last one down.
 */
import { ApiError, errorMessage } from './api-client';
import { h, mount } from './dom';
import { takeFlash } from './flash';
import { renderNav } from './nav';
import { accountPage } from './pages/account-page';
import { adminOnly } from './pages/admin-layout';
import { apiKeysPage } from './pages/api-keys-page';
import { commandsLogPage } from './pages/commands-log-page';
import { connectionLogPage } from './pages/connection-log-page';
import { connectionsPage } from './pages/connections-page';
import { eventsLogPage } from './pages/events-log-page';
import { groupsPage } from './pages/groups-page';
import { loginPage, setReturnTo } from './pages/login-page';
import { passwordPage } from './pages/password-page';
import { playerPage } from './pages/player-page';
import { policiesPage } from './pages/policies-page';
import { recordingsPage } from './pages/recordings-page';
import { requestsPage } from './pages/requests-page';
import { slackPage } from './pages/slack-page';
import { targetsAdminPage } from './pages/targets-admin-page';
import { targetsPage } from './pages/targets-page';
import { terminalPage } from './pages/terminal-page';
import { usersPage } from './pages/users-page';
import { currentPath, matchRoute, navigate, type Route } from './router';
import { forgetSession, loadSession, logout } from './session';

const routes: Route[] = [
  { pattern: '/login', page: loginPage, public: true },
  { pattern: '/password', page: passwordPage },
  { pattern: '/targets', page: targetsPage, section: 'targets' },
  { pattern: '/terminal/:connectionId', page: terminalPage, section: 'connections' },
  { pattern: '/connections', page: connectionsPage, section: 'connections' },
  { pattern: '/requests', page: requestsPage, section: 'requests' },
  { pattern: '/recordings', page: recordingsPage, section: 'recordings' },
  { pattern: '/recordings/:id', page: playerPage, section: 'recordings' },
  { pattern: '/logs', page: () => navigate('/logs/connections'), section: 'logs' },
  { pattern: '/logs/connections', page: connectionLogPage, section: 'logs' },
  { pattern: '/logs/commands', page: commandsLogPage, section: 'logs' },
  { pattern: '/logs/events', page: eventsLogPage, section: 'logs' },
  { pattern: '/account', page: accountPage, section: 'account' },
  // Admin pages: linked from the nav for admins only; anyone else who comes here is told so.
  { pattern: '/admin', page: adminOnly(() => navigate('/admin/users')), section: 'admin' },
  { pattern: '/admin/users', page: adminOnly(usersPage), section: 'admin' },
  { pattern: '/admin/groups', page: adminOnly(groupsPage), section: 'admin' },
  { pattern: '/admin/policies', page: adminOnly(policiesPage), section: 'admin' },
  { pattern: '/admin/keys', page: adminOnly(apiKeysPage), section: 'admin' },
  { pattern: '/admin/targets', page: adminOnly(targetsAdminPage), section: 'admin' },
  { pattern: '/admin/slack', page: adminOnly(slackPage), section: 'admin' },
];

const navEl = document.getElementById('nav')!;
const mainEl = document.getElementById('main')!;
let active: AbortController | null = null;

async function render(): Promise<void> {
  active?.abort();
  const controller = new AbortController();
  active = controller;
  const { signal } = controller;

  const path = currentPath();
  const match = matchRoute(routes, path);
  if (!match) return navigate('/targets');

  let session;
  try {
    session = await loadSession();
  } catch (err) {
    if (signal.aborted) return;
    return showFatal(err);
  }
  if (signal.aborted) return;

  // The guard: no session → login; a forced password change → that page only.
  if (!session && !match.route.public) {
    setReturnTo(path);
    return navigate('/login');
  }
  if (session && match.route.public) return navigate(session.mustChangePassword ? '/password' : '/targets');
  if (session?.mustChangePassword && match.route.pattern !== '/password') return navigate('/password');

  document.body.dataset.page = match.route.pattern.split('/')[1] ?? '';
  renderNav(navEl, { session, section: match.route.section, onLogout });
  mainEl.replaceChildren();
  const flash = takeFlash();
  if (flash) mainEl.append(h('p', { class: 'flash', role: 'status' }, flash));

  try {
    await match.route.page({ main: mainEl, params: match.params, query: match.query, signal });
  } catch (err) {
    if (signal.aborted) return;
    handlePageError(err);
  }
}

/** Errors a page did not handle itself: auth problems reroute, anything else is shown. */
function handlePageError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    forgetSession();
    setReturnTo(currentPath());
    return navigate('/login');
  }
  if (err instanceof ApiError && err.code === 'PASSWORD_CHANGE_REQUIRED') {
    forgetSession();
    return navigate('/password');
  }
  mainEl.append(h('p', { class: 'alert', role: 'alert' }, errorMessage(err)));
}

function showFatal(err: unknown): void {
  renderNav(navEl, { session: null, section: undefined, onLogout });
  mount(
    mainEl,
    h(
      'section',
      { class: 'card narrow' },
      h('h1', {}, 'Gatehouse is unavailable'),
      h('p', { class: 'alert', role: 'alert' }, errorMessage(err)),
      h('button', { type: 'button', class: 'button', onclick: () => void render() }, 'Try again'),
    ),
  );
}

async function onLogout(): Promise<void> {
  try {
    await logout();
  } catch {
    // The server may already have dropped the session; either way this tab is logged out.
  }
  navigate('/login');
}

window.addEventListener('hashchange', () => void render());
if (window.location.hash === '') history.replaceState(null, '', '#/targets');
void render();
