/**
 * xterm.js in a host element that it fills. The FitAddon recomputes cols/rows whenever the host
 * changes size (window resize, nav wrapping, …) and xterm's onResize reports the new size.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

declare global {
  interface Window {
    /** Test hook: the live Terminal, so e2e tests can read its buffer. Never used by the app. */
    __gatehouseTerm?: Terminal;
  }
}

export interface TerminalView {
  term: Terminal;
  fit(): void;
  dispose(): void;
}

export function createTerminalView(host: HTMLElement): TerminalView {
  const term = new Terminal({
    cursorBlink: true,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: {
      background: '#11161d',
      foreground: '#dfe5ec',
      cursor: '#f2c14e',
      selectionBackground: '#3a4b63',
    },
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.open(host);

  const fit = () => {
    // fit() throws if the host is detached or has no size yet; there is nothing to fit then.
    if (!host.isConnected || host.clientWidth === 0 || host.clientHeight === 0) return;
    try {
      fitAddon.fit();
    } catch {
      /* not measurable yet */
    }
  };
  let frame = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(fit);
  });
  observer.observe(host);
  fit();
  window.__gatehouseTerm = term;

  return {
    term,
    fit,
    dispose() {
      observer.disconnect();
      cancelAnimationFrame(frame);
      if (window.__gatehouseTerm === term) delete window.__gatehouseTerm;
      term.dispose();
    },
  };
}
