/**
 * The asciinema-player global, loaded by a classic <script> in index.html (its bundle is an IIFE
 * that defines `AsciinemaPlayer`). Only the part of its API that the pages use is declared.
 *
 * Version 3.17 (package.json). Since 3.6 the player reads `m` (marker) events from the cast
 * itself: they show as ticks on the progress bar and `[` / `]` jump between them, so nothing
 * needs enabling for the command markers the recorder writes.
 *
 * Times: `startAt` is in the recording's own time (the player maps it through idle-time
 * compression), while `seek(seconds)` and `getCurrentTime()` are on the player's compressed
 * timeline. cast-timeline.ts converts between the two.
 */
export interface AsciinemaOptions {
  speed?: number;
  idleTimeLimit?: number;
  fit?: 'width' | 'height' | 'both' | 'none' | false;
  autoPlay?: boolean;
  preload?: boolean;
  /** Seconds into the recording (before idle compression). */
  startAt?: number;
  terminalFontFamily?: string;
}

/** A URL, or the cast's text already fetched (parsed as asciicast). */
export type AsciinemaSource = string | { data: string; parser?: 'asciicast' };

export interface AsciinemaMarkerEvent {
  index: number;
  /** Seconds on the player's (compressed) timeline. */
  time: number;
  label: string;
}

export interface AsciinemaPlayerInstance {
  el?: HTMLElement;
  dispose(): void;
  play(): Promise<unknown>;
  pause(): Promise<unknown>;
  /** Seconds on the player's (compressed) timeline, or a marker. */
  seek(where: number | { marker: number | 'prev' | 'next' }): Promise<unknown>;
  getCurrentTime(): number;
  getDuration(): number | undefined;
  addEventListener(event: 'play' | 'playing' | 'pause' | 'ended', handler: () => void): void;
  addEventListener(event: 'marker', handler: (e: AsciinemaMarkerEvent) => void): void;
}

interface AsciinemaGlobal {
  create(src: AsciinemaSource, el: HTMLElement, opts?: AsciinemaOptions): AsciinemaPlayerInstance;
}

declare global {
  interface Window {
    AsciinemaPlayer?: AsciinemaGlobal;
  }
}

export function createPlayer(src: AsciinemaSource, el: HTMLElement, opts: AsciinemaOptions): AsciinemaPlayerInstance {
  const lib = window.AsciinemaPlayer;
  if (!lib) throw new Error('The recording player failed to load (vendor/asciinema-player.min.js).');
  return lib.create(src, el, opts);
}
