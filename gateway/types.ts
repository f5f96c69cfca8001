/**
 * The seams of the gateway: how live byte streams to targets are opened and represented.
 * Nothing here knows about HTTP, SQL or Slack.
 */
import type { Duplex } from 'node:stream';
import type { TargetKind } from '../protocol/api-types';

export interface TermSize {
  cols: number;
  rows: number;
}

/** Why a channel or connection ended; free text shown in the connection log. */
export type CloseReason = string;

export interface ChannelExit {
  code: number | null;
  signal?: string;
  /** Set when the channel ended because of a failure rather than the program exiting. */
  error?: string;
}

/**
 * One live byte stream to a target, whatever carries it (agent stream, ssh2 channel, TCP
 * socket, local pty).
 *
 * Invariants:
 * - `io` is a Node Duplex that honours backpressure both ways: writes are stdin, reads are
 *   output (stderr merged for pty kinds).
 * - `exit` settles exactly once and never rejects; after it settles `io` emits no more data
 *   beyond what was already buffered, and then ends.
 * - `close(reason)` is idempotent; it ends the remote program and settles `exit`.
 * - `resize` is a no-op for kinds without a terminal.
 */
export interface Channel {
  readonly kind: 'shell' | 'exec' | 'tcp';
  readonly io: Duplex;
  readonly stderr?: NodeJS.ReadableStream;
  readonly exit: Promise<ChannelExit>;
  /** The login shell that was started, when known (recording header `env.SHELL`). */
  readonly shell?: string;
  resize(size: TermSize): void;
  close(reason: CloseReason): void;
}

export interface TargetRef {
  id: string;
  name: string;
  kind: TargetKind;
}

export type OpenRequest =
  /** `markerNonce`: the per-shell secret of shell integration (protocol/agent-frames.ts); none: plain shell. */
  | { kind: 'shell'; targetUser: string; size: TermSize; term: string; lang?: string; markerNonce?: string }
  | { kind: 'exec'; targetUser: string; command: string; pty?: { size: TermSize; term: string }; lang?: string }
  | { kind: 'tcp'; host: string; port: number };

/**
 * Opens channels for one kind of target. `open` rejects with a GatehouseError
 * (TARGET_UNAVAILABLE, TARGET_USER_UNKNOWN, …) when it cannot, and honours `signal`: an abort
 * before the channel is open rejects and leaves nothing running.
 */
export interface Dialer {
  readonly targetKind: TargetKind;
  open(target: TargetRef, request: OpenRequest, signal: AbortSignal): Promise<Channel>;
}

/**
 * The one interactive client of a live connection (a browser tab, `gate connect`, an SSH
 * session). At most one is attached at a time: the newest wins and the previous one is closed
 * with REPLACED.
 *
 * Invariants: `sendOutput`/`sendControl` never throw (a dead client drops them); `backlog()`
 * is the bytes handed to it but not yet written to its socket, so the broker can stop reading
 * the target while a slow client catches up.
 */
export interface TerminalClient {
  readonly label: string;
  /**
   * Output of the target. `stream` is given only for exec connections without a pty, whose
   * stdout (1) and stderr (2) stay apart; shells and pty execs omit it.
   */
  sendOutput(data: Uint8Array, stream?: 1 | 2): void;
  sendControl(msg: import('../protocol/terminal-messages').ServerControl): void;
  backlog(): number;
  whenDrained(): Promise<void>;
  close(code: number, reason: string): void;
}
