/**
 * The keystroke half of the command detector: decodes the session's input bytes into keys and
 * keeps a model of the line being typed.
 *
 * The model is exact only for what every line editor agrees on: printable characters, DEL
 * (backspace), Ctrl-U and Ctrl-W, which the kernel's canonical mode (dash, `read`, `cat`) and
 * readline (bash) treat alike. With readline (`editor: true`) it also follows Ctrl-A/E/B/F/K/D,
 * Left/Right/Home/End/Delete and bracketed pastes. Anything whose effect depends on the program
 * (Tab completion, history, Ctrl-R, Alt keys, unknown escapes) makes the line `certain: false`:
 * the detector then relies on the screen, which shows what the program made of it.
 */

export type Key =
  | { k: 'text'; s: string } // printable characters
  | { k: 'enter' }
  | { k: 'paste'; s: string } // the inside of a bracketed paste
  | { k: 'ctrl'; c: number } // a C0 control other than CR, LF and ESC; 0x7f is DEL
  | { k: 'esc'; seq: string }; // ESC and what follows it (CSI, SS3, Alt+key)

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** A paste longer than this is kept only up to here (the screen still shows the rest). */
const MAX_PASTE = 1 << 20;

/** Splits input bytes into keys; keeps UTF-8 sequences, escape sequences and pastes across chunks. */
export class KeyDecoder {
  private readonly utf8 = new TextDecoder('utf-8');
  private pending = '';
  private paste: string | null = null;

  push(data: Uint8Array): Key[] {
    let s = this.pending + this.utf8.decode(data, { stream: true });
    this.pending = '';
    const keys: Key[] = [];
    let i = 0;
    let text = '';
    const flushText = () => {
      if (text) keys.push({ k: 'text', s: text });
      text = '';
    };
    while (i < s.length) {
      if (this.paste !== null) {
        const end = s.indexOf(PASTE_END, i);
        if (end < 0) {
          // Keep a tail that may be the start of the end marker.
          const keep = partialTail(s, i, PASTE_END);
          this.paste = (this.paste + s.slice(i, s.length - keep)).slice(0, MAX_PASTE);
          this.pending = s.slice(s.length - keep);
          return keys;
        }
        this.paste = (this.paste + s.slice(i, end)).slice(0, MAX_PASTE);
        keys.push({ k: 'paste', s: this.paste });
        this.paste = null;
        i = end + PASTE_END.length;
        continue;
      }
      const ch = s[i]!;
      const c = ch.charCodeAt(0);
      if (c === 0x1b) {
        const len = escLength(s, i);
        if (len === 0) {
          // Unfinished sequence at the end of the chunk.
          flushText();
          this.pending = s.slice(i);
          return keys;
        }
        const seq = s.slice(i, i + len);
        i += len;
        flushText();
        if (seq === PASTE_START) this.paste = '';
        else keys.push({ k: 'esc', seq });
        continue;
      }
      if (c === 0x0d || c === 0x0a) {
        flushText();
        keys.push({ k: 'enter' });
        // CR LF from a client that sends both is one Enter.
        i += c === 0x0d && s[i + 1] === '\n' ? 2 : 1;
        continue;
      }
      if (c < 0x20 || c === 0x7f) {
        flushText();
        keys.push({ k: 'ctrl', c });
        i++;
        continue;
      }
      text += ch;
      i++;
    }
    flushText();
    return keys;
  }
}

/** Length of the escape sequence at s[i] (which is ESC), or 0 when it is not complete yet. */
function escLength(s: string, i: number): number {
  if (i + 1 >= s.length) return 0;
  const n = s[i + 1]!;
  if (n === '[') {
    for (let j = i + 2; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c >= 0x40 && c <= 0x7e) return j - i + 1;
      if (c < 0x20 || j - i > 64) return j - i; // malformed: stop before it
    }
    return 0;
  }
  if (n === 'O') return i + 2 < s.length ? 3 : 0;
  return 2; // Alt+key (or a lone ESC followed by a key: the same to a line editor)
}

function partialTail(s: string, from: number, pat: string): number {
  for (let k = Math.min(pat.length - 1, s.length - from); k > 0; k--) if (s.endsWith(pat.slice(0, k))) return k;
  return 0;
}

/** The line being typed, as far as keystrokes alone tell. */
export class LineModel {
  private chars: string[] = [];
  private pos = 0;
  certain = true;
  /** Some key was typed since the last reset (even one that left the line empty). */
  touched = false;

  get text(): string {
    return this.chars.join('');
  }

  reset(): void {
    this.chars = [];
    this.pos = 0;
    this.certain = true;
    this.touched = false;
  }

  /** Applies one key (never Enter); `editor` says whether readline-like editing is active. */
  apply(key: Key, editor: boolean): void {
    this.touched = true;
    switch (key.k) {
      case 'text':
        this.insert([...key.s]);
        return;
      case 'paste':
        if (!editor) this.certain = false;
        this.insert([...key.s.replace(/\r\n?/g, '\n')]);
        return;
      case 'ctrl':
        return this.ctrl(key.c, editor);
      case 'esc':
        return this.esc(key.seq, editor);
      case 'enter':
        return;
    }
  }

  private insert(cs: string[]): void {
    this.chars.splice(this.pos, 0, ...cs);
    this.pos += cs.length;
  }

  private ctrl(c: number, editor: boolean): void {
    switch (c) {
      case 0x7f: // DEL: what Backspace sends
        if (this.pos > 0) {
          this.chars.splice(this.pos - 1, 1);
          this.pos--;
        }
        return;
      case 0x15: // Ctrl-U: the kernel kills the line; readline kills back to the start
        this.chars.splice(0, this.pos);
        this.pos = 0;
        return;
      case 0x17: {
        // Ctrl-W: back over spaces, then over non-spaces
        let p = this.pos;
        while (p > 0 && /\s/.test(this.chars[p - 1]!)) p--;
        while (p > 0 && !/\s/.test(this.chars[p - 1]!)) p--;
        this.chars.splice(p, this.pos - p);
        this.pos = p;
        return;
      }
    }
    if (!editor) {
      this.certain = false;
      return;
    }
    switch (c) {
      case 0x01: // Ctrl-A
        this.pos = 0;
        return;
      case 0x05: // Ctrl-E
        this.pos = this.chars.length;
        return;
      case 0x02: // Ctrl-B
        this.pos = Math.max(0, this.pos - 1);
        return;
      case 0x06: // Ctrl-F
        this.pos = Math.min(this.chars.length, this.pos + 1);
        return;
      case 0x0b: // Ctrl-K
        this.chars.splice(this.pos);
        return;
      case 0x08: // Ctrl-H: backward-delete-char in readline
        return this.ctrl(0x7f, editor);
      case 0x04: // Ctrl-D on a non-empty line: delete-char
        this.chars.splice(this.pos, 1);
        return;
      default:
        this.certain = false;
    }
  }

  private esc(seq: string, editor: boolean): void {
    if (!editor) {
      this.certain = false;
      return;
    }
    switch (seq) {
      case '\x1b[D':
      case '\x1bOD':
        this.pos = Math.max(0, this.pos - 1);
        return;
      case '\x1b[C':
      case '\x1bOC':
        this.pos = Math.min(this.chars.length, this.pos + 1);
        return;
      case '\x1b[H':
      case '\x1bOH':
      case '\x1b[1~':
        this.pos = 0;
        return;
      case '\x1b[F':
      case '\x1bOF':
      case '\x1b[4~':
        this.pos = this.chars.length;
        return;
      case '\x1b[3~':
        this.chars.splice(this.pos, 1);
        return;
      default:
        this.certain = false;
    }
  }
}
