/**
 * The asciinema-player global, loaded by a classic <script> in index.html (its bundle is an IIFE
 * that defines `AsciinemaPlayer`). Only the part of its API that the player page uses is declared.
 */
export interface AsciinemaOptions {
  speed?: number;
  idleTimeLimit?: number;
  fit?: 'width' | 'height' | 'both' | 'none' | false;
  autoPlay?: boolean;
  preload?: boolean;
  terminalFontFamily?: string;
}

export interface AsciinemaPlayerInstance {
  dispose(): void;
  play(): Promise<unknown>;
  addEventListener(event: 'play' | 'playing' | 'pause' | 'ended', handler: () => void): void;
}

interface AsciinemaGlobal {
  create(src: string, el: HTMLElement, opts?: AsciinemaOptions): AsciinemaPlayerInstance;
}

declare global {
  interface Window {
    AsciinemaPlayer?: AsciinemaGlobal;
  }
}

export function createPlayer(src: string, el: HTMLElement, opts: AsciinemaOptions): AsciinemaPlayerInstance {
  const lib = window.AsciinemaPlayer;
  if (!lib) throw new Error('The recording player failed to load (vendor/asciinema-player.min.js).');
  return lib.create(src, el, opts);
}
