/**
 * #/terminal/:connectionId — a live shell. Leaving the page closes only the websocket: the shell
 * keeps running on the server and a later visit (or Reconnect) re-attaches with the screen redrawn.
 */
import type { ConnectionInfo, RecordingInfo } from '../../protocol/api-types';
import { api } from '../api-client';
import { h } from '../dom';
import { type PageContext } from '../router';
import { describeClose, describeExit } from '../terminal/close-reasons';
import { openTerminalSocket, type TerminalSocket } from '../terminal/terminal-socket';
import { createTerminalView } from '../terminal/terminal-view';

type State = 'connecting' | 'connected' | 'ended' | 'disconnected';

export async function terminalPage({ main, params, signal }: PageContext): Promise<void> {
  const connectionId = params[0]!;
  const title = h('h1', { class: 'terminal-title' }, 'Terminal');
  const status = h('span', { class: 'terminal-status', role: 'status', 'aria-live': 'polite', 'data-state': 'connecting' }, 'Connecting…');
  const recordingLink = h('a', { class: 'terminal-recording', hidden: true }, 'View recording');
  const reconnect = h('button', { type: 'button', class: 'button button-small', hidden: true }, 'Reconnect');
  const host = h('div', { class: 'terminal-host', 'aria-label': 'Terminal' });
  main.append(
    h('section', { class: 'terminal-page' }, h('div', { class: 'terminal-bar' }, title, status, reconnect, recordingLink), host),
  );

  const setStatus = (state: State, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  const conn = (await api<ConnectionInfo[]>('GET', '/connections')).find((c) => c.id === connectionId);
  if (signal.aborted) return;
  if (conn) title.textContent = `${conn.targetUser}@${conn.targetName}`;
  void showRecordingLink(connectionId, recordingLink, signal);
  if (conn?.state === 'closed') {
    setStatus('ended', conn.closeReason ? `Session ended: ${conn.closeReason}` : 'Session ended');
    return;
  }

  const view = createTerminalView(host);
  const { term } = view;
  const encoder = new TextEncoder();
  let socket: TerminalSocket | null = null;
  let exitText: string | null = null;

  const connect = () => {
    reconnect.hidden = true;
    setStatus('connecting', 'Connecting…');
    socket = openTerminalSocket(conn?.wsPath ?? `/ws/connections/${encodeURIComponent(connectionId)}`, {
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
          // A re-attach replays the current screen: start from a clean one.
          if (msg.redraw) term.reset();
          setStatus('connected', `Connected${conn ? ` as ${conn.targetUser}@${conn.targetName}` : ''}`);
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
        if (outcome.final) {
          term.options.disableStdin = true;
          term.options.cursorBlink = false;
          setStatus('ended', exitText ?? outcome.text);
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
