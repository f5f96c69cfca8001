/**
 * #/logs/connections — the connection log (open / connected / disconnected / closed, who and
 * why), newest first, with filters kept in the address (`?user=&target=&since=`) so a view can be
 * shared, and a CSV export of exactly the rows shown.
 */
import type { ConnectionLogEntry } from '../../protocol/api-types';
import { api } from '../api-client';
import { downloadText, fileStamp, toCsv } from '../csv';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine } from '../forms';
import type { PageContext } from '../router';
import { currentSession } from '../session';
import { connectionStateBadge, shortId } from './connections-page';
import { logTabs } from './log-tabs';
import { logFilters, runLogForm, safeName } from './log-filters';

/** The server's default page size; reaching it means older events were left out. */
const SERVER_LIMIT = 1000;

const FILTERS = ['user', 'target', 'since', 'grep'] as const;
type Filter = (typeof FILTERS)[number];

export const CSV_HEADER = ['time_utc', 'state', 'user', 'target', 'target_user', 'who', 'reason', 'connection_id'];

export function logCsv(entries: ConnectionLogEntry[]): string {
  return toCsv(
    CSV_HEADER,
    entries.map((e) => [e.at, e.state, e.userEmail, e.targetName, e.targetUser, e.actor, e.reason, e.connectionId]),
  );
}

export async function connectionLogPage({ main, query, signal }: PageContext): Promise<void> {
  const isAdmin = currentSession()?.user.role === 'admin';
  const filters = logFilters<Filter>('log', query, FILTERS);
  const filterField = filters.textField;
  const apply = h('button', { type: 'submit', class: 'button button-primary' }, 'Apply');
  const download = h('button', { type: 'button', class: 'button', id: 'log-download', disabled: true }, 'Download CSV');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the connection log' },
    // Users only ever see their own connections; the user filter is an admin's.
    isAdmin ? filterField('user', 'User', { type: 'email', placeholder: 'alice@example.com' }) : null,
    filterField('target', 'Target', { type: 'text', placeholder: 'web-1' }),
    filterField('since', 'Since', { type: 'text', placeholder: '2h, 7d or 2024-05-01T09:00' }),
    filterField('grep', 'Text', { type: 'search', placeholder: 'reason, who, connection id' }),
    h('div', { class: 'filter-actions' }, apply, download),
  );
  const error = errorLine();
  const summary = h('p', { class: 'hint log-summary', role: 'status' });
  const results = h('div', { class: 'log-results' });
  main.append(
    h(
      'section',
      { class: 'page page-wide', 'aria-labelledby': 'log-title' },
      logTabs('connections'),
      h('h1', { id: 'log-title' }, 'Connection log'),
      form,
      error.el,
      summary,
      results,
    ),
  );

  let shown: ConnectionLogEntry[] = [];
  let shownFilters = '';

  const load = async (filters: URLSearchParams) => {
    const qs = filters.toString();
    const entries = await api<ConnectionLogEntry[]>('GET', `/logs/connections${qs ? `?${qs}` : ''}`);
    if (signal.aborted) return;
    // Newest first, as in any audit view; the CSV keeps this order too.
    shown = [...entries].reverse();
    shownFilters = qs;
    render();
    const n = shown.length;
    summary.textContent =
      n === 0
        ? ''
        : `${n} event${n === 1 ? '' : 's'}${n >= SERVER_LIMIT ? ` (the newest ${SERVER_LIMIT}; narrow the filters to see older ones)` : ''}`;
    download.disabled = n === 0;
  };

  const render = () => {
    if (shown.length === 0) {
      mount(results, h('p', { class: 'empty' }, shownFilters ? 'No connection events match these filters.' : 'No connection events yet.'));
      return;
    }
    const table = h(
      'table',
      { class: 'table log-table' },
      h(
        'thead',
        {},
        h('tr', {}, ['Time', 'State', 'User', 'Target', 'Target user', 'Who', 'Reason', 'Connection'].map((c) => h('th', { scope: 'col' }, c))),
      ),
      h(
        'tbody',
        {},
        shown.map((e) =>
          h(
            'tr',
            { 'data-connection-id': e.connectionId, 'data-state': e.state },
            h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: e.at }, formatLocalTime(e.at))),
            h('td', {}, connectionStateBadge(e.state)),
            h('td', {}, e.userEmail),
            h('td', {}, h('span', { class: 'target-name' }, e.targetName)),
            h('td', {}, e.targetUser),
            h('td', {}, e.actor ?? h('span', { class: 'muted' }, '—')),
            h('td', { class: 'reason' }, e.reason ?? h('span', { class: 'muted' }, '—')),
            h('td', {}, h('code', { class: 'conn-id', title: e.connectionId }, shortId(e.connectionId))),
          ),
        ),
      ),
    );
    mount(results, h('div', { class: 'table-scroll' }, table));
  };

  download.addEventListener('click', () => {
    if (shown.length === 0) return;
    const scope = new URLSearchParams(shownFilters).get('target');
    downloadText(`gatehouse-connections-${scope ? `${safeName(scope)}-` : ''}${fileStamp()}.csv`, logCsv(shown));
  });

  await runLogForm({ form, apply, error, results, query, signal, current: filters.current, load });
}
