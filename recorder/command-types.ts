/**
 * The command detector's seam (issue 5). The detector is a SessionTap fed the session's events
 * (output, input, resize); it reports each command submitted at a shell prompt. It is pure
 * (no clock, no fs, no network): its only output is `onCommand`, so it can be tested by
 * replaying event streams.
 */
export interface DetectedCommand {
  /** Session time (seconds, the `t` of the event at which the command was recognised). */
  t: number;
  /** The command text as the shell received it, after line editing; multi-line commands joined with "\n". */
  text: string;
  /** 0, 1, 2… in the order of this session's commands. */
  seq: number;
  /** How it was recognised: shell-integration markers or the screen/keystroke method. */
  source: 'marker' | 'screen';
}

export interface CommandDetectorOptions {
  cols: number;
  rows: number;
  /** Called synchronously, in order, once per command, when it is submitted. */
  onCommand(cmd: DetectedCommand): void;
  /** Called later when the exit status of command `seq` becomes known (shell integration only). */
  onCommandExit?(seq: number, exitCode: number): void;
  /**
   * The per-shell secret the agent's shell integration signs its markers with (see the agent's
   * shell integration), or null when the shell is not instrumented.
   */
  markerNonce?: string | null;
  /** Diagnostics (a marker that disagrees with the screen, …); tests and debugging only. */
  debug?(message: string): void;
}

export interface CommandDetectorStats {
  /** Authenticated markers seen. */
  markers: number;
  /** Payloads of the marker OSC number refused (forged, replayed, malformed, foreign). */
  rejectedMarkers: number;
  /** Authentic C markers that came with no submitted line to account for. */
  unexpectedCommands: number;
  /** C markers whose text the screen did not show (both texts logged). */
  mismatches: number;
}
