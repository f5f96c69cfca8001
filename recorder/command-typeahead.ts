/**
 * Typeahead the kernel echoed while a command ran, for shells without a line editor (a paste into
 * dash): lines accepted away from any prompt that the shell may still read. The command
 * detector's state machine (command-machine.ts) keeps them here until the screen shows the shell
 * running them, or something (a marked prompt, Ctrl-C, a line typed at a prompt) says it will not.
 */
import type headless from '@xterm/headless';
import { Anchor, continues, cursorPos, leftOfCursor, logicalLineEndingAt } from './command-screen';
import type { PromptShape } from './command-text';

export class EchoedTypeahead {
  private candidates: { text: string; anchor: Anchor }[] = [];

  constructor(private readonly term: headless.Terminal) {}

  get length(): number {
    return this.candidates.length;
  }

  /** A line the kernel echoed, ending at row `lastRow`. */
  add(text: string, lastRow: number): void {
    this.candidates.push({ text, anchor: new Anchor(this.term, { x: 0, y: lastRow }) });
  }

  /**
   * Each time the shell shows a prompt and goes on printing without the user typing, it read one
   * such line and ran it: those lines go to `ran`, oldest first.
   */
  promote(shape: PromptShape | null, ran: (text: string) => void): void {
    const first = this.candidates[0]!.anchor.resolve();
    if (!shape || !first) {
      this.drop();
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
      ran(cand.text);
    }
  }

  drop(): void {
    for (const c of this.candidates) c.anchor.dispose();
    this.candidates = [];
  }
}
