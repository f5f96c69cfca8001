/**
 * The command detector (issue 5, SPEC §4): a SessionTap fed a shell's output (`o`), input (`i`)
 * and resizes (`r`) that reports each command submitted at a shell prompt, with the text the
 * shell received after line editing, and its exit status when the shell says.
 *
 * Two methods, one state machine:
 *
 * 1. Markers (exact). For bash the agent installs hooks (agent/runners/shell-integration.ts)
 *    whose markers, authenticated with the per-shell nonce (command-markers.ts), say where the
 *    prompt ends (B, K for PS2), which command bash read (C: its history line) and how the
 *    previous one ended (P). A C marker is accepted only for a line that was submitted at a
 *    marked prompt: the user typed Enter, the line editor showed the line at that prompt and
 *    accepted it; its text must also agree with what the screen showed there (below).
 * 2. Screen and keystrokes (fallback: dash, hooks removed or broken, no nonce). A headless
 *    terminal keeps the screen; the prompt's last line is learned (from the first B marker, or
 *    from where the cursor waits when the user first types); a line is a command when, at the
 *    moment the shell accepts it (its newline echo, or readline switching bracketed paste off),
 *    it sits after that prompt. Its text is read off the screen, which shows what history
 *    recall, completion and cursor editing made of it; for shells without a line editor it must
 *    equal the keystrokes where those are unambiguous, which is also how nothing typed with echo
 *    off becomes a command. Continuation lines follow the `> ` prompt. Lines the kernel echoed
 *    while a command ran (a paste into dash) become commands when the screen shows the shell
 *    running them (a prompt followed by more output before the user types again).
 *
 * What is never logged: keys typed in the alternate screen (vim, less, top), lines read by a
 * program rather than at a prompt (REPLs, `cat`, `read`, password prompts: no marked prompt, or
 * no learned prompt before them), lines typed with echo off.
 *
 * Tampering. Markers count only with the nonce's MAC and a sequence number above any seen, so
 * printing or `cat`-ing marker sequences forges nothing; and only inside the window between a
 * submitted line and the shell running it, so a marker printed by a command is refused even if
 * the user learned the nonce. Removing the hooks hides nothing: a line accepted at a marked
 * prompt whose C never comes is logged from the screen when the next prompt shows (P, B, or
 * the learned prompt). If the hooks report a text that the screen does not show (a user who read
 * the nonce from inside their shell rewrote the hook), both the reported text and the screen's
 * are logged.
 *
 * Exit status: from P (the status of the last command) and from the next C of the same
 * submission (`$?` in PS0: a paste of several commands). Not known for screen-mode commands,
 * for the shell's last command (`exit`), nor after the hooks were removed.
 *
 * Markers stay in the output stream (the agent cannot remove them without the gateway losing
 * them): they carry no nonce, terminals, xterm.js and asciinema's player ignore OSC 6973, and
 * stripping them from what clients and recordings get would need the broker to hand those a
 * copy filtered after this tap (gateway/live-connection.ts), which this change does not do.
 *
 * Known limits (honest list):
 * - The screen method recognises a prompt by its text. Commands in a nested or `exec`-ed shell
 *   are logged only when its prompt matches the learned one or ends in `$ # % >` right after a
 *   command that starts shells or touches the prompt/hooks (`bash`, `sh`, `su`, `exec`, `PS1=`,
 *   `unset PROMPT_COMMAND`…); `ssh host` and the like are not followed. A program that prints
 *   exactly the prompt's text and reads a line gets that line logged.
 * - In screen mode, a command is reported when the next output shows it is not continued (or at
 *   the next keystroke): a silent long-running command is reported when it ends or the user types.
 * - Typeahead into dash (typed while a command runs) is logged only when the screen shows the
 *   shell running it; typed at the very moment a prompt appears, it may be taken for input to
 *   the previous program. A multi-line bracketed paste without markers is logged line by line.
 * - Trailing blanks of each line, and leading blanks of the command, are not kept; a line the
 *   kernel echoed and the terminal's reflow then garbled (resize, no line editor) is logged from
 *   the keystrokes.
 * - A user who reads the nonce inside their own shell can add marker rows (never remove rows).
 * - Cost: one headless terminal per shell, about 20 MB/s of output per core. It is also the
 *   shell's screen for re-attach (`snapshot`), so the connection keeps no second one.
 *
 * Pure: no clock, no fs, no network; output only through the callbacks, synchronously. The
 * headless terminal is written synchronously (xterm's writeSync, an internal API) because input
 * and output must be interleaved exactly as the session's events are.
 */
import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { MARKER_OSC } from '../protocol/agent-frames';
import { REDRAW_SCROLLBACK, type SessionEvent, type SessionTap } from '../protocol/session-events';
import type { CommandDetectorOptions, CommandDetectorStats } from './command-types';
import { CommandMachine } from './command-machine';
import { MarkerVerifier } from './command-markers';

export type { CommandDetectorStats } from './command-types';

const SCROLLBACK = 2000;

export type CommandDetector = SessionTap & { readonly stats: CommandDetectorStats };

export function createCommandDetector(opts: CommandDetectorOptions): CommandDetector {
  return new Detector(opts);
}

/**
 * The tap: owns the headless terminal (the shell's screen, also for re-attach), writes the
 * session's output and hands the state machine every event, and what the terminal's parser
 * reports while writing, in the session's order.
 */
class Detector implements CommandDetector {
  readonly name = 'commands';
  failure: Error | null = null;
  readonly stats: CommandDetectorStats = { markers: 0, rejectedMarkers: 0, unexpectedCommands: 0, mismatches: 0 };

  private readonly term: headless.Terminal;
  private readonly serializer = new serialize.SerializeAddon();
  private readonly write: (d: Uint8Array) => void;
  private readonly verifier: MarkerVerifier | null;
  private readonly machine: CommandMachine;
  private done = false;
  /** The terminal itself threw (not the state machine): its screen is not served any more. */
  private screenBroken = false;

  constructor(opts: CommandDetectorOptions) {
    this.term = new headless.Terminal({ cols: opts.cols, rows: opts.rows, scrollback: SCROLLBACK, allowProposedApi: true, logLevel: 'off' });
    // Input and output must reach the screen in the session's order, so the terminal is written
    // synchronously (xterm's writeSync, internal; its "unreliable" warning is about async parser
    // handlers, and ours are synchronous). Without it the tap fails (latched) and the shell goes on.
    const core = (this.term as unknown as { _core?: { _writeBuffer?: { writeSync?(d: Uint8Array): void } } })._core;
    const wb = core?._writeBuffer;
    if (!wb || typeof wb.writeSync !== 'function') {
      this.failure = new Error('command detector: @xterm/headless has no synchronous write');
      this.screenBroken = true;
    }
    this.write = (d) => wb!.writeSync!(d);
    this.term.loadAddon(this.serializer as unknown as headless.ITerminalAddon);
    this.machine = new CommandMachine(this.term, this.write, opts, this.stats);
    this.verifier = opts.markerNonce ? new MarkerVerifier(opts.markerNonce) : null;
    this.term.parser.registerOscHandler(MARKER_OSC, (payload) => {
      const m = this.verifier?.verify(payload) ?? null;
      if (m) this.step(() => this.machine.onMarker(m));
      else this.stats.rejectedMarkers++;
      return true;
    });
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
      if (params.includes(2004)) this.step(() => this.machine.onAccept('bp'));
      return false;
    });
    // Bound once: a line feed is the hottest event under a flood.
    const acceptLineFeed = (): void => this.machine.onAccept('lf');
    this.term.onLineFeed(() => this.step(acceptLineFeed));
  }

  onEvent(e: SessionEvent): void {
    if (this.failure || this.done) return;
    this.machine.t = e.t;
    switch (e.kind) {
      case 'o':
        this.screen(() => this.write(e.data));
        this.step(() => this.machine.afterOutput());
        break;
      case 'i':
        this.step(() => this.machine.onInput(e.data));
        break;
      case 'r':
        this.screen(() => this.term.resize(e.cols, e.rows));
        this.step(() => this.machine.onResize());
        break;
      case 'x':
        this.step(() => this.finish());
        break;
    }
  }

  /**
   * Runs a step of the state machine (also from the parser's handlers, in the middle of a
   * write). A throw latches the tap's failure but never cuts a write short, so the screen stays
   * whole up to the failure and the connection can carry it on (`snapshot`).
   */
  private step(f: () => void): void {
    if (this.failure) return;
    try {
      f();
    } catch (err) {
      this.failure = err as Error;
    }
  }

  /** A change to the terminal itself: if it throws, the screen can no longer be trusted. */
  private screen(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.screenBroken = true;
      this.failure ??= err as Error;
    }
  }

  backlog(): number {
    return 0;
  }

  /**
   * The screen for a re-attach: the terminal is written synchronously, so it is current. After
   * the state machine failed it is still the screen as of that event (the connection then keeps
   * its own from there); after the terminal itself failed, or the shell ended, it is ''.
   */
  snapshot(): Promise<string> {
    if (this.screenBroken || this.done) return Promise.resolve('');
    return Promise.resolve(this.serializer.serialize({ scrollback: REDRAW_SCROLLBACK }));
  }

  whenDrained(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.step(() => this.finish());
    this.term.dispose();
  }

  private finish(): void {
    if (this.done) return;
    this.machine.finish();
    this.done = true;
  }
}
