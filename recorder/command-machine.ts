/**
 * The command detector's state machine; its contract, both methods and their limits are described
 * in command-detector.ts. The tap there owns the headless terminal and hands this the session's
 * events in order: output once written (afterOutput), and while it is written what the terminal's
 * parser reports (onMarker for authenticated markers, onAccept for a newline or the end of a
 * bracketed paste); input (onInput), resizes (onResize) and the end (finish). It reads the screen
 * and reports commands only through the options' callbacks.
 */
import type headless from '@xterm/headless';
import type { CommandDetectorOptions, CommandDetectorStats, DetectedCommand } from './command-types';
import { KeyDecoder, LineModel } from './command-keys';
import type { Marker } from './command-markers';
import { Anchor, cursorPos, isAlternate, leftOfCursor, logicalLineEndingAt, readRegion, rightOfCursor } from './command-screen';
import { canonical, groupCommands, joinContinued, matchSubmitted, PromptShape, stripRight, withContinuations } from './command-text';
import { echoSince, MAX_PENDING, NEWLINE, NEWLINE_BP, PROMPTISH, promptValid, PS2, UNHOOKING, type Pending, type Prompt, type Sub } from './command-state';
import { EchoedTypeahead } from './command-typeahead';

export class CommandMachine {
  /** Session time of the event being handled: what a command recognised during it is stamped with. */
  t = 0;
  private seq = 0;
  private readonly keys = new KeyDecoder();
  private readonly line = new LineModel();
  private pending: Pending[] = [];
  private prompt: Prompt | null = null;
  private sub: Sub | null = null;
  private shape: PromptShape | null = null;
  private markerSeen = false;
  private awaitingExit: number | null = null;
  private readonly typeahead: EchoedTypeahead;
  /** A command that may have changed the prompt or unhooked the shell ran, and no known prompt showed since. */
  private unhooked = false;

  constructor(
    private readonly term: headless.Terminal,
    /** Writes the terminal synchronously (the tap's writer). */
    private readonly write: (d: Uint8Array) => void,
    private readonly opts: CommandDetectorOptions,
    private readonly stats: CommandDetectorStats,
  ) {
    this.typeahead = new EchoedTypeahead(term);
  }

  /** The session ended (or the tap closes): what was submitted and not yet logged is logged. */
  finish(): void {
    // Enter was pressed but the newline's echo never came: the shell ended right after reading
    // the line (`exit`), and a pty may lose its last output when it closes. The line was still
    // submitted; let the terminal see the newline, and the usual checks decide what it was.
    if (this.pending.length > 0 && !isAlternate(this.term)) this.write(this.term.modes.bracketedPasteMode ? NEWLINE_BP : NEWLINE);
    const s = this.sub;
    if (s && (s.state === 'await' || s.state === 'decide')) this.emitRest(s);
    this.sub = null;
  }

  /** The terminal was resized: its reflow may garble what the current prompt's line shows. */
  onResize(): void {
    if (this.prompt) this.prompt.resized = true;
  }

  // ---- output side -------------------------------------------------------------------------

  private editorActive(): boolean {
    return this.term.modes.bracketedPasteMode || this.prompt?.via === 'marker';
  }

  /** The shell (or kernel) accepted a line: the cursor has just left it. */
  onAccept(signal: 'bp' | 'lf' | 'marker'): void {
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
    const at = pr && promptValid(this.term, this.shape, pr) ? pr.anchor.resolve() : null;
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
        // a command ran; the shell may still read it (command-typeahead.ts).
        if (!p.editor && !this.markerBusy()) {
          const echoed = p.certain ? p.keys : whole;
          if (echoed.trim()) this.typeahead.add(echoed, lastRow);
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
    this.typeahead.drop();
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

  afterOutput(): void {
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
    if (this.typeahead.length) this.typeahead.promote(this.shape, (text) => this.emit(text, 'screen'));
  }

  onMarker(m: Marker): void {
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
        this.typeahead.drop();
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
      const k = matchSubmitted(m.text, rest, () => echoSince(this.term, s));
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

  /** The shell is instrumented and a command of it is running (between C and P). */
  private markerBusy(): boolean {
    return this.sub?.state === 'ran';
  }

  // ---- input side --------------------------------------------------------------------------

  onInput(data: Uint8Array): void {
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
            this.typeahead.drop();
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
