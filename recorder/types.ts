/**
 * Evidence writers. The encoder is pure (no clock, no fs) so its output is golden-file
 * testable; the sink owns the file, the flush timer, fsync and the latched error.
 */
import type { SessionEvent, SessionTap } from '../protocol/session-events';

/** asciicast v2 header fields we write (https://docs.asciinema.org/manual/asciicast/v2/). */
export interface RecordingHeader {
  width: number;
  height: number;
  /** Unix time in whole seconds of the session start. */
  timestamp: number;
  env: { TERM: string; SHELL: string };
  /** `TUSER@TARGET by EMAIL` */
  title: string;
  idleTimeLimit?: number;
}

/**
 * Deterministic: no clock, no fs; the same calls give the same bytes. It keeps one piece of
 * state, the streaming UTF-8 decoders for output and input, so a character split across two
 * chunks comes out whole in the later line. Each returned string is one complete line ending
 * in "\n".
 */
export interface CastEncoder {
  header(h: RecordingHeader): string;
  /**
   * null when there is nothing to write: the event has no v2 representation (v2 has o, i, r,
   * m; not x), or a chunk held only the first bytes of a character.
   */
  event(e: SessionEvent): string | null;
  /** Lines for bytes still held by the decoders at the end (as U+FFFD), at time `t`. */
  end(t: number): string[];
}

export interface RecordingArtifact {
  path: string;
  bytes: number;
  durationSeconds: number;
}

/**
 * Durable recording of one session, one `.cast` file.
 *
 * Invariants:
 * - `start()` writes the header before any event line; events arriving before it resolves are
 *   queued in order.
 * - Complete lines reach the OS at least once per second (flush timer), so a crash loses at
 *   most the last second; a line is never split across two writes' boundaries in a way that
 *   leaves a partial line followed by more data.
 * - Output bytes pass a streaming UTF-8 decoder: a character split across chunks is emitted
 *   whole in the later event, never as replacement characters.
 * - Input (`i`) events are written only when the sink was created with `recordInput: true`.
 * - Write errors are latched in `failure`; the sink then drops further events.
 * - `close()` flushes, fsyncs and closes the file; it is idempotent.
 */
export interface RecordingSink extends SessionTap {
  /**
   * Creates the file and writes the header; resolves once the header has reached the OS.
   * Rejects (after latching the error in `failure`) when the file cannot be created or
   * written, so callers must await or catch it. Calling it again returns the first outcome.
   */
  start(header: RecordingHeader): Promise<void>;
  artifact(): RecordingArtifact;
}
