import { parseDuration } from '../config';

/** Seconds of a duration already validated (`30m`, `2h`); 0 for anything else. */
export const durationSeconds = (d: string): number => parseDuration(d) ?? 0;

/** `1h30m` style, for messages. */
export function formatSeconds(total: number): string {
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('') || '0s';
}
