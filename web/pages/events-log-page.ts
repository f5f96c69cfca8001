/**
 * #/logs/events — the audit log (logins, policy and key changes, denied access, …), newest first.
 * Admins see everyone's events and may filter by actor; a user sees only their own. The filters
 * are the API's query parameters, kept in the address (`?type=policy.put&since=2h`) so a view
 * can be shared, and the CSV export holds exactly the rows shown, with times in UTC.
 */
import type { EventLogEntry } from '../../protocol/api-types';
import { api } from '../api-client';
import { downloadText, fileStamp, toCsv } from '../csv';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine } from '../forms';
import type { PageContext } from '../router';
import { currentSession } from '../session';
import { logTabs } from './log-tabs';
import { logFilters, runLogForm, safeName } from './log-filters';

const FILTERS = ['user', 'type', 'outcome', 'since', 'until', 'grep'] as const;
type Filter = (typeof FILTERS)[number];
const OUTCOMES = ['success', 'failure', 'denied'] as const;
/** The server's default page size; reaching it means older events were left out. */
const SERVER_LIMIT = 1000;

export const EVENTS_CSV_HEADER = ['time_utc', 'type', 'version', 'actor', 'source', 'outcome', 'object', 'request_id', 'details_json'];

export function eventsCsv(entries: EventLogEntry[]): string {
  return toCsv(
    EVENTS_CSV_HEADER,
    entries.map((e) => [e.at, e.type, e.v, e.actor, e.source, e.outcome, e.object, e.requestId, JSON.stringify(e.details ?? {})]),
  );
}

/** `policy=ops-shell kind=target_access created=true`, cut short for the table; the title has all. */
export function detailsSummary(details: Record<string, unknown> | null | undefined, max = 140): string {
  const parts = Object.entries(details ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const text = parts.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export async function eventsLogPage({ main, query, signal }: PageContext): Promise<void> {
  const isAdmin = currentSession()?.user.role === 'admin';
  const filters = logFilters<Filter>('events', query, FILTERS);
  const textField = filters.textField;
  const outcome = h(
    'select',
    { id: 'events-outcome', name: 'outcome', class: 'input' },
    h('option', { value: '' }, 'any'),
    OUTCOMES.map((o) => h('option', { value: o, selected: query.get('outcome') === o }, o)),
  );
  filters.add('outcome', outcome);

  const apply = h('button', { type: 'submit', class: 'button button-primary' }, 'Apply');
  const download = h('button', { type: 'button', class: 'button', id: 'events-download', disabled: true }, 'Download CSV');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the event log' },
    // Users only ever see their own events; the actor filter is an admin's.
    isAdmin ? textField('user', 'User', { type: 'text', placeholder: 'alice@example.com' }) : null,
    textField('type', 'Type', { type: 'text', placeholder: 'policy.put or auth.*' }),
    h('div', { class: 'field' }, h('label', { for: outcome.id }, 'Outcome'), outcome),
    textField('since', 'Since', { type: 'text', placeholder: '2h, 7d or 2024-05-01T09:00Z' }),
    textField('until', 'Until', { type: 'text', placeholder: '1h or 2024-05-02T00:00Z' }),
    textField('grep', 'Text', { type: 'search', placeholder: 'words in the event' }),
    h('div', { class: 'filter-actions' }, apply, download),
  );
  const error = errorLine();
  const summary = h('p', { class: 'hint log-summary', role: 'status' });
  const results = h('div', { class: 'log-results' });
  main.append(
    h(
      'section',
      { class: 'page page-wide', 'aria-labelledby': 'events-title' },
      logTabs('events'),
      h('h1', { id: 'events-title' }, 'Event log'),
      isAdmin ? null : h('p', { class: 'lead' }, 'Your own logins, requests and changes.'),
      form,
      error.el,
      summary,
      results,
    ),
  );

  let shown: EventLogEntry[] = [];
  let shownFilters = '';

  const load = async (filters: URLSearchParams) => {
    const qs = filters.toString();
    const entries = await api<EventLogEntry[]>('GET', `/logs/events${qs ? `?${qs}` : ''}`);
    if (signal.aborted) return;
    // The server answers newest first; sorted here too so the table and CSV never depend on it.
    shown = [...entries].sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id);
    shownFilters = qs;
    render();
    const n = shown.length;
    summary.textContent =
      n === 0
        ? ''
        : `${n} event${n === 1 ? '' : 's'}, newest first${n >= SERVER_LIMIT ? ` (the newest ${SERVER_LIMIT}; narrow the filters to see older ones)` : ''}`;
    download.disabled = n === 0;
  };

  const render = () => {
    if (shown.length === 0) {
      mount(results, h('p', { class: 'empty' }, shownFilters ? 'No events match these filters.' : 'No events yet.'));
      return;
    }
    const columns = ['Time', 'Type', 'Actor', 'Source', 'Outcome', 'Object', 'Details'];
    const table = h(
      'table',
      { class: 'table log-table events-table' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, shown.map(eventRow)),
    );
    mount(results, h('div', { class: 'table-scroll' }, table));
  };

  download.addEventListener('click', () => {
    if (shown.length === 0) return;
    const type = new URLSearchParams(shownFilters).get('type');
    downloadText(`gatehouse-events-${type ? `${safeName(type)}-` : ''}${fileStamp()}.csv`, eventsCsv(shown));
  });

  await runLogForm({ form, apply, error, results, query, signal, current: filters.current, load });
}

function eventRow(e: EventLogEntry): HTMLTableRowElement {
  const dash = () => h('span', { class: 'muted' }, '—');
  const tone = e.outcome === 'success' ? 'ok' : e.outcome === 'denied' ? 'off' : 'danger';
  const full = JSON.stringify(e.details ?? {}, null, 1);
  return h(
    'tr',
    { 'data-event-id': e.id, 'data-type': e.type, 'data-outcome': e.outcome },
    h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: e.at }, formatLocalTime(e.at))),
    h('td', { class: 'nowrap' }, h('code', { class: 'event-type' }, e.type)),
    h('td', {}, e.actor ?? dash()),
    h('td', { class: 'nowrap' }, e.source ?? dash()),
    h('td', {}, h('span', { class: `badge badge-${tone} outcome-badge` }, e.outcome)),
    h('td', {}, e.object ?? dash()),
    h('td', { class: 'reason details', title: full }, detailsSummary(e.details) || dash()),
  );
}

