/**
 * #/recordings/:id — asciinema-player with speed and idle-skip. The player takes its options only
 * at creation, so changing either recreates it (resuming playback if it was playing).
 */
import type { RecordingInfo } from '../../protocol/api-types';
import { api } from '../api-client';
import { add, h } from '../dom';
import { formatBytes, formatDuration, formatLocalTime } from '../format';
import { createPlayer, type AsciinemaPlayerInstance } from '../player/asciinema';
import { type PageContext } from '../router';

const SPEEDS = [1, 2, 4];
/** Pauses longer than this are shortened to it when "skip idle time" is on. */
const IDLE_LIMIT_SECONDS = 2;

export async function playerPage({ main, params, signal }: PageContext): Promise<void> {
  const id = params[0]!;
  const castUrl = `/api/v1/recordings/${encodeURIComponent(id)}/cast`;
  const section = h('section', { class: 'page player-page' });
  main.append(section);

  const rec = (await api<RecordingInfo[]>('GET', '/recordings')).find((r) => r.id === id);
  if (signal.aborted) return;
  if (!rec) {
    section.append(h('h1', {}, 'Recording'), h('p', { class: 'alert', role: 'alert' }, 'This recording does not exist or is not yours to see.'), h('a', { href: '#/recordings' }, 'Back to recordings'));
    return;
  }

  const speed = h(
    'select',
    { id: 'player-speed', class: 'input input-inline' },
    SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)),
  );
  const idleSkip = h('input', { id: 'player-idle-skip', type: 'checkbox', checked: true });
  const host = h('div', { class: 'player-host' });

  add(
    section,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/recordings' }, '← Recordings')),
    h('h1', {}, `${rec.targetUser}@${rec.targetName}`, rec.live ? h('span', { class: 'badge badge-live' }, 'live') : null),
    h(
      'dl',
      { class: 'meta' },
      meta('User', rec.userEmail),
      meta('Started', h('time', { datetime: rec.startedAt }, formatLocalTime(rec.startedAt))),
      meta('Duration', rec.live ? 'in progress' : formatDuration(rec.durationSeconds)),
      meta('Size', formatBytes(rec.sizeBytes)),
      rec.recordsInput ? meta('Input', 'recorded') : null,
    ),
    rec.live ? h('p', { class: 'hint' }, 'This session is still running; reload the page to see what happened since.') : null,
    h(
      'div',
      { class: 'player-controls' },
      h('label', { for: speed.id }, 'Speed ', speed),
      h('label', { for: idleSkip.id, class: 'checkbox' }, idleSkip, ` Skip idle time (pauses over ${IDLE_LIMIT_SECONDS} s)`),
      h('a', { class: 'button', href: `${castUrl}?download=1`, download: `${rec.id}.cast` }, 'Download .cast'),
    ),
    host,
  );

  let player: AsciinemaPlayerInstance | null = null;
  let playing = false;
  const create = () => {
    const resume = playing;
    player?.dispose();
    host.replaceChildren();
    playing = false;
    player = createPlayer(castUrl, host, {
      speed: Number(speed.value) || 1,
      // Infinity tells the player not to use any idle_time_limit from the file's header either.
      idleTimeLimit: idleSkip.checked ? IDLE_LIMIT_SECONDS : Number.POSITIVE_INFINITY,
      fit: 'width',
      preload: true,
      autoPlay: resume,
      terminalFontFamily: '"DejaVu Sans Mono", Menlo, Consolas, monospace',
    });
    player.addEventListener('play', () => (playing = true));
    player.addEventListener('pause', () => (playing = false));
    player.addEventListener('ended', () => (playing = false));
  };
  speed.addEventListener('change', create);
  idleSkip.addEventListener('change', create);
  signal.addEventListener('abort', () => player?.dispose());
  create();
}

function meta(label: string, value: Node | string): HTMLElement {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}
