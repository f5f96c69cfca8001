/**
 * What carries agent-link frames, for both ends (the gateway's AgentLink and the agent's
 * session): a byte stream (the stdio pipes of the embedded `local` agent) or a websocket (one
 * message = one frame). The link above sees whole frames only and does not know which.
 *
 * It lives in protocol/ because both sides need it and it is pure: the byte streams are
 * described structurally, with no Node import.
 */
import { FrameSplitter } from './agent-frames';

export interface TransportHandlers {
  /** One whole frame, length prefix included, not yet validated. */
  frame(bytes: Uint8Array): void;
  /** The byte stream cannot be framed any more (an oversized length): a protocol error. */
  invalid(reason: string): void;
  /** The transport ended (peer closed, I/O error, framing broken, or `close()`); called once. */
  end(reason: string): void;
}

export interface FrameTransport {
  start(handlers: TransportHandlers): void;
  /** Sends one encoded frame; dropped silently once the transport has ended. */
  send(frame: Uint8Array): void;
  /**
   * Ends the transport; `end` is called with `reason` unless it already ended. `code` is the
   * websocket close code sent to the peer (default 1000); byte streams have none and ignore it.
   */
  close(reason: string, code?: number): void;
}

export interface ByteSource {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  destroy?(): unknown;
  pause?(): unknown;
}

export interface ByteSink {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
}

/**
 * Frames over a pair of byte streams. The write side is not paced here: every stream's bytes
 * in flight are bounded by its credit, so the pipe's buffer is bounded too.
 */
export function byteStreamTransport(input: ByteSource, output: ByteSink): FrameTransport {
  const splitter = new FrameSplitter();
  let handlers: TransportHandlers | null = null;
  let ended = false;
  let broken = false;

  const finish = (reason: string) => {
    if (ended) return;
    ended = true;
    try {
      output.end();
    } catch {
      // The pipe is already gone.
    }
    input.pause?.();
    handlers?.end(reason);
  };

  return {
    start(h) {
      handlers = h;
      input.on('data', (chunk) => {
        if (ended || broken) return;
        const r = splitter.push(chunk);
        for (const f of r.frames) {
          if (ended) return;
          h.frame(f);
        }
        if (r.error && !ended) {
          broken = true;
          h.invalid(r.error);
          // The receiver is expected to close; make sure the link ends even if it does not.
          finish(`protocol error: ${r.error}`);
        }
      });
      input.on('end', () => finish('the peer closed the link'));
      input.on('close', () => finish('the peer closed the link'));
      input.on('error', (e) => finish(`link read error: ${e.message}`));
      output.on('error', (e) => finish(`link write error: ${e.message}`));
    },
    send(frame) {
      if (!ended) output.write(frame);
    },
    close(reason) {
      finish(reason);
    },
  };
}
