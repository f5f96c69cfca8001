/** #/recordings — every recording this user may see, newest first. */
import type { RecordingInfo } from '../../protocol/api-types';
import { api } from '../api-client';
import { h } from '../dom';
import { formatBytes, formatDuration, formatLocalTime } from '../format';
import { navigate, type PageContext } from '../router';

export async function recordingsPage({ main, signal }: PageContext): Promise<void> {
  const section = h('section', { class: 'page', 'aria-labelledby': 'recordings-title' }, h('h1', { id: 'recordings-title' }, 'Recordings'));
  main.append(section);

  const recordings = await api<RecordingInfo[]>('GET', '/recordings');
  if (signal.aborted) return;
  if (recordings.length === 0) {
    section.append(h('p', { class: 'empty' }, 'No recordings yet. Every shell opened through Gatehouse is recorded here.'));
    return;
  }

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
  section.append(
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['User', 'Target', 'Target user', 'Started', 'Duration', 'Size', 'Status', ''].map((c) =>
            h('th', { scope: 'col', class: c === 'Duration' || c === 'Size' ? 'num' : null }, c),
          ),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
