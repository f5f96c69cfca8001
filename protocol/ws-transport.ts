/**
 * Agent-link frames over a websocket, for both ends (the bastion's `/ws/agent` route and the
 * remote agent): one binary message holds exactly one frame, length prefix included.
 *
 * Pure like the rest of protocol/: the socket is described structurally (the `ws` package's
 * WebSocket fits), so nothing is imported.
 *
 * What must stay true:
 * - A text message, or a message whose length field does not match its size, is reported to
 *   `invalid` and ends the transport (close code 1002): a peer that breaks framing once is not
 *   trusted with another frame. Oversized messages never get here: the socket's `maxPayload`
 *   refuses them (the `ws` package closes with 1009 and reports an error, which ends us too).
 * - `end` is called exactly once, with our reason when we closed, else the peer's close code
 *   and reason or the socket error.
 * - Sends after the end are dropped. Sends are not paced here: each stream's bytes in flight
 *   are bounded by its credit, so the socket's buffer is bounded too.
 */
import type { FrameTransport, TransportHandlers } from './frame-transport';

/** The parts of a `ws` WebSocket this transport uses. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', fn: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'close', fn: (code: number, reason: Uint8Array) => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
}

export interface WebSocketTransportOptions {
  /** Who is on the other end, for end reasons: "the agent", "the service". */
  peer?: string;
}

const OPEN = 1;
const PROTOCOL_ERROR = 1002;
/** RFC 6455 limits a close reason to 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Cuts `text` to at most `max` bytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, max = MAX_CLOSE_REASON_BYTES): string {
  if (enc.encode(text).length <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    if (bytes + n > max - 3) break;
    out += ch;
    bytes += n;
  }
  return out + '...';
}

/** ws delivers Buffer (a Uint8Array), ArrayBuffer or Buffer[] depending on `binaryType`. */
function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data) && data.every((d) => d instanceof Uint8Array)) {
    const parts = data as Uint8Array[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
  return null;
}

export function webSocketTransport(ws: WebSocketLike, opts: WebSocketTransportOptions = {}): FrameTransport {
  const peer = opts.peer ?? 'the peer';
  let handlers: TransportHandlers | null = null;
  let ended = false;

  const finish = (reason: string, closeCode: number | null) => {
    if (ended) return;
    ended = true;
    if (closeCode !== null && ws.readyState === OPEN) {
      try {
        ws.close(closeCode, truncateUtf8(reason));
      } catch {
        // The socket is already going away.
      }
    }
    handlers?.end(reason);
  };

  const broken = (reason: string) => {
    handlers?.invalid(reason);
    // The receiver is expected to close; make sure the link ends even if it does not.
    finish(`protocol error: ${reason}`, PROTOCOL_ERROR);
  };

  return {
    start(h) {
      handlers = h;
      ws.on('message', (data, isBinary) => {
        if (ended) return;
        if (!isBinary) return broken('text message on the agent link');
        const bytes = toBytes(data);
        if (!bytes) return broken('unreadable message');
        if (bytes.length < 4) return broken(`message of ${bytes.length} bytes is shorter than a frame length field`);
        const len = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
        if (len + 4 !== bytes.length) return broken(`message of ${bytes.length} bytes carries a frame length field of ${len}`);
        h.frame(bytes);
      });
      ws.on('close', (code, reason) => {
        const text = reason && reason.length ? dec.decode(reason) : '';
        finish(`${peer} closed the link (${code}${text ? ` ${text}` : ''})`, null);
      });
      ws.on('error', (e) => finish(`link error: ${e.message}`, null));
    },
    send(frame) {
      if (ended || ws.readyState !== OPEN) return;
      ws.send(frame);
    },
    close(reason, code) {
      finish(reason, code ?? 1000);
    },
  };
}
