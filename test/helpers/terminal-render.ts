import headless from '@xterm/headless';

export interface Rendered {
  /** Every line of scrollback and screen, trailing blanks trimmed, trailing empty lines dropped. */
  text: string;
  /** The visible lines, trailing blanks trimmed. */
  viewport: string[];
  cursor: [number, number];
}

/** What a fresh headless terminal of this size holds after `bytes` (a redraw, a recorded screen). */
export async function renderTerminal(bytes: string, cols: number, rows: number): Promise<Rendered> {
  const term = new headless.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  await new Promise<void>((r) => term.write(bytes, r));
  const b = term.buffer.active;
  const line = (y: number): string => b.getLine(y)?.translateToString(true) ?? '';
  const out: Rendered = {
    text: Array.from({ length: b.length }, (_, y) => line(y)).join('\n').replace(/\n+$/, ''),
    viewport: Array.from({ length: rows }, (_, y) => line(b.viewportY + y)),
    cursor: [b.cursorX, b.cursorY],
  };
  term.dispose();
  return out;
}
