/**
 * The events of one live session, as every observer (recording sink, command detector, live
 * viewer, screen keeper) sees them. `t` is seconds since the session started, from one monotonic
 * clock per session owned by the broker, so events of one session are ordered by `t`.
 */
export type SessionEvent =
  | { kind: 'o'; t: number; data: Uint8Array }
  | { kind: 'i'; t: number; data: Uint8Array }
  | { kind: 'r'; t: number; cols: number; rows: number }
  | { kind: 'm'; t: number; label: string }
  | { kind: 'x'; t: number; code: number | null; signal?: string };

/**
 * An observer of a session's events.
 *
 * Invariants:
 * - `onEvent` is synchronous and never throws into the broker. A tap that fails latches the
 *   error (`failure` becomes non-null) and ignores further events.
 * - `backlog()` is the number of bytes accepted but not yet handed to the OS; the broker stops
 *   reading from the target while any tap's backlog is above its high-water mark and resumes on
 *   `whenDrained()`. A tap that never buffers returns 0.
 * - `close()` is called once, after the last event; it flushes and may be awaited.
 */
export interface SessionTap {
  readonly name: string;
  onEvent(event: SessionEvent): void;
  readonly failure: Error | null;
  backlog(): number;
  whenDrained(): Promise<void>;
  close(): Promise<void>;
  /**
   * Only on a tap that keeps the session's screen in a headless terminal (the command detector
   * does): bytes that, written to a fresh terminal of the same size, redraw the current screen.
   * The connection then uses it for re-attach and keeps no terminal of its own, so a shell's
   * output is parsed once, not twice. A tap that failed in its own logic, its screen whole,
   * still answers the screen as it was at the failure: the connection starts a terminal of its
   * own from it and carries the screen on. One whose screen broke answers '' (no redraw).
   */
  snapshot?(): Promise<string>;
}

/**
 * Lines of scrollback a re-attach redraw carries above the visible screen, whichever tap keeps
 * the screen (the command detector, or the connection's own screen keeper): the same history
 * either way. The recording has the whole history.
 */
export const REDRAW_SCROLLBACK = 1000;
