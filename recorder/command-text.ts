/**
 * The text half of the command detector: the canonical form of a logged command, how screen
 * lines join into commands, the loose comparison a marker's text must pass against the screen,
 * and the shape of a prompt. Pure functions of strings.
 */

/**
 * Recognises a shell's primary prompt on the screen once its last line is known (`learned`).
 * Exact matches always count. When the prompt has a fixed head and a `$ `-like tail
 * (`user@host:~/dir$ `), another directory in between still counts; a prompt without such a
 * head (`$ `) must match exactly.
 */
export class PromptShape {
  private readonly head: string;
  private readonly tail: string;

  constructor(readonly text: string) {
    this.tail = text.length >= 2 ? text.slice(-2) : text;
    const body = text.slice(0, text.length - this.tail.length);
    const cut = body.search(/[/~]/);
    this.head = cut < 0 ? body : body.slice(0, cut);
  }

  private get fuzzy(): boolean {
    return this.head.length >= 3 && /\s$/.test(this.tail);
  }

  /** Length of the prompt at the start of `s`, or -1. */
  atStart(s: string): number {
    if (s.startsWith(this.text)) return this.text.length;
    if (!this.fuzzy || !s.startsWith(this.head)) return -1;
    const at = s.indexOf(this.tail, this.head.length);
    if (at < 0 || /\s/.test(s.slice(this.head.length, at))) return -1;
    return at + this.tail.length;
  }

  /** Whether `s` (what precedes the cursor) ends with the prompt. */
  atEnd(s: string): boolean {
    if (s.endsWith(this.text)) return true;
    if (!this.fuzzy || !s.endsWith(this.tail)) return false;
    const h = s.lastIndexOf(this.head);
    return h >= 0 && !/\s/.test(s.slice(h + this.head.length, s.length - this.tail.length));
  }

  /** How many prompts a line starts with (`$ $ ` after a command that printed nothing is 2). */
  countAtStart(s: string): number {
    let n = 0;
    for (let k = this.atStart(s); k > 0 && n < 64; k = this.atStart(s)) {
      n++;
      s = s.slice(k);
    }
    return n;
  }
}

/** Command text as logged: no trailing blanks on any line, no blank lines or indent around it. */
export function canonical(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/[ \t]+$/, ''));
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length) lines[0] = lines[0]!.replace(/^[ \t]+/, '');
  return lines.join('\n');
}

/** Screen lines of one command joined as the shell joins them: backslash-newline vanishes. */
export function joinContinued(lines: readonly string[]): string {
  let out = '';
  let first = true;
  for (const l of lines) {
    if (first) out = l;
    else if (/(^|[^\\])(\\\\)*\\$/.test(out)) out = out.slice(0, -1) + l;
    else out += '\n' + l;
    first = false;
  }
  return out;
}

/**
 * A comparison that forgives how a line editor displays text: control characters as `^X`, tabs
 * as spaces, lines joined with `; ` or newlines.
 */
export function loose(text: string): string {
  return text
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => '^' + String.fromCharCode(c.charCodeAt(0) ^ 0x40))
    .replace(/[;\s]+/g, ' ')
    .trim();
}

export interface SubmittedLine {
  text: string;
  /** Typed at a continuation prompt (PS2). */
  cont: boolean;
}

/**
 * Lines submitted at a prompt, grouped into commands: a line typed at a primary prompt starts
 * one, continuation lines join it; each line of a region accepted at once (a bracketed paste)
 * starts its own.
 */
export function groupCommands(lines: readonly SubmittedLine[]): string[] {
  const groups: string[][] = [];
  for (const l of lines) {
    const parts = l.text.split('\n');
    if (l.cont && groups.length) groups[groups.length - 1]!.push(parts.shift()!);
    for (const p of parts) groups.push([p]);
  }
  return groups.map((g) => joinContinued(g));
}

/**
 * How many of the submitted lines a command text (a C marker's) accounts for, 0 when it does not
 * match them. `echo` is what bash printed between the accepted line and the marker: the expanded
 * line of a history expansion (`!!`, `^a^b`), which is what the marker then carries.
 */
export function matchSubmitted(text: string, rest: readonly SubmittedLine[], echo: () => string): number {
  const want = loose(text);
  for (let k = 1; k <= rest.length; k++) {
    const lines = rest.slice(0, k).map((l) => l.text);
    if (loose(joinContinued(lines)) === want || loose(lines.join('\n')) === want) return k;
  }
  if (rest.length && /!|^\s*\^/.test(rest[0]!.text)) {
    const e = echo();
    if (e && loose(e) === want) return withContinuations(rest);
  }
  return 0;
}

/** The first line and the continuation lines that follow it. */
export function withContinuations(rest: readonly SubmittedLine[]): number {
  let k = 1;
  while (k < rest.length && rest[k]!.cont) k++;
  return k;
}

/** Removes a right prompt that is still on the input's first row. */
export function stripRight(line: string, right: string): string {
  const r = line.trimEnd();
  return r.endsWith(right) ? r.slice(0, r.length - right.length).trimEnd() : line;
}
