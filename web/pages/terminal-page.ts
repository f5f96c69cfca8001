/**
 * #/terminal/:connectionId — a live shell. Leaving the page closes only the websocket: the shell
 * keeps running on the server and a later visit (or Reconnect) re-attaches with the screen redrawn.
 * When another client attaches to the same shell (the newest wins), this page says so and offers
 * to take it back.
 */
import type { ConnectionInfo, RecordingInfo } from '../../protocol/api-types';
import { CLOSE } from '../../protocol/close-codes';
import { api, ApiError } from '../api-client';
import { h } from '../dom';
import { type PageContext } from '../router';
import { describeClose, describeExit } from '../terminal/close-reasons';
import { openTerminalSocket, type TerminalSocket } from '../terminal/terminal-socket';
import { createTerminalView } from '../terminal/terminal-view';

type State = 'connecting' | 'connected' | 'ended' | 'disconnected' | 'replaced';

/** RIS (ESC c): a full terminal reset, written in band so it applies after any pending output. */
const FULL_RESET = '\x1bc';

export async function terminalPage({ main, params, signal }: PageContext): Promise<void> {
  const connectionId = params[0]!;
  const title = h('h1', { class: 'terminal-title' }, 'Terminal');
  const status = h('span', { class: 'terminal-status', role: 'status', 'aria-live': 'polite', 'data-state': 'connecting' }, 'Connecting…');
  const recordingLink = h('a', { class: 'terminal-recording', hidden: true }, 'View recording');
  const reconnect = h('button', { type: 'button', class: 'button button-small terminal-reconnect', hidden: true }, 'Reconnect');
  const takeOver = h(
    'button',
    { type: 'button', class: 'button button-small button-primary terminal-take-over', hidden: true, title: 'Attach here again; the other client is disconnected' },
    'Take over',
  );
  const host = h('div', { class: 'terminal-host', 'aria-label': 'Terminal' });
  main.append(
    h(
      'section',
      { class: 'terminal-page' },
      h(
        'div',
        { class: 'terminal-bar' },
        h('a', { class: 'terminal-back', href: '#/connections', title: 'All your open connections' }, '← Connections'),
        title,
        status,
        takeOver,
        reconnect,
        recordingLink,
      ),
      host,
    ),
  );

  const setStatus = (state: State, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  // GET /connections/:id also answers for an admin attaching to someone else's shell.
  let conn: ConnectionInfo | undefined;
  try {
    conn = await api<ConnectionInfo>('GET', `/connections/${encodeURIComponent(connectionId)}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  if (signal.aborted) return;
  if (!conn) {
    setStatus('ended', describeClose(4404, '').text);
    return;
  }
  title.textContent = `${conn.targetUser}@${conn.targetName}`;
  void showRecordingLink(connectionId, recordingLink, signal);
  if (conn.state === 'closed') {
    setStatus('ended', conn.closeReason ? `Session ended: ${conn.closeReason}` : 'Session ended');
    return;
  }
  const wsPath = conn.wsPath;
  const who = `${conn.targetUser}@${conn.targetName}`;

  const view = createTerminalView(host);
  const { term } = view;
  const encoder = new TextEncoder();
  let socket: TerminalSocket | null = null;
  let exitText: string | null = null;

  const connect = () => {
    if (socket) return;
    reconnect.hidden = true;
    takeOver.hidden = true;
    term.options.disableStdin = false;
    setStatus('connecting', 'Connecting…');
    socket = openTerminalSocket(wsPath, {
      onOpen: () => {
        view.fit();
        socket?.sendResize(term.cols, term.rows);
      },
      onOutput: (bytes) => {
        // Output before 'attached' still means the shell is there.
        if (status.dataset.state === 'connecting') setStatus('connected', 'Connected');
        term.write(bytes);
      },
      onControl: (msg) => {
        if (msg.type === 'attached') {
          // A re-attach is followed by the current screen (itself starting with ESC c). Reset in
          // band, before it: term.reset() would act at once, ahead of output still queued in
          // xterm's write buffer, and leave the parser mid-sequence if the last socket ended so.
          if (msg.redraw) term.write(FULL_RESET);
          setStatus('connected', `Connected as ${who}`);
          term.focus();
          // The recording starts with the shell, so it may not have been listed before now.
          if (recordingLink.hidden) void showRecordingLink(connectionId, recordingLink, signal);
        } else if (msg.type === 'exit') {
          exitText = describeExit(msg.code, msg.signal);
          setStatus('ended', exitText);
        } else {
          setStatus(status.dataset.state as State, msg.message);
        }
      },
      onClose: (code, reason) => {
        socket = null;
        const outcome = describeClose(code, reason);
        if (outcome.takeOver) {
          // Keep the last screen visible but inert: typing here would go nowhere.
          term.options.disableStdin = true;
          setStatus('replaced', outcome.text);
          takeOver.hidden = false;
        } else if (outcome.final) {
          term.options.disableStdin = true;
          term.options.cursorBlink = false;
          // Someone or something ended it ("closed by user", "grant expired"): that is the news,
          // not the exit status of the shell it stopped. A plain exit keeps its code.
          const endedBySomeone = code === CLOSE.ENDED && reason !== '' && reason !== 'exited';
          setStatus('ended', endedBySomeone ? outcome.text : (exitText ?? outcome.text));
          void showRecordingLink(connectionId, recordingLink, signal);
        } else {
          setStatus('disconnected', outcome.text);
          reconnect.hidden = false;
        }
        if (outcome.loginAgain) {
          status.append(' ', h('a', { href: '#/login' }, 'Log in again'));
        }
      },
    });
  };

  const inputSub = term.onData((data) => socket?.sendInput(encoder.encode(data)));
  // onBinary carries byte strings (some mouse reports): one char per byte, not UTF-8.
  const binarySub = term.onBinary((data) => socket?.sendInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  const resizeSub = term.onResize(({ cols, rows }) => socket?.sendResize(cols, rows));
  reconnect.addEventListener('click', connect);
  takeOver.addEventListener('click', connect);

  signal.addEventListener('abort', () => {
    inputSub.dispose();
    binarySub.dispose();
    resizeSub.dispose();
    socket?.close();
    view.dispose();
  });
  connect();
}

/** Recordings are listed by recording id; find the one made of this connection. */
async function showRecordingLink(connectionId: string, link: HTMLAnchorElement, signal: AbortSignal): Promise<void> {
  try {
    const recordings = await api<RecordingInfo[]>('GET', '/recordings');
    const rec = recordings.find((r) => r.connectionId === connectionId);
    if (signal.aborted || !rec) return;
    link.href = `#/recordings/${encodeURIComponent(rec.id)}`;
    link.hidden = false;
  } catch {
    // Not every user may list recordings; the terminal works without the link.
  }
}
