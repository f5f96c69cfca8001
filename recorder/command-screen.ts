/**
 * The screen half of the command detector: reading what a headless terminal shows, and telling
 * prompts from other text.
 *
 * Positions are absolute buffer lines (scrollback included). An Anchor is an input position
 * that stays right when lines scroll away and when a resize re-wraps the screen: it is kept as
 * an xterm line marker on the first row of its logical line plus a cell offset into that line.
 */
import type headless from '@xterm/headless';

type Term = headless.Terminal;
export interface Pos {
  x: number;
  y: number;
}

export function cursorPos(term: Term): Pos {
  const b = term.buffer.active;
  return { x: b.cursorX, y: b.baseY + b.cursorY };
}

export function isAlternate(term: Term): boolean {
  return term.buffer.active.type === 'alternate';
}

/** First row of the logical line (wrapped rows joined) that row y belongs to, as xterm wraps. */
function wrapStart(term: Term, y: number): number {
  const b = term.buffer.active;
  while (y > 0 && b.getLine(y)?.isWrapped) y--;
  return y;
}

/**
 * Whether row y continues on row y+1. xterm marks rows it wrapped itself; a line editor that
 * redraws a long line (after an insertion mid-line) moves between rows on its own and leaves no
 * such mark, so a row whose last cell is written also counts as continued.
 */
export function continues(term: Term, y: number): boolean {
  const b = term.buffer.active;
  if (b.getLine(y + 1)?.isWrapped) return true;
  const cell = b.getLine(y)?.getCell(term.cols - 1);
  return !!cell && (cell.getChars() !== '' || cell.getWidth() === 0);
}

/** First row of the logical line that row y belongs to. */
export function logicalStart(term: Term, y: number): number {
  while (y > 0 && continues(term, y - 1)) y--;
  return y;
}

export class Anchor {
  private readonly marker: headless.IMarker | undefined;
  private readonly offset: number;

  constructor(private readonly term: Term, pos: Pos) {
    // Reflow on resize follows xterm's own wrap marks, so the anchor does too.
    const start = wrapStart(term, pos.y);
    this.offset = (pos.y - start) * term.cols + pos.x;
    const c = cursorPos(term);
    this.marker = term.registerMarker(start - c.y);
  }

  resolve(): Pos | null {
    const m = this.marker;
    if (!m || m.isDisposed || m.line < 0) return null;
    const cols = this.term.cols;
    return { y: m.line + Math.floor(this.offset / cols), x: this.offset % cols };
  }

  dispose(): void {
    this.marker?.dispose();
  }
}

/**
 * The text from `from` to the end of row `lastRow`, one string per logical line (rows that
 * wrap into the next are joined without a newline). Trailing blanks of each line are dropped.
 */
export function readRegion(term: Term, from: Pos, lastRow: number): string[] {
  const b = term.buffer.active;
  const lines: string[] = [];
  let cur = '';
  for (let y = from.y; y <= lastRow; y++) {
    const line = b.getLine(y);
    if (!line) break;
    const wrapsOn = y < lastRow && continues(term, y);
    cur += line.translateToString(!wrapsOn, y === from.y ? Math.min(from.x, term.cols) : 0);
    if (!wrapsOn) {
      lines.push(cur.replace(/\s+$/, ''));
      cur = '';
    }
  }
  if (cur) lines.push(cur.replace(/\s+$/, ''));
  return lines;
}

/** The whole logical line that ends at row y (trailing blanks dropped). */
export function logicalLineEndingAt(term: Term, y: number): string {
  return readRegion(term, { x: 0, y: logicalStart(term, y) }, y).join('');
}

/** The text of the cursor's logical line up to the cursor. */
export function leftOfCursor(term: Term): string {
  const c = cursorPos(term);
  const start = logicalStart(term, c.y);
  const b = term.buffer.active;
  let s = '';
  for (let y = start; y <= c.y; y++) {
    const line = b.getLine(y);
    if (!line) break;
    s += y < c.y ? line.translateToString(false) : line.translateToString(false, 0, Math.min(c.x, term.cols));
  }
  // (rows before the cursor's are full when they continue, so no blanks are lost)
  return s;
}

/** What the cursor's row shows to the right of the cursor (a right prompt, typically). */
export function rightOfCursor(term: Term): string {
  const c = cursorPos(term);
  const line = term.buffer.active.getLine(c.y);
  return line ? line.translateToString(true, Math.min(c.x, term.cols)).trim() : '';
}
