/**
 * #/recordings/:id[?t=SECONDS] — asciinema-player with speed and idle-skip, opened at `t` (seconds
 * into the recording, as in the command log's links), and the connection's commands beside it:
 * clicking one seeks there. The commands are also markers in the cast (`m` events), which the
 * player shows on its progress bar and steps through with `[` and `]`.
 *
 * The page fetches the cast itself and hands the text to the player: the command offsets are in
 * the recording's own time and the player's timeline is shortened by idle-skip, so mapping one to
 * the other needs the event times (player/cast-timeline.ts). It also means changing speed or
 * idle-skip (the player takes options only at creation, so it is recreated) needs no refetch and
 * keeps the place. A live recording is shown as far as it was written when the page loaded.
 */
import type { CommandLogEntry, RecordingInfo } from '../../protocol/api-types';
import { api, ApiError, errorMessage } from '../api-client';
import { add, h, mount } from '../dom';
import { formatBytes, formatDuration, formatLocalTime } from '../format';
import { createPlayer, type AsciinemaPlayerInstance } from '../player/asciinema';
import { castEventTimes, completeLines, toPlayerTime, toRawTime } from '../player/cast-timeline';
import { replaceQuery, type PageContext } from '../router';
import { commandText, exitBadge } from './commands-log-page';

const SPEEDS = [1, 2, 4];
/** Pauses longer than this are shortened to it when "skip idle time" is on. */
const IDLE_LIMIT_SECONDS = 2;
/** The API's largest page: every command of one connection, in practice. */
const COMMANDS_LIMIT = 10_000;

declare global {
  interface Window {
    /** The page's player, for tests (like __gatehouseTerm on the terminal page). */
    __gatehousePlayer?: AsciinemaPlayerInstance;
  }
}

/** `?t=` as seconds; anything else (missing, negative, not a number) means the start. */
export function parseStartTime(v: string | null): number {
  if (v === null || v.trim() === '') return 0;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** `75.4` → `1:15`, `3725` → `1:02:05`: an offset into the recording. */
export function formatOffset(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

export async function playerPage({ main, params, query, signal }: PageContext): Promise<void> {
  const id = params[0]!;
  const castUrl = `/api/v1/recordings/${encodeURIComponent(id)}/cast`;
  const section = h('section', { class: 'page page-wide player-page' });
  main.append(section);

  let rec: RecordingInfo;
  try {
    rec = await api<RecordingInfo>('GET', `/recordings/${encodeURIComponent(id)}`);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
      add(
        section,
        h('h1', {}, 'Recording'),
        h('p', { class: 'alert', role: 'alert' }, 'This recording does not exist or is not yours to see.'),
        h('a', { href: '#/recordings' }, 'Back to recordings'),
      );
      return;
    }
    throw err;
  }
  if (signal.aborted) return;

  const [castText, commands] = await Promise.all([
    fetchCast(castUrl),
    api<CommandLogEntry[]>('GET', `/logs/commands?connection=${encodeURIComponent(id)}&limit=${COMMANDS_LIMIT}`).catch((err: unknown) => err),
  ]);
  if (signal.aborted) return;
  const times = castEventTimes(castText);

  const speed = h(
    'select',
    { id: 'player-speed', class: 'input input-inline' },
    SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)),
  );
  const idleSkip = h('input', { id: 'player-idle-skip', type: 'checkbox', checked: true });
  const host = h('div', { class: 'player-host' });
  const commandsPanel = h('aside', { class: 'player-commands', 'aria-labelledby': 'player-commands-title' });

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
    h('div', { class: 'player-layout' }, host, commandsPanel),
  );

  const idleLimit = () => (idleSkip.checked ? IDLE_LIMIT_SECONDS : Number.POSITIVE_INFINITY);
  let player: AsciinemaPlayerInstance | null = null;
  let playerLimit = idleLimit();
  let playing = false;
  const items = new Map<number, { entry: CommandLogEntry; li: HTMLLIElement }>();

  const create = (startAt: number) => {
    const resume = playing;
    player?.dispose();
    host.replaceChildren();
    playing = false;
    playerLimit = idleLimit();
    const p = createPlayer({ data: castText }, host, {
      speed: Number(speed.value) || 1,
      // Infinity tells the player not to use any idle_time_limit from the file's header either.
      idleTimeLimit: playerLimit,
      fit: 'width',
      preload: true,
      autoPlay: resume,
      // In the recording's own time: the player maps it through idle-skip itself.
      ...(startAt > 0 ? { startAt } : {}),
      terminalFontFamily: '"DejaVu Sans Mono", Menlo, Consolas, monospace',
    });
    p.addEventListener('play', () => (playing = true));
    p.addEventListener('pause', () => (playing = false));
    p.addEventListener('ended', () => (playing = false));
    // Playback passing a command's marker lights it up in the list.
    p.addEventListener('marker', (m) => {
      const hit = nearestCommand(m.time, 0.25);
      if (hit) markCurrent(hit, true);
    });
    player = p;
    window.__gatehousePlayer = p;
    // `startAt` only takes effect when playback starts; paused, the player would show the
    // first frame. Seeking (on its own, compressed timeline) shows that moment right away.
    if (startAt > 0 && !resume) void p.seek(toPlayerTime(times, startAt, playerLimit)).catch(() => undefined);
  };

  /** The command whose marker is at player time `t` (within `tolerance` seconds). */
  const nearestCommand = (t: number, tolerance: number): number | null => {
    let best: number | null = null;
    let bestDiff = tolerance;
    for (const [cid, { entry }] of items) {
      const diff = Math.abs(toPlayerTime(times, entry.offsetSeconds, playerLimit) - t);
      if (diff <= bestDiff) {
        best = cid;
        bestDiff = diff;
      }
    }
    return best;
  };

  const list = h('ol', { class: 'command-list' });
  const markCurrent = (cid: number, reveal: boolean) => {
    for (const [other, { li }] of items) {
      if (other === cid) li.setAttribute('aria-current', 'true');
      else li.removeAttribute('aria-current');
    }
    const li = items.get(cid)?.li;
    // Scroll the list only (scrollIntoView would move the whole page under the reader).
    if (reveal && li && (li.offsetTop < list.scrollTop || li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight)) {
      list.scrollTop = li.offsetTop - list.clientHeight / 3;
    }
  };

  const jumpTo = async (entry: CommandLogEntry) => {
    if (!player) return;
    markCurrent(entry.id, false);
    const q = new URLSearchParams(query);
    q.set('t', String(entry.offsetSeconds));
    replaceQuery(q);
    await player.seek(toPlayerTime(times, entry.offsetSeconds, playerLimit));
  };

  const start = parseStartTime(query.get('t'));
  renderCommands();

  const recreate = () => {
    const at = player ? toRawTime(times, player.getCurrentTime(), playerLimit) : start;
    create(at);
  };
  speed.addEventListener('change', recreate);
  idleSkip.addEventListener('change', recreate);
  signal.addEventListener('abort', () => {
    player?.dispose();
    if (window.__gatehousePlayer === player) delete window.__gatehousePlayer;
  });
  create(start);

  function renderCommands(): void {
    const title = h('h2', { id: 'player-commands-title' }, 'Commands');
    if (!Array.isArray(commands)) {
      mount(commandsPanel, title, h('p', { class: 'form-error', role: 'alert' }, `The command log could not be read: ${errorMessage(commands)}`));
      return;
    }
    if (commands.length === 0) {
      mount(commandsPanel, title, h('p', { class: 'hint' }, 'No commands were logged in this session.'));
      return;
    }
    // Oldest first: the order they happened in the recording.
    const ordered = [...commands].sort((a, b) => a.offsetSeconds - b.offsetSeconds || a.id - b.id);
    for (const e of ordered) {
      const button = h(
        'button',
        { type: 'button', class: 'command-jump', title: `Play from ${formatOffset(e.offsetSeconds)} (${formatLocalTime(e.at)})` },
        h('span', { class: 'command-meta' }, h('span', { class: 'command-offset' }, formatOffset(e.offsetSeconds)), exitBadge(e.exitCode)),
        commandText(e.command),
      );
      button.addEventListener('click', () => void jumpTo(e));
      const li = h('li', { 'data-command-id': e.id, 'data-offset': e.offsetSeconds }, button);
      items.set(e.id, { entry: e, li });
      list.append(li);
    }
    mount(
      commandsPanel,
      title,
      h('p', { class: 'hint' }, `${ordered.length} logged. Click one to play from there; [ and ] in the player step between them.`),
      list,
    );
    // Opened from a command's link: show which one.
    if (start > 0 || query.has('t')) {
      const at = ordered.filter((e) => e.offsetSeconds <= start).pop();
      if (at) queueMicrotask(() => markCurrent(at.id, true));
    }
  }
}

async function fetchCast(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  if (!res.ok) throw new ApiError(res.status, 'UNKNOWN', `The recording could not be read (${res.status} ${res.statusText}).`);
  // A live recording may end mid-line; the player would reject the whole file for it.
  return completeLines(await res.text());
}

function meta(label: string, value: Node | string): HTMLElement {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}
