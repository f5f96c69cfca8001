/**
 * Keeps the current screen of a shell in a headless terminal so a client that (re)attaches
 * sees it redrawn, not a blank terminal. It is a SessionTap like the recorder: it sees every
 * output and resize event.
 *
 * Limit: the redraw is the visible screen plus the headless terminal's scrollback (bounded by
 * REDRAW_SCROLLBACK lines), not the whole history; the recording has the whole history.
 */
import headless from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { REDRAW_SCROLLBACK, type SessionEvent, type SessionTap } from '../protocol/session-events';

export interface ScreenKeeper extends SessionTap {
  /** Bytes that, written to a fresh terminal of the same size, reproduce the current screen. */
  snapshot(): Promise<string>;
}

/**
 * `from`: the screen to start from (bytes as `snapshot()` gives them), when this keeper takes
 * over from a tap that kept the screen until it failed. Events that come before it settles wait,
 * so they land on top of the screen they continue.
 */
export function createScreenKeeper(cols: number, rows: number, from?: Promise<string>): ScreenKeeper {
  const term = new headless.Terminal({ cols, rows, scrollback: REDRAW_SCROLLBACK, allowProposedApi: true });
  const ser = new serialize.SerializeAddon();
  term.loadAddon(ser as unknown as headless.ITerminalAddon);
  let failure: Error | null = null;
  let waiting: SessionEvent[] | null = null;

  function apply(e: SessionEvent): void {
    try {
      if (e.kind === 'o') term.write(e.data);
      else if (e.kind === 'r') term.resize(e.cols, e.rows);
    } catch (err) {
      failure = err as Error;
    }
  }

  let closed = false;
  let started: Promise<void> = Promise.resolve();
  if (from) {
    waiting = [];
    const start = (screen: string): void => {
      const held = waiting ?? [];
      waiting = null;
      if (closed) return;
      if (screen !== '') term.write(screen);
      for (const e of held) if (!failure) apply(e);
    };
    started = from.then(start, () => start(''));
  }

  return {
    name: 'screen',
    get failure() {
      return failure;
    },
    onEvent(e: SessionEvent) {
      if (failure) return;
      if (waiting) waiting.push(e);
      else apply(e);
    },
    backlog: () => 0,
    whenDrained: () => Promise.resolve(),
    snapshot: () => started.then(() => new Promise((resolve) => term.write('', () => resolve(ser.serialize())))),
    async close() {
      closed = true;
      term.dispose();
    },
  };
}
