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
import type { SessionEvent, SessionTap } from '../protocol/session-events';
import type { CommandDetectorOptions, DetectedCommand } from './command-types';
import { KeyDecoder, LineModel } from './command-keys';
import { MarkerVerifier, type Marker } from './command-markers';
import { Anchor, continues, cursorPos, isAlternate, leftOfCursor, logicalLineEndingAt, readRegion, rightOfCursor, type Pos } from './command-screen';
import { canonical, groupCommands, joinContinued, matchSubmitted, PromptShape, stripRight, withContinuations, type SubmittedLine } from './command-text';

const SCROLLBACK = 2000;
/** Scrollback lines a re-attach redraw carries (as the connection's own screen keeper). */
const REDRAW_SCROLLBACK = 1000;
const PS2 = '> ';
/** Lines typed but not (yet) accepted that are remembered (typeahead, a program's input). */
const MAX_PENDING = 64;
/** What the last line of a prompt ends with, for prompts not learned yet. */
const PROMPTISH = /[$#%>] ?$/;
/**
 * Commands after which the prompt may change or the shell stop marking its prompts: they change
 * the hooks or the prompt, or start (or become) another shell. After one of them, until a known
 * prompt shows again, the next line typed after prompt-like text teaches the detector the new
 * prompt. (Without this, `PS1=…` in dash, or `unset PROMPT_COMMAND PS0; PS1=…` in bash, would
 * hide every later command; with it, a program started by such a command that prompts with
 * `$#%>` at the end may have a line taken for a command.)
 */
const UNHOOKING = /\b(PROMPT_COMMAND|PS[012]|__gh_\w*|promptvars)\b|(^|[\s;&|(/])(exec|(ba|da|z|k|c|tc|fi|rba)?sh|su|sudo)(?=$|[\s;&|)])/;

/** What the terminal sees after Enter: the newline, and readline's end of bracketed paste. */
const NEWLINE = new TextEncoder().encode('\r\n');
const NEWLINE_BP = new TextEncoder().encode('\r\n\x1b[?2004l');

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

export type CommandDetector = SessionTap & { readonly stats: CommandDetectorStats };

export function createCommandDetector(opts: CommandDetectorOptions): CommandDetector {
  return new Detector(opts);
}

interface Pending {
  keys: string;
  certain: boolean;
  /** What ends this line on the screen: readline's bracketed-paste-off, or the newline echo. */
  signal: 'bp' | 'lf';
  editor: boolean;
}

interface Prompt {
  anchor: Anchor;
  /** The terminal was resized since: its reflow may have garbled what is shown. */
  resized?: boolean;
  kind: 'ps1' | 'ps2';
  via: 'marker' | 'screen';
  right: string;
  inputSeen: boolean;
}

interface Sub {
  lines: SubmittedLine[];
  used: number;
  via: 'marker' | 'screen';
  /**
   * await: accepted at a marked prompt, waiting for C/K/P/B; decide: accepted at a screen prompt,
   * waiting for output that tells whether it continues; cont: a continuation prompt is shown;
   * ran: C came (more C's may consume remaining lines).
   */
  state: 'await' | 'decide' | 'cont' | 'ran';
  acceptRow: number;
  acceptPos: Pos;
}

class Detector implements CommandDetector {
  readonly name = 'commands';
  failure: Error | null = null;
  readonly stats: CommandDetectorStats = { markers: 0, rejectedMarkers: 0, unexpectedCommands: 0, mismatches: 0 };

  private readonly term: headless.Terminal;
  private readonly serializer = new serialize.SerializeAddon();
  private readonly write: (d: Uint8Array) => void;
  private readonly verifier: MarkerVerifier | null;
  private t = 0;
  private seq = 0;
  private done = false;
  private readonly keys = new KeyDecoder();
  private readonly line = new LineModel();
  private pending: Pending[] = [];
  private prompt: Prompt | null = null;
  private sub: Sub | null = null;
  private shape: PromptShape | null = null;
  private markerSeen = false;
  private awaitingExit: number | null = null;
  private candidates: { text: string; anchor: Anchor }[] = [];
  /** A command that may have changed the prompt or unhooked the shell ran, and no known prompt showed since. */
  private unhooked = false;

  constructor(private readonly opts: CommandDetectorOptions) {
    this.term = new headless.Terminal({ cols: opts.cols, rows: opts.rows, scrollback: SCROLLBACK, allowProposedApi: true, logLevel: 'off' });
    // Input and output must reach the screen in the session's order, so the terminal is written
    // synchronously (xterm's writeSync, internal; its "unreliable" warning is about async parser
    // handlers, and ours are synchronous). Without it the tap fails (latched) and the shell goes on.
    const core = (this.term as unknown as { _core?: { _writeBuffer?: { writeSync?(d: Uint8Array): void } } })._core;
    const wb = core?._writeBuffer;
    if (!wb || typeof wb.writeSync !== 'function') this.failure = new Error('command detector: @xterm/headless has no synchronous write');
    this.write = (d) => wb!.writeSync!(d);
    this.term.loadAddon(this.serializer as unknown as headless.ITerminalAddon);
    this.verifier = opts.markerNonce ? new MarkerVerifier(opts.markerNonce) : null;
    this.term.parser.registerOscHandler(MARKER_OSC, (payload) => {
      const m = this.verifier?.verify(payload) ?? null;
      if (m) this.onMarker(m);
      else this.stats.rejectedMarkers++;
      return true;
    });
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
      if (params.includes(2004)) this.onAccept('bp');
      return false;
    });
    this.term.onLineFeed(() => this.onAccept('lf'));
  }

  onEvent(e: SessionEvent): void {
    if (this.failure || this.done) return;
    try {
      this.t = e.t;
      switch (e.kind) {
        case 'o':
          this.write(e.data);
          this.afterOutput();
          break;
        case 'i':
          this.onInput(e.data);
          break;
        case 'r':
          this.term.resize(e.cols, e.rows);
          if (this.prompt) this.prompt.resized = true;
          break;
        case 'x':
          this.finish();
          break;
      }
    } catch (err) {
      this.failure = err as Error;
    }
  }

  backlog(): number {
    return 0;
  }

  /** The screen for a re-attach: the terminal is written synchronously, so it is current. */
  snapshot(): Promise<string> {
    if (this.failure || this.done) return Promise.resolve('');
    return Promise.resolve(this.serializer.serialize({ scrollback: REDRAW_SCROLLBACK }));
  }

  whenDrained(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (!this.failure) {
      try {
        this.finish();
      } catch (err) {
        this.failure = err as Error;
      }
    }
    this.term.dispose();
  }

  private finish(): void {
    if (this.done) return;
    // Enter was pressed but the newline's echo never came: the shell ended right after reading
    // the line (`exit`), and a pty may lose its last output when it closes. The line was still
    // submitted; let the terminal see the newline, and the usual checks decide what it was.
    if (this.pending.length > 0 && !isAlternate(this.term)) this.write(this.term.modes.bracketedPasteMode ? NEWLINE_BP : NEWLINE);
    const s = this.sub;
    if (s && (s.state === 'await' || s.state === 'decide')) this.emitRest(s);
    this.sub = null;
    this.done = true;
  }

  // ---- output side -------------------------------------------------------------------------

  private editorActive(): boolean {
    return this.term.modes.bracketedPasteMode || this.prompt?.via === 'marker';
  }

  /** The shell (or kernel) accepted a line: the cursor has just left it. */
  private onAccept(signal: 'bp' | 'lf' | 'marker'): void {
    if (this.pending.length === 0 || isAlternate(this.term)) return;
    const p = this.pending[0]!;
    if (signal === 'lf' && p.signal === 'bp') return;
    // While an instrumented shell runs a command, a newline is the kernel echoing typeahead (or
    // a program's input): readline will read and show typeahead again after the next prompt.
    if (!this.prompt && this.markerBusy()) return;
    this.pending.shift();
    const c = cursorPos(this.term);
    const lastRow = signal === 'marker' || (signal === 'bp' && c.x !== 0) ? c.y : c.y - 1;
    let text: string | null = null;
    let kind: 'ps1' | 'ps2' = 'ps1';
    let via: 'marker' | 'screen' = 'screen';
    const pr = this.prompt;
    const at = pr && this.promptValid(pr) ? pr.anchor.resolve() : null;
    if (pr && at && at.y <= lastRow) {
      const lines = readRegion(this.term, at, lastRow);
      if (pr.right && lines.length) lines[0] = stripRight(lines[0]!, pr.right);
      text = lines.join('\n');
      kind = pr.kind;
      via = pr.via;
    } else {
      const whole = logicalLineEndingAt(this.term, lastRow);
      if (this.sub?.state === 'cont' && whole.startsWith(PS2)) {
        text = whole.slice(PS2.length);
        kind = 'ps2';
      } else if (this.shape) {
        const n = this.shape.atStart(whole);
        if (n >= 0) text = whole.slice(n);
      }
      if (text === null) {
        this.clearPrompt();
        // Not at a prompt. Without a line editor, this may be typeahead the kernel echoed while
        // a command ran; the shell may still read it (see promoteCandidates).
        if (!p.editor && !this.markerBusy()) {
          const echoed = p.certain ? p.keys : whole;
          if (echoed.trim()) this.candidates.push({ text: echoed, anchor: new Anchor(this.term, { x: 0, y: lastRow }) });
        }
        return;
      }
    }
    this.clearPrompt();
    if (!p.editor && p.certain && canonical(text) !== canonical(p.keys)) {
      // Without a line editor the keys are exact, and the screen must show them. If it shows
      // nothing, echo was off (a password typed at what looks like a prompt); if it shows
      // something else (`sh: secret: not found`), that is the shell's complaint about a line
      // nobody saw: not a command we can vouch for. The one exception: a resize since the
      // prompt, whose reflow garbles an echoed line on any terminal; if it still starts with the
      // line's first word, the keys stand.
      const word = canonical(p.keys).split(/\s/)[0]!;
      if (!(pr?.resized && word && canonical(text).startsWith(word))) {
        // (No text in the message: the keys may be a password typed with echo off.)
        this.opts.debug?.(`a line of ${p.keys.length} typed characters was not shown as typed; not logged`);
        return;
      }
      text = p.keys;
    }
    this.dropCandidates();
    let s = this.sub;
    if (kind === 'ps1' || !s) {
      if (s && s.state !== 'ran') this.emitRest(s);
      s = this.sub = { lines: [], used: 0, via, state: 'await', acceptRow: lastRow, acceptPos: c };
    }
    // One entry per screen line: a paste accepted at once may hold several commands.
    for (const [i, l] of text.split('\n').entries()) s.lines.push({ text: l, cont: kind === 'ps2' && i === 0 });
    s.state = via === 'marker' ? 'await' : 'decide';
    s.acceptRow = lastRow;
    s.acceptPos = c;
  }

  private afterOutput(): void {
    const s = this.sub;
    if (isAlternate(this.term)) {
      // A full-screen program runs: whatever was accepted is a command that started it.
      if (s && s.state === 'decide') {
        this.emitRest(s);
        this.sub = null;
      }
      this.clearPrompt();
      return;
    }
    if (s && (s.state === 'decide' || s.state === 'await')) {
      const c = cursorPos(this.term);
      const moved = c.y !== s.acceptPos.y || c.x !== s.acceptPos.x;
      if (moved) {
        const left = leftOfCursor(this.term);
        if (left === PS2 && !rightOfCursor(this.term)) {
          // A continuation prompt without its K marker (or any, in screen mode).
          s.state = 'cont';
          this.setPrompt('screen', 'ps2');
        } else if (s.state === 'decide' || (this.shape && this.shape.atEnd(left) && !this.prompt)) {
          // Screen mode: the command runs. Marked prompt but no marker, and a prompt is back:
          // the hooks are gone; the screen's text stands.
          this.emitRest(s);
          this.sub = null;
        }
      }
    }
    // A prompt found on the screen; or a new one, when the shell printed another after it (a
    // line typed with echo off left no trace but the next prompt).
    const pr = this.prompt;
    if (this.shape && !this.line.touched && (!pr || (pr.via === 'screen' && pr.kind === 'ps1'))) {
      const c = cursorPos(this.term);
      const at = pr?.anchor.resolve();
      if ((!at || at.x !== c.x || at.y !== c.y) && this.shape.atEnd(leftOfCursor(this.term))) {
        this.clearPrompt();
        this.setPrompt('screen', 'ps1');
        this.unhooked = false;
      }
    }
    if (this.candidates.length) this.promoteCandidates();
  }

  private onMarker(m: Marker): void {
    this.stats.markers++;
    this.markerSeen = true;
    switch (m.kind) {
      case 'P': {
        const s = this.sub;
        if (s && s.state === 'await') {
          // A line was accepted at a marked prompt and no C came: a syntax error, or PS0 was
          // removed. It was submitted; the screen has its text; P has its status.
          const seq = this.emitRest(s);
          if (seq !== null) this.exit(seq, m.status);
        } else if (s && s.state === 'decide') {
          // The last line of a shell started from this one (`exit`): it is done.
          this.emitRest(s);
        }
        if (s?.state === 'await') {
          // (its status was given above)
        } else if (this.awaitingExit !== null) {
          this.exit(this.awaitingExit, m.status);
        }
        this.awaitingExit = null;
        this.sub = null;
        this.unhooked = false;
        this.clearPrompt();
        this.dropCandidates();
        return;
      }
      case 'B': {
        const s = this.sub;
        if (s && (s.state === 'await' || s.state === 'decide')) this.emitRest(s);
        this.sub = null;
        this.unhooked = false;
        this.setPrompt('marker', 'ps1');
        const left = leftOfCursor(this.term);
        if (left.trim()) this.shape = new PromptShape(left);
        return;
      }
      case 'K':
        if (this.sub && this.sub.state !== 'ran') this.sub.state = 'cont';
        this.setPrompt('marker', 'ps2');
        return;
      case 'C':
        return this.onCommandMarker(m);
    }
  }

  private onCommandMarker(m: Extract<Marker, { kind: 'C' }>): void {
    if (this.prompt && this.pending.length) this.onAccept('marker');
    const s = this.sub;
    if (!s || s.state === 'decide' || s.state === 'cont' || s.used >= s.lines.length) {
      // No submitted line accounts for it: printed by a command, or a duplicate.
      this.stats.unexpectedCommands++;
      return;
    }
    if (s.state === 'ran' && this.awaitingExit !== null) this.exit(this.awaitingExit, m.prevStatus);
    const rest = s.lines.slice(s.used);
    let seq: number | null;
    if (m.text === null) {
      // History did not record it: the first line and its continuations, as the screen shows.
      const k = withContinuations(rest);
      s.used += k;
      seq = this.emit(joinContinued(rest.slice(0, k).map((l) => l.text)), 'screen');
    } else {
      const k = matchSubmitted(m.text, rest, () => this.echoSince(s));
      seq = this.emit(m.text, 'marker');
      if (k > 0) {
        s.used += k;
      } else {
        this.stats.mismatches++;
        this.opts.debug?.(`C marker ${JSON.stringify(m.text)} does not match the screen ${JSON.stringify(rest.map((l) => l.text))}`);
        const n = Math.min(rest.length, Math.max(1, m.text.split('\n').length));
        s.used += n;
        const shown = joinContinued(rest.slice(0, n).map((l) => l.text));
        if (canonical(shown)) seq = this.emit(shown, 'screen') ?? seq;
      }
    }
    this.awaitingExit = seq;
    s.state = 'ran';
    this.clearPrompt();
  }

  /** What was printed between the last accepted line and the cursor (history expansion's echo). */
  private echoSince(s: Sub): string {
    const c = cursorPos(this.term);
    const last = c.x === 0 ? c.y - 1 : c.y;
    return last > s.acceptRow ? readRegion(this.term, { x: 0, y: s.acceptRow + 1 }, last).join('\n') : '';
  }

  /** The shell is instrumented and a command of it is running (between C and P). */
  private markerBusy(): boolean {
    return this.sub?.state === 'ran';
  }

  /**
   * Typeahead the kernel echoed while a command ran (no line editor): each time the shell shows a
   * prompt and goes on printing without the user typing, it read one such line and ran it.
   */
  private promoteCandidates(): void {
    const shape = this.shape;
    const first = this.candidates[0]!.anchor.resolve();
    if (!shape || !first) {
      this.dropCandidates();
      return;
    }
    const c = cursorPos(this.term);
    let prompts = 0;
    for (let y = first.y + 1; y <= c.y; y++) {
      if (y < c.y && continues(this.term, y)) continue;
      prompts += shape.countAtStart(y === c.y ? leftOfCursor(this.term) : logicalLineEndingAt(this.term, y));
    }
    let n = Math.min(prompts - 1, this.candidates.length);
    while (n-- > 0) {
      const cand = this.candidates.shift()!;
      cand.anchor.dispose();
      this.emit(cand.text, 'screen');
    }
  }

  private dropCandidates(): void {
    for (const c of this.candidates) c.anchor.dispose();
    this.candidates = [];
  }

  // ---- input side --------------------------------------------------------------------------

  private onInput(data: Uint8Array): void {
    for (const key of this.keys.push(data)) {
      if (isAlternate(this.term)) {
        // A full-screen program has the keyboard.
        this.line.reset();
        continue;
      }
      if (!this.line.touched && key.k !== 'enter') this.lineStarts();
      switch (key.k) {
        case 'enter':
          if (!this.line.touched) this.lineStarts();
          if (this.pending.length >= MAX_PENDING) this.pending.shift();
          this.pending.push({
            keys: this.line.text,
            certain: this.line.certain,
            signal: this.term.modes.bracketedPasteMode ? 'bp' : 'lf',
            editor: this.editorActive(),
          });
          this.line.reset();
          break;
        case 'ctrl':
          if (key.c === 0x03) {
            // Ctrl-C: the line (and a command being continued) is abandoned, typeahead flushed.
            this.line.reset();
            this.pending = [];
            this.dropCandidates();
            if (this.sub && this.sub.state !== 'ran') this.sub = null;
            break;
          }
          if (key.c === 0x04 && !this.line.text) {
            this.line.reset();
            break;
          }
          this.line.apply(key, this.editorActive());
          break;
        default:
          this.line.apply(key, this.editorActive());
      }
    }
  }

  /** The first key of a new line. */
  private lineStarts(): void {
    const s = this.sub;
    if (s && s.state === 'decide') {
      // Nothing was printed since the line was accepted, not even a continuation prompt: the
      // command is running.
      this.emitRest(s);
      this.sub = null;
    } else if (s && s.state === 'await' && !this.prompt && cursorPos(this.term).x > 0 && PROMPTISH.test(leftOfCursor(this.term))) {
      // A line accepted at a marked prompt got no marker at all, and the user types again after
      // something prompt-like: the hooks are gone. The screen's text stands, and the next prompt
      // must be learned. (Typing right after Enter, before PS0 ran, is not that: no prompt yet.)
      this.emitRest(s);
      this.sub = null;
      this.unhooked = true;
    }
    if (this.prompt && !this.prompt.inputSeen) {
      this.prompt.inputSeen = true;
      // Lines typed before this prompt showed and not read at it went to the program before.
      this.pending = [];
    }
    if (this.unhooked && !this.prompt && cursorPos(this.term).x > 0) {
      // The shell was unhooked (or another one started): where the user now types after
      // prompt-like text is that shell's prompt.
      const left = leftOfCursor(this.term);
      if (PROMPTISH.test(left)) {
        this.shape = new PromptShape(left);
        this.setPrompt('screen', 'ps1');
        this.prompt!.inputSeen = true;
        this.pending = [];
      }
    }
    if (!this.shape && !this.markerSeen && !this.prompt && this.pending.length === 0) {
      // Screen method, first line of the session: the prompt is what precedes the cursor.
      const left = leftOfCursor(this.term);
      if (cursorPos(this.term).x > 0 && left.trim()) {
        this.shape = new PromptShape(left);
        this.setPrompt('screen', 'ps1');
        this.prompt!.inputSeen = true;
      }
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private setPrompt(via: 'marker' | 'screen', kind: 'ps1' | 'ps2'): void {
    // A prompt redrawn while the line is edited (Ctrl-R, Ctrl-L, completion lists, resize)
    // keeps what was right of the first drawing: the row now holds the line editor's leftovers.
    const old = this.prompt;
    const right = old && old.kind === kind && old.via === via ? old.right : rightOfCursor(this.term);
    this.clearPrompt();
    this.prompt = { anchor: new Anchor(this.term, cursorPos(this.term)), kind, via, right, inputSeen: old?.inputSeen ?? false, resized: old?.resized ?? false };
  }

  private clearPrompt(): void {
    this.prompt?.anchor.dispose();
    this.prompt = null;
  }

  /** A prompt found on the screen is still there (no output moved it away). */
  private promptValid(p: Prompt): boolean {
    if (p.via === 'marker' || p.kind === 'ps2') return true;
    const at = p.anchor.resolve();
    const line = at && this.term.buffer.active.getLine(at.y);
    if (!at || !line || !this.shape) return false;
    return this.shape.atEnd(line.translateToString(false, 0, Math.min(at.x, this.term.cols)));
  }

  /** Logs what is left of a submission, as the screen shows it; returns the last seq. */
  private emitRest(s: Sub): number | null {
    const rest = s.lines.slice(s.used);
    s.used = s.lines.length;
    let last: number | null = null;
    for (const g of groupCommands(rest)) last = this.emit(g, 'screen') ?? last;
    return last;
  }

  private emit(raw: string, source: DetectedCommand['source']): number | null {
    const text = canonical(raw);
    if (!text) return null;
    const cmd: DetectedCommand = { t: this.t, text, seq: this.seq++, source };
    if (UNHOOKING.test(text)) this.unhooked = true;
    this.opts.onCommand(cmd);
    return cmd.seq;
  }

  private exit(seq: number, code: number): void {
    this.opts.onCommandExit?.(seq, code);
  }
}
