/**
 * #/requests — just-in-time access (SPEC §3, §5, §6): ask for access that a JIT policy lets you
 * request, decide requests that wait for you, and follow your requests (admins: everyone's).
 * The same requests and decisions as in Slack and `gate`: the server's broker decides once, so a
 * decision made elsewhere shows up here at the next refresh (every 5 s while the tab is visible).
 *
 * `?target=NAME` (the Targets page's "Request access" link) puts that target's form first.
 */
import type { AccessRequestInfo, RequestableTarget } from '../../protocol/api-types';
import { api, errorMessage } from '../api-client';
import { h } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine, statusLine } from '../forms';
import type { PageContext } from '../router';
import { listReloader, refreshWhileVisible } from './list-reload';
import { currentSession } from '../session';
import { accessLabel, requestForm, type RequestForm } from './request-form';
import { HISTORY_COLUMNS, historyKey, historyRow, KeyedTable, WAITING_COLUMNS, waitingRow, type Decide } from './requests-tables';

export const REFRESH_MS = 5000;

const newestFirst = (a: AccessRequestInfo, b: AccessRequestInfo) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);

export async function requestsPage({ main, query, signal }: PageContext): Promise<void> {
  const me = currentSession()!.user;
  const isAdmin = me.role === 'admin';
  const wanted = query.get('target');

  // The first load's errors (401, password change) go to the app's handler like any page's.
  const [requestable, first] = await Promise.all([
    api<RequestableTarget[]>('GET', '/requestable'),
    api<AccessRequestInfo[]>('GET', '/requests'),
  ]);
  if (signal.aborted) return;

  const error = errorLine();
  const status = statusLine();
  const updated = h('span', { class: 'hint refresh-note' });
  const refresh = h('button', { type: 'button', class: 'button button-small', id: 'requests-refresh' }, 'Refresh');

  // ---- Waiting for you ----
  const decide: Decide = {
    approve: (r, button) =>
      run(button, 'Approving…', () => api<AccessRequestInfo>('POST', `/requests/${encodeURIComponent(r.id)}/approve`), (done) =>
        `Approved ${accessLabel(done)} for ${done.requester} until ${formatLocalTime(done.expiresAt)}.`,
      ),
    deny: (r, reason, button) =>
      run(button, 'Denying…', () => api<AccessRequestInfo>('POST', `/requests/${encodeURIComponent(r.id)}/deny`, reason ? { reason } : {}), (done) =>
        `Denied ${accessLabel(done)} for ${done.requester}.`,
      ),
  };
  const waiting = new KeyedTable<AccessRequestInfo>(
    'waiting-table',
    WAITING_COLUMNS,
    'Nothing is waiting for your decision.',
    (r) => JSON.stringify([r.state, r.canDecide, r.expiresAt]),
    (r) => waitingRow(r, decide),
  );
  const waitingCount = h('span', { class: 'badge badge-off waiting-count' });
  const waitingPanel = h(
    'section',
    { class: 'panel', id: 'waiting', 'aria-labelledby': 'waiting-title', hidden: true },
    h('h2', { id: 'waiting-title' }, 'Waiting for you ', waitingCount),
    h('p', { class: 'hint' }, 'Requests you may approve or deny. Approving grants exactly what was asked, for the time asked.'),
    waiting.el,
  );

  // ---- Request access ----
  const forms: RequestForm[] = [];
  const ordered = [...requestable].sort((a, b) => Number(b.target === wanted) - Number(a.target === wanted) || a.target.localeCompare(b.target));
  for (const t of ordered) {
    forms.push(requestForm(t, { signal, preselected: t.target === wanted, onCreated: () => load() }));
  }
  const requestPanel = h(
    'section',
    { class: 'panel', id: 'request-access', 'aria-labelledby': 'request-access-title' },
    h('h2', { id: 'request-access-title' }, 'Request access'),
    wanted && !requestable.some((t) => t.target === wanted)
      ? h('p', { class: 'alert request-unavailable', role: 'alert' }, `No just-in-time policy lets you request access to ${wanted}.`)
      : null,
    forms.length === 0
      ? h('p', { class: 'empty' }, 'There is nothing you can request. Just-in-time policies decide what may be requested; ask an administrator.')
      : h('div', { class: 'request-forms' }, forms.map((f) => f.el)),
  );

  // ---- History ----
  const mineTable = new KeyedTable<AccessRequestInfo>(
    'my-requests-table',
    HISTORY_COLUMNS(false),
    'You have not requested access yet.',
    historyKey,
    (r) => historyRow(r, false),
  );
  const othersTable = new KeyedTable<AccessRequestInfo>(
    'all-requests-table',
    HISTORY_COLUMNS(true),
    'No requests yet.',
    historyKey,
    (r) => historyRow(r, true),
  );
  const othersPanel = h(
    'section',
    { class: 'panel', id: 'all-requests', 'aria-labelledby': 'all-requests-title', hidden: !isAdmin },
    h('h2', { id: 'all-requests-title' }, isAdmin ? 'All requests' : 'Requests you approve'),
    othersTable.el,
  );

  main.append(
    h(
      'section',
      { class: 'page page-wide requests-page', 'aria-labelledby': 'requests-title' },
      h('div', { class: 'page-head' }, h('h1', { id: 'requests-title' }, 'Access requests')),
      h(
        'div',
        { class: 'toolbar' },
        h('p', { class: 'hint' }, 'Ask for time-limited access; an approver decides, or the policy grants it at once.'),
        h('span', { class: 'toolbar-end' }, updated, refresh),
      ),
      error.el,
      status.el,
      waitingPanel,
      requestPanel,
      h(
        'section',
        { class: 'panel', id: 'my-requests', 'aria-labelledby': 'my-requests-title' },
        h('h2', { id: 'my-requests-title' }, 'Your requests'),
        mineTable.el,
      ),
      othersPanel,
    ),
  );

  const show = (list: AccessRequestInfo[]) => {
    const sorted = [...list].sort(newestFirst);
    const toDecide = sorted.filter((r) => r.state === 'pending' && r.canDecide);
    const mine = sorted.filter((r) => r.requester === me.email);
    const others = isAdmin ? sorted : sorted.filter((r) => r.requester !== me.email);
    waiting.update(toDecide);
    waitingPanel.hidden = toDecide.length === 0;
    waitingCount.textContent = String(toDecide.length);
    mineTable.update(mine);
    othersTable.update(others);
    othersPanel.hidden = !isAdmin && others.length === 0;
    for (const f of forms) f.update(mine);
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };

  const load = listReloader({
    fetch: () => api<AccessRequestInfo[]>('GET', '/requests'),
    show,
    error,
    signal,
    returnTo: '/requests',
    what: 'the requests',
  });

  /** A decision: the server's answer (or its message, e.g. "already approved"), then the list again. */
  async function run(
    button: HTMLButtonElement,
    busyLabel: string,
    work: () => Promise<AccessRequestInfo>,
    said: (r: AccessRequestInfo) => string,
  ): Promise<void> {
    error.show(null);
    status.show(null);
    // The label keeps its visually-hidden part (what the button acts on) for when it comes back.
    const label = [...button.childNodes];
    button.disabled = true;
    button.textContent = busyLabel;
    try {
      const done = await work();
      if (signal.aborted) return;
      status.show(said(done));
    } catch (err) {
      if (signal.aborted) return;
      error.show(errorMessage(err));
    } finally {
      button.disabled = false;
      button.replaceChildren(...label);
    }
    await load();
  }

  show(first);
  const pre = forms.find((f) => f.target === wanted);
  if (pre) pre.focus();

  refresh.addEventListener('click', () => void load());
  refreshWhileVisible(load, REFRESH_MS, signal);
}
