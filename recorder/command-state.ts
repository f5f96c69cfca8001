/**
 * What the command detector's state machine (command-machine.ts) keeps between events, the
 * constants its decisions use, and two readings of the screen about that state. No transitions:
 * those are all the machine's.
 */
import type headless from '@xterm/headless';
import { cursorPos, readRegion, type Anchor, type Pos } from './command-screen';
import type { PromptShape, SubmittedLine } from './command-text';

type Term = headless.Terminal;

export const PS2 = '> ';
/** Lines typed but not (yet) accepted that are remembered (typeahead, a program's input). */
export const MAX_PENDING = 64;
/** What the last line of a prompt ends with, for prompts not learned yet. */
export const PROMPTISH = /[$#%>] ?$/;
/**
 * Commands after which the prompt may change or the shell stop marking its prompts: they change
 * the hooks or the prompt, or start (or become) another shell. After one of them, until a known
 * prompt shows again, the next line typed after prompt-like text teaches the detector the new
 * prompt. (Without this, `PS1=…` in dash, or `unset PROMPT_COMMAND PS0; PS1=…` in bash, would
 * hide every later command; with it, a program started by such a command that prompts with
 * `$#%>` at the end may have a line taken for a command.)
 */
export const UNHOOKING = /\b(PROMPT_COMMAND|PS[012]|__gh_\w*|promptvars)\b|(^|[\s;&|(/])(exec|(ba|da|z|k|c|tc|fi|rba)?sh|su|sudo)(?=$|[\s;&|)])/;

/** What the terminal sees after Enter: the newline, and readline's end of bracketed paste. */
export const NEWLINE = new TextEncoder().encode('\r\n');
export const NEWLINE_BP = new TextEncoder().encode('\r\n\x1b[?2004l');

export interface Pending {
  keys: string;
  certain: boolean;
  /** What ends this line on the screen: readline's bracketed-paste-off, or the newline echo. */
  signal: 'bp' | 'lf';
  editor: boolean;
}

export interface Prompt {
  anchor: Anchor;
  /** The terminal was resized since: its reflow may have garbled what is shown. */
  resized?: boolean;
  kind: 'ps1' | 'ps2';
  via: 'marker' | 'screen';
  right: string;
  inputSeen: boolean;
}

export interface Sub {
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

/** A prompt found on the screen is still there (no output moved it away). */
export function promptValid(term: Term, shape: PromptShape | null, p: Prompt): boolean {
  if (p.via === 'marker' || p.kind === 'ps2') return true;
  const at = p.anchor.resolve();
  const line = at && term.buffer.active.getLine(at.y);
  if (!at || !line || !shape) return false;
  return shape.atEnd(line.translateToString(false, 0, Math.min(at.x, term.cols)));
}

/** What was printed between the last accepted line and the cursor (history expansion's echo). */
export function echoSince(term: Term, s: Sub): string {
  const c = cursorPos(term);
  const last = c.x === 0 ? c.y - 1 : c.y;
  return last > s.acceptRow ? readRegion(term, { x: 0, y: s.acceptRow + 1 }, last).join('\n') : '';
}
