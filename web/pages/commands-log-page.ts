/**
 * #/logs/commands — the command log: who ran what, where, as whom, with the exit status where
 * the shell reported it, newest first. Filters are the API's query parameters, kept in the
 * address (`?target=web-1&grep=rm%20-rf`) with `follow=1` when following, so a view can be
 * shared. Each row links to that moment in its recording. The CSV holds exactly the rows shown,
 * with times in UTC.
 *
 * Follow polls `after=<newest id shown>` every 2 s with the same filters. An exec's row is written
 * when it starts and gets its exit status when it ends, so a poll also re-reads the recent rows
 * still waiting for one (bounded, see `poll`).
 */
import type { CommandLogEntry } from '../../protocol/api-types';
import { api, ApiError, errorMessage } from '../api-client';
import { downloadText, fileStamp, toCsv } from '../csv';
import { h, mount } from '../dom';
import { formatLocalTime } from '../format';
import { errorLine } from '../forms';
import { replaceQuery, type PageContext } from '../router';
import { currentSession } from '../session';
import { logTabs } from './log-tabs';
import { logFilters, runLogForm, safeName } from './log-filters';

const FILTERS = ['user', 'target', 'since', 'until', 'grep'] as const;
type Filter = (typeof FILTERS)[number];
/** The server's default page size; reaching it means older commands were left out. */
const SERVER_LIMIT = 1000;
export const FOLLOW_INTERVAL_MS = 2000;
/** Rows kept on the page while following; the oldest go first. */
const MAX_ROWS = 5000;
/** Rows still without an exit status are re-read while following if they are this recent … */
const PENDING_MAX_AGE_MS = 10 * 60_000;
/** … and among this many newest rows (which bounds what one poll re-reads). */
const PENDING_WINDOW = 200;
const POLL_LIMIT = 1000;

export const COMMANDS_CSV_HEADER = ['time_utc', 'user', 'target', 'target_user', 'environment', 'exit_code', 'command', 'connection_id', 'offset_seconds'];

export function commandsCsv(entries: CommandLogEntry[]): string {
  return toCsv(
    COMMANDS_CSV_HEADER,
    entries.map((e) => [e.at, e.userEmail, e.targetName, e.targetUser, e.environment, e.exitCode, e.command, e.connectionId, e.offsetSeconds]),
  );
}

/** `#/recordings/ID?t=12.3`: the player opens there. */
export function playHref(e: Pick<CommandLogEntry, 'connectionId' | 'offsetSeconds'>): string {
  const t = Math.max(0, Math.round(e.offsetSeconds * 1000) / 1000);
  return `#/recordings/${encodeURIComponent(e.connectionId)}?t=${t}`;
}

/** The exit status as a badge; a dash when the shell did not report one. */
export function exitBadge(code: number | null): HTMLElement {
  if (code === null) return h('span', { class: 'muted exit-status', title: 'Not reported by the shell' }, '—');
  return h('span', { class: `badge ${code === 0 ? 'badge-ok' : 'badge-danger'} exit-status`, title: `Exit status ${code}` }, String(code));
}

/**
 * The command as the shell received it: monospace, its own line breaks kept, long lines wrapped
 * (styles.css). A <code>, not a <pre>, so it may sit inside a button.
 */
export function commandText(command: string): HTMLElement {
  return h('code', { class: 'command-text' }, command);
}

export async function commandsLogPage({ main, query, signal }: PageContext): Promise<void> {
  const isAdmin = currentSession()?.user.role === 'admin';
  const filters = logFilters<Filter>('commands', query, FILTERS);
  const textField = filters.textField;

  const apply = h('button', { type: 'submit', class: 'button button-primary' }, 'Apply');
  const download = h('button', { type: 'button', class: 'button', id: 'commands-download', disabled: true }, 'Download CSV');
  const followBox = h('input', { type: 'checkbox', id: 'commands-follow', checked: query.get('follow') === '1' });
  const followLabel = h(
    'label',
    { for: followBox.id, class: 'checkbox follow-toggle', title: `Check for new commands every ${FOLLOW_INTERVAL_MS / 1000} s` },
    followBox,
    ' Follow',
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the command log' },
    // Users only ever see their own commands; the user filter is an admin's.
    isAdmin ? textField('user', 'User', { type: 'text', placeholder: 'alice@example.com' }) : null,
    textField('target', 'Target', { type: 'text', placeholder: 'web-1' }),
    textField('since', 'Since', { type: 'text', placeholder: '2h, 7d or 2024-05-01T09:00Z' }),
    textField('until', 'Until', { type: 'text', placeholder: '1h or 2024-05-02T00:00Z' }),
    textField('grep', 'Search', { type: 'search', placeholder: 'text in the command' }),
    h('div', { class: 'filter-actions' }, followLabel, apply, download),
  );
  const error = errorLine();
  const summary = h('p', { class: 'hint log-summary', role: 'status' });
  const results = h('div', { class: 'log-results' });
  main.append(
    h(
      'section',
      { class: 'page page-wide', 'aria-labelledby': 'commands-title' },
      logTabs('commands'),
      h('h1', { id: 'commands-title' }, 'Command log'),
      isAdmin ? null : h('p', { class: 'lead' }, 'The commands you ran through Gatehouse.'),
      form,
      error.el,
      summary,
      results,
    ),
  );

  /** Newest first; the table's rows are in the same order. */
  let shown: CommandLogEntry[] = [];
  let shownFilters = '';
  let tbody: HTMLTableSectionElement | null = null;
  const rowsById = new Map<number, HTMLTableRowElement>();
  /** Bumped on every load, so a poll begun under older filters never lands. */
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let polling = false;
  /** Loads in flight: a poll waits for them (it needs the newest id they bring). */
  let loading = 0;

  const addressQuery = (filters: URLSearchParams): URLSearchParams => {
    const q = new URLSearchParams(filters);
    if (followBox.checked) q.set('follow', '1');
    return q;
  };

  const updateSummary = () => {
    const n = shown.length;
    const following = followBox.checked ? `following, checks every ${FOLLOW_INTERVAL_MS / 1000} s` : '';
    const count = `${n} command${n === 1 ? '' : 's'}, newest first`;
    const capped = n >= SERVER_LIMIT && !followBox.checked ? ` (the newest ${SERVER_LIMIT}; narrow the filters to see older ones)` : '';
    summary.textContent = n === 0 ? (following ? `Nothing yet; ${following}.` : '') : `${count}${capped}${following ? ` · ${following}` : ''}`;
    download.disabled = n === 0;
  };

  const load = async (filters: URLSearchParams) => {
    const qs = filters.toString();
    const gen = ++generation;
    loading++;
    let entries: CommandLogEntry[];
    try {
      entries = await api<CommandLogEntry[]>('GET', `/logs/commands${qs ? `?${qs}` : ''}`);
    } finally {
      loading--;
    }
    if (signal.aborted || gen !== generation) return;
    // The server answers newest first; sorted here too so the table and CSV never depend on it.
    shown = [...entries].sort((a, b) => b.id - a.id);
    shownFilters = qs;
    render();
    updateSummary();
  };

  const render = () => {
    rowsById.clear();
    tbody = null;
    if (shown.length === 0) {
      mount(results, h('p', { class: 'empty' }, shownFilters ? 'No commands match these filters.' : 'No commands yet.'));
      return;
    }
    const columns = ['Time', 'User', 'Target', 'Environment', 'Exit', 'Command', 'Recording'];
    tbody = h('tbody', {}, shown.map(rowFor));
    const table = h(
      'table',
      { class: 'table log-table commands-table' },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c === 'Recording' ? h('span', { class: 'visually-hidden' }, c) : c)))),
      tbody,
    );
    mount(results, h('div', { class: 'table-scroll' }, table));
  };

  const rowFor = (e: CommandLogEntry): HTMLTableRowElement => {
    const tr = commandRow(e);
    rowsById.set(e.id, tr);
    return tr;
  };

  /** New rows (ascending ids from the server) go on top; known rows get their exit status. */
  const merge = (entries: CommandLogEntry[]) => {
    const known = new Map(shown.map((e, i) => [e.id, i]));
    const fresh: CommandLogEntry[] = [];
    for (const e of entries) {
      const i = known.get(e.id);
      if (i === undefined) {
        fresh.push(e);
      } else if (shown[i]!.exitCode !== e.exitCode) {
        shown[i] = e;
        const old = rowsById.get(e.id);
        if (old) {
          const tr = rowFor(e);
          old.replaceWith(tr);
        }
      }
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => b.id - a.id);
    const newestShown = shown[0]?.id ?? 0;
    shown = [...fresh, ...shown].sort((a, b) => b.id - a.id);
    if (!tbody || fresh.some((e) => e.id < newestShown)) {
      // Only the first rows, or an out-of-order id: draw the table again.
      render();
    } else {
      tbody.prepend(...fresh.map(rowFor));
      for (const tr of tbody.querySelectorAll<HTMLTableRowElement>('tr')) tr.classList.remove('row-new');
      for (const e of fresh) rowsById.get(e.id)?.classList.add('row-new');
    }
    while (shown.length > MAX_ROWS) {
      const dropped = shown.pop()!;
      rowsById.get(dropped.id)?.remove();
      rowsById.delete(dropped.id);
    }
  };

  /**
   * One follow step: `after` is the newest id shown, or just before the oldest recent row still
   * without an exit status. Those rows are among the newest PENDING_WINDOW shown, and the page
   * shows every matching row newer than them, so a poll re-reads at most that many old rows and
   * always makes progress.
   */
  const poll = async () => {
    if (polling || loading > 0 || !followBox.checked || signal.aborted) return;
    polling = true;
    const gen = generation;
    try {
      const newest = shown[0]?.id ?? 0;
      const now = Date.now();
      let after = newest;
      for (const e of shown.slice(0, PENDING_WINDOW)) {
        if (e.exitCode === null && now - Date.parse(e.at) < PENDING_MAX_AGE_MS) after = Math.min(after, e.id - 1);
      }
      const q = new URLSearchParams(shownFilters);
      q.set('after', String(Math.max(0, after)));
      q.set('limit', String(POLL_LIMIT));
      const entries = await api<CommandLogEntry[]>('GET', `/logs/commands?${q}`);
      if (signal.aborted || gen !== generation || !followBox.checked) return;
      error.show(null);
      merge(entries);
      updateSummary();
      // A full page means more are waiting: fetch the rest at once instead of in 2 s.
      if (entries.length >= POLL_LIMIT) schedule(0);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        // Logged out (or no longer allowed): polling on would only repeat the refusal.
        followBox.checked = false;
        stopFollowing();
        updateSummary();
        error.show(`Following stopped: ${errorMessage(err)}`);
        return;
      }
      // A restarting server or a dropped network: say so and keep trying.
      error.show(`Following paused: ${errorMessage(err)}`);
    } finally {
      polling = false;
    }
  };

  const schedule = (ms = FOLLOW_INTERVAL_MS) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      poll()
        .catch(() => undefined)
        .finally(() => {
          if (followBox.checked && !signal.aborted && timer === null) schedule();
        });
    }, ms);
  };
  const stopFollowing = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  signal.addEventListener('abort', stopFollowing);

  followBox.addEventListener('change', () => {
    replaceQuery(addressQuery(new URLSearchParams(shownFilters)));
    updateSummary();
    if (followBox.checked) schedule(0);
    else stopFollowing();
  });

  download.addEventListener('click', () => {
    if (shown.length === 0) return;
    const target = new URLSearchParams(shownFilters).get('target');
    downloadText(`gatehouse-commands-${target ? `${safeName(target)}-` : ''}${fileStamp()}.csv`, commandsCsv(shown));
  });

  if (!(await runLogForm({ form, apply, error, results, query, signal, current: filters.current, load, address: addressQuery }))) return;
  if (followBox.checked) schedule();
}

function commandRow(e: CommandLogEntry): HTMLTableRowElement {
  const where = `${e.targetUser}@${e.targetName}`;
  return h(
    'tr',
    {
      'data-command-id': e.id,
      'data-connection-id': e.connectionId,
      'data-exit': e.exitCode === null ? '' : e.exitCode,
    },
    h('td', { class: 'nowrap' }, h('time', { datetime: e.at, title: e.at }, formatLocalTime(e.at))),
    h('td', {}, e.userEmail),
    h('td', { class: 'nowrap' }, h('span', { class: 'target-name' }, where)),
    h('td', {}, e.environment),
    h('td', {}, exitBadge(e.exitCode)),
    h('td', { class: 'command-cell' }, commandText(e.command)),
    h(
      'td',
      { class: 'nowrap' },
      h(
        'a',
        { class: 'button button-small play-link', href: playHref(e), title: 'Play the recording from this command' },
        '▶ play',
        h('span', { class: 'visually-hidden' }, ` ${where} at ${formatLocalTime(e.at)}`),
      ),
    ),
  );
}

