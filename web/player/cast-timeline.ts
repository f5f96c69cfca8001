/**
 * The event times of an asciicast, and the mapping between the recording's own time (what the
 * command log's `offsetSeconds` and the `?t=` in a player link are) and the player's timeline,
 * which asciinema-player shortens wherever a pause exceeds `idleTimeLimit`.
 *
 * The player's rule (asciinema-player 3.x, `timeLimiter`): for each event in order, a gap to the
 * previous event longer than the limit is cut down to the limit, and every later event moves
 * earlier by the cut. Mapping a recording time therefore needs every event time before it, which
 * is why the page fetches the cast itself and hands the text to the player.
 */

/** A cast whose partial last line (a live recording mid-write) has been dropped. */
export function completeLines(text: string): string {
  if (text === '' || text.endsWith('\n')) return text;
  const cut = text.lastIndexOf('\n');
  return cut === -1 ? text : text.slice(0, cut + 1);
}

/**
 * Seconds of every event, in file order. v2 stores absolute times, v3 the interval since the
 * previous event. Lines that are not events (the header, blanks, comments, junk) are skipped.
 */
export function castEventTimes(text: string): number[] {
  const times: number[] = [];
  let version = 2;
  let seenHeader = false;
  let clock = 0;
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      continue;
    }
    if (!seenHeader && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      seenHeader = true;
      const ver = (v as { version?: unknown }).version;
      if (typeof ver === 'number') version = ver;
      continue;
    }
    if (!Array.isArray(v) || typeof v[0] !== 'number' || !Number.isFinite(v[0])) continue;
    clock = version >= 3 ? clock + v[0] : v[0];
    times.push(clock);
  }
  return times;
}

const limited = (limit: number): boolean => Number.isFinite(limit) && limit >= 0;

/**
 * Recording time → player time. An event exactly at `raw` counts as before it, so a command's
 * offset lands on its own marker.
 */
export function toPlayerTime(times: readonly number[], raw: number, idleLimit: number): number {
  if (!limited(idleLimit)) return raw;
  let prev = 0;
  let shift = 0;
  for (const t of times) {
    if (t > raw) break;
    const cut = t - prev - idleLimit;
    if (cut > 0) shift += cut;
    prev = t;
  }
  // Inside a gap: the gap itself is at most `idleLimit` long on the player's timeline.
  return prev - shift + Math.min(raw - prev, idleLimit);
}

/** Player time → recording time (the inverse of toPlayerTime, for keeping the place). */
export function toRawTime(times: readonly number[], played: number, idleLimit: number): number {
  if (!limited(idleLimit)) return played;
  let prev = 0;
  let prevPlayed = 0;
  for (const t of times) {
    const at = prevPlayed + Math.min(t - prev, idleLimit);
    if (at > played) break;
    prev = t;
    prevPlayed = at;
  }
  return prev + (played - prevPlayed);
}
