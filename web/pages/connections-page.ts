/**
 * #/connections — the caller's open connections (admins: optionally everyone's), refreshed every
 * few seconds while the tab is visible. A shell keeps running when its client goes away, so this
 * is where it is found again: Attach re-opens it in the terminal (screen redrawn), Close ends it.
 */
import type { ConnectionInfo } from '../../protocol/api-types';
import { api, ApiError, errorMessage } from '../api-client';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine } from '../forms';
import type { PageContext } from '../router';
import { listReloader, refreshWhileVisible } from './list-reload';
import { currentSession } from '../session';

export const REFRESH_MS = 5000;

/** The admin's "Show all users" choice, kept while the tab is open. */
let showAll = false;

export async function connectionsPage({ main, signal }: PageContext): Promise<void> {
  const isAdmin = currentSession()?.user.role === 'admin';
  const error = errorLine();
  const updated = h('span', { class: 'hint refresh-note' });
  const refresh = h('button', { type: 'button', class: 'button button-small', id: 'connections-refresh' }, 'Refresh');
  const allToggle = isAdmin ? h('input', { type: 'checkbox', id: 'connections-all', checked: showAll }) : null;
  const list = h('div', { class: 'connections-list' });
  const section = h(
    'section',
    { class: 'page', 'aria-labelledby': 'connections-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'connections-title' }, 'Connections')),
    h(
      'div',
      { class: 'toolbar' },
      allToggle ? h('label', { for: allToggle.id, class: 'checkbox' }, allToggle, ' Show all users') : null,
      h('span', { class: 'toolbar-end' }, updated, refresh),
    ),
    error.el,
    list,
  );
  main.append(section);

  const rows = new Map<string, { key: string; tr: HTMLTableRowElement }>();
  let table: HTMLTableElement | null = null;
  let tbody: HTMLTableSectionElement | null = null;

  const show = (conns: ConnectionInfo[]) => {
    if (conns.length === 0) {
      rows.clear();
      table = tbody = null;
      mount(
        list,
        h(
          'p',
          { class: 'empty' },
          showAll
            ? 'No open connections.'
            : 'You have no open connections. A shell you leave keeps running and is listed here, ready to attach again.',
        ),
      );
      return;
    }
    if (!table || !tbody) {
      tbody = h('tbody', {});
      table = h(
        'table',
        { class: 'table connections-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['ID', 'User', 'Target', 'Target user', 'Kind', 'State', 'Started', ''].map((c) =>
              h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Actions')),
            ),
          ),
        ),
        tbody,
      );
      mount(list, table);
      rows.clear();
    }
    // Keyed update: unchanged rows stay the same elements, so focus and hover survive a refresh.
    const next: HTMLTableRowElement[] = [];
    const seen = new Set<string>();
    for (const c of conns) {
      const key = JSON.stringify([c.state, c.userEmail, c.targetName, c.targetUser, c.kind, c.pty, c.createdAt]);
      let entry = rows.get(c.id);
      if (!entry || entry.key !== key) {
        entry = { key, tr: connectionRow(c, closeConnection) };
        rows.set(c.id, entry);
      }
      seen.add(c.id);
      next.push(entry.tr);
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    const focused = document.activeElement;
    tbody.replaceChildren(...next);
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
  };

  const fetchList = () => api<ConnectionInfo[]>('GET', `/connections${isAdmin && showAll ? '?all=1' : ''}`);

  const load = listReloader({
    fetch: fetchList,
    show(conns: ConnectionInfo[]) {
      show(conns);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    },
    error,
    signal,
    returnTo: '/connections',
    what: 'the list',
  });

  async function closeConnection(c: ConnectionInfo, button: HTMLButtonElement): Promise<void> {
    const what = `${c.targetUser}@${c.targetName} (${shortId(c.id)})`;
    const whose = c.userEmail === currentSession()?.user.email ? '' : ` of ${c.userEmail}`;
    if (!window.confirm(`Close connection ${what}${whose}?\n\nIts shell is ended; this cannot be undone.`)) return;
    button.disabled = true;
    button.textContent = 'Closing…';
    try {
      await api<void>('DELETE', `/connections/${encodeURIComponent(c.id)}`);
      if (signal.aborted) return;
      error.show(null);
    } catch (err) {
      if (signal.aborted) return;
      // Already gone (closed elsewhere) is what the user wanted anyway: the refresh drops it.
      if (!(err instanceof ApiError && err.status === 404)) error.show(`Could not close ${what}: ${errorMessage(err)}`);
      button.disabled = false;
      button.textContent = 'Close';
    }
    await load();
  }

  // The first load's errors (401, password change) go to the app's handler like any page's.
  show(await fetchList());
  if (signal.aborted) return;
  updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;

  allToggle?.addEventListener('change', () => {
    showAll = allToggle.checked;
    rows.clear();
    table = tbody = null;
    void load();
  });
  refresh.addEventListener('click', () => void load());

  refreshWhileVisible(load, REFRESH_MS, signal);
}

/**
 * The last 8 hex digits: connection ids are UUIDv7, whose first digits are the time (shared by
 * every connection of the same minute).
 */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** A browser terminal speaks raw tty bytes: shells and pty execs, not a plain exec's tagged streams. */
function attachable(c: ConnectionInfo): boolean {
  return c.kind === 'shell' || c.pty;
}

function connectionRow(c: ConnectionInfo, close: (c: ConnectionInfo, b: HTMLButtonElement) => Promise<void>): HTMLTableRowElement {
  const label = `${c.targetUser}@${c.targetName} ${shortId(c.id)}`;
  const closeButton = h(
    'button',
    { type: 'button', class: 'button button-small button-danger close-connection', title: 'End this connection' },
    'Close',
    h('span', { class: 'visually-hidden' }, ` ${label}`),
  );
  closeButton.addEventListener('click', () => void close(c, closeButton));
  const attach = attachable(c)
    ? h(
        'a',
        {
          class: 'button button-small attach',
          href: `#/terminal/${encodeURIComponent(c.id)}`,
          title: c.state === 'connected' ? 'Attach here (the client attached now is disconnected)' : 'Open this session in the terminal',
        },
        'Attach',
        h('span', { class: 'visually-hidden' }, ` ${label}`),
      )
    : h('button', { type: 'button', class: 'button button-small attach', disabled: true, title: 'A command without a terminal cannot be attached from the browser' }, 'Attach');
  return h(
    'tr',
    { 'data-connection-id': c.id, 'data-state': c.state },
    h('td', {}, h('code', { class: 'conn-id', title: c.id }, shortId(c.id))),
    h('td', {}, c.userEmail),
    h('td', {}, h('span', { class: 'target-name' }, c.targetName)),
    h('td', {}, c.targetUser),
    h('td', { title: c.command ?? '' }, c.kind === 'exec' && c.pty ? 'exec (pty)' : c.kind),
    h('td', {}, connectionStateBadge(c.state)),
    h('td', {}, h('time', { datetime: c.createdAt }, formatLocalTime(c.createdAt))),
    h('td', { class: 'actions' }, h('div', { class: 'button-row' }, attach, closeButton)),
  );
}

export function connectionStateBadge(state: ConnectionInfo['state']): HTMLElement {
  const tone = state === 'connected' ? 'ok' : state === 'disconnected' ? 'off' : 'muted';
  return h('span', { class: `badge badge-${tone} state-badge`, 'data-state': state }, state);
}
