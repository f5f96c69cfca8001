/**
 * #/recordings — every recording this user may see, newest first, with filters in the address:
 * user (admins), target, start, and the text of a command run in the session (the command log).
 */
import type { RecordingInfo } from '../../protocol/api-types';
import { api } from '../api-client';
import { h, mount } from '../dom';
import { formatBytes, formatDuration, formatLocalTime } from '../format';
import { errorLine } from '../forms';
import { navigate, type PageContext } from '../router';
import { currentSession } from '../session';
import { logFilters, runLogForm } from './log-filters';

const FILTERS = ['user', 'target', 'since', 'grep'] as const;
type Filter = (typeof FILTERS)[number];

export async function recordingsPage({ main, query, signal }: PageContext): Promise<void> {
  const isAdmin = currentSession()?.user.role === 'admin';
  const filters = logFilters<Filter>('rec', query, FILTERS);
  const apply = h('button', { type: 'submit', class: 'button button-primary' }, 'Apply');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the recordings' },
    isAdmin ? filters.textField('user', 'User', { type: 'email', placeholder: 'alice@example.com' }) : null,
    filters.textField('target', 'Target', { type: 'text', placeholder: 'web-1' }),
    filters.textField('since', 'Since', { type: 'text', placeholder: '2h, 7d or 2024-05-01T09:00' }),
    filters.textField('grep', 'Command', { type: 'search', placeholder: 'text of a command run' }),
    h('div', { class: 'filter-actions' }, apply),
  );
  const error = errorLine();
  const results = h('div', { class: 'recordings-results' });
  main.append(h('section', { class: 'page', 'aria-labelledby': 'recordings-title' }, h('h1', { id: 'recordings-title' }, 'Recordings'), form, error.el, results));

  const load = async (f: URLSearchParams) => {
    const qs = f.toString();
    const recordings = await api<RecordingInfo[]>('GET', `/recordings${qs ? `?${qs}` : ''}`);
    if (signal.aborted) return;
    if (recordings.length === 0) {
      mount(results, h('p', { class: 'empty' }, qs ? 'No recordings match these filters.' : 'No recordings yet. Every shell opened through Gatehouse is recorded here.'));
      return;
    }
    mount(results, recordingsTable(recordings));
  };
  await runLogForm({ form, apply, error, results, query, signal, current: filters.current, load });
}

function recordingsTable(recordings: RecordingInfo[]): HTMLElement {
  const rows = recordings.map((r) =>
    h(
      'tr',
      {
        'data-recording-id': r.id,
        class: 'row-link',
        // The Play link is the accessible way in; a click anywhere on the row is a shortcut.
        onclick: (ev: Event) => {
          if (!(ev.target as Element).closest('a')) navigate(`/recordings/${encodeURIComponent(r.id)}`);
        },
      },
      h('td', {}, r.userEmail),
      h('td', {}, r.targetName),
      h('td', {}, r.targetUser),
      h('td', {}, h('time', { datetime: r.startedAt }, formatLocalTime(r.startedAt))),
      h('td', { class: 'num' }, r.live ? '—' : formatDuration(r.durationSeconds)),
      h('td', { class: 'num' }, formatBytes(r.sizeBytes)),
      h('td', {}, r.live ? h('span', { class: 'badge badge-live' }, 'live') : null),
      h(
        'td',
        { class: 'actions' },
        h('a', { class: 'button button-small play-link', href: `#/recordings/${encodeURIComponent(r.id)}` }, 'Play', h('span', { class: 'visually-hidden' }, ` recording of ${r.targetUser}@${r.targetName} started ${formatLocalTime(r.startedAt)}`)),
      ),
    ),
  );
  return h(
    'table',
    { class: 'table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['User', 'Target', 'Target user', 'Started', 'Duration', 'Size', 'Status', ''].map((c) => h('th', { scope: 'col', class: c === 'Duration' || c === 'Size' ? 'num' : null }, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}
