/**
 * A first guess at the terminal size before xterm.js has measured anything, so the shell starts
 * close to the right size; the terminal page sends the exact size as soon as it has fitted.
 */
import { MAX_TERM_COLS, MAX_TERM_ROWS } from '../../protocol/terminal-messages';

const CELL_WIDTH_PX = 8.4;
const CELL_HEIGHT_PX = 17;
const CHROME_HEIGHT_PX = 120;
const SIDE_PADDING_PX = 32;

export function estimateTerminalSize(): { cols: number; rows: number } {
  const cols = Math.floor((window.innerWidth - SIDE_PADDING_PX) / CELL_WIDTH_PX);
  const rows = Math.floor((window.innerHeight - CHROME_HEIGHT_PX) / CELL_HEIGHT_PX);
  return { cols: clamp(cols, 20, MAX_TERM_COLS), rows: clamp(rows, 5, MAX_TERM_ROWS) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}
