/**
 * The terminal websocket (`/ws/connections/:id`, see protocol/terminal-messages.ts): binary frames
 * are raw terminal bytes both ways, text frames are JSON control messages. This module owns only
 * the wire; what the page shows for each event is the page's business.
 */
import { parseServerControl, type ClientControl, type ServerControl } from '../../protocol/terminal-messages';

export interface SocketHandlers {
  onOpen(): void;
  onOutput(bytes: Uint8Array): void;
  onControl(msg: ServerControl): void;
  onClose(code: number, reason: string): void;
}

export interface TerminalSocket {
  sendInput(bytes: Uint8Array): void;
  sendResize(cols: number, rows: number): void;
  /** Closes from our side (page left); the shell keeps running on the server. */
  close(): void;
}

export function socketUrl(wsPath: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${wsPath}`;
}

export function openTerminalSocket(wsPath: string, handlers: SocketHandlers): TerminalSocket {
  const ws = new WebSocket(socketUrl(wsPath));
  ws.binaryType = 'arraybuffer';
  let closedByUs = false;

  ws.addEventListener('open', () => handlers.onOpen());
  ws.addEventListener('message', (ev: MessageEvent) => {
    if (ev.data instanceof ArrayBuffer) {
      handlers.onOutput(new Uint8Array(ev.data));
      return;
    }
    const msg = parseServerControl(String(ev.data));
    if (msg) handlers.onControl(msg);
  });
  ws.addEventListener('close', (ev: CloseEvent) => {
    if (!closedByUs) handlers.onClose(ev.code, ev.reason);
  });

  const send = (data: string | Uint8Array) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data);
  };
  return {
    sendInput: (bytes) => send(bytes),
    sendResize: (cols, rows) => send(JSON.stringify({ type: 'resize', cols, rows } satisfies ClientControl)),
    close() {
      closedByUs = true;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000, 'page closed');
    },
  };
}

