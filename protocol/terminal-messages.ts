/**
 * The browser/CLI ⇄ service terminal websocket (`/ws/connections/:id`).
 *
 * Binary frames carry raw terminal bytes: client → service is input, service → client is output.
 * Text frames carry one JSON control message of the closed unions below. Anything else (unknown
 * type, bad fields, oversize) is answered with close 4400 on that socket only.
 *
 * Exec connections without a pty (`gate connect T -- CMD`) keep stdout and stderr apart: each
 * service → client binary frame starts with one tag byte (STREAM_STDOUT or STREAM_STDERR)
 * followed by the bytes. Client → service binary frames are stdin, unprefixed, and
 * `{type:'eof'}` closes stdin. Shells and pty execs use untagged frames.
 */
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;

export type ClientControl =
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'eof' };

export type ServerControl =
  | { type: 'attached'; connectionId: string; cols: number; rows: number; redraw: boolean }
  | { type: 'exit'; code: number | null; signal?: string }
  | { type: 'notice'; message: string };

export const MAX_CONTROL_BYTES = 1024;
export const MAX_TERM_COLS = 1000;
export const MAX_TERM_ROWS = 500;

function isDim(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
}

/** Parses one text frame from a client; returns an error string instead of throwing. */
export function parseClientControl(text: string): ClientControl | { error: string } {
  if (text.length > MAX_CONTROL_BYTES) return { error: 'control message too large' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { error: 'control message is not JSON' };
  }
  if (typeof v !== 'object' || v === null) return { error: 'control message must be an object' };
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'resize': {
      if (!isDim(m.cols, MAX_TERM_COLS) || !isDim(m.rows, MAX_TERM_ROWS)) {
        return { error: `resize needs integer cols 1..${MAX_TERM_COLS} and rows 1..${MAX_TERM_ROWS}` };
      }
      if (Object.keys(m).length !== 3) return { error: 'resize has unknown fields' };
      return { type: 'resize', cols: m.cols, rows: m.rows };
    }
    case 'eof':
      if (Object.keys(m).length !== 1) return { error: 'eof has unknown fields' };
      return { type: 'eof' };
    default:
      return { error: `unknown control message type ${JSON.stringify(String(m.type)).slice(0, 40)}` };
  }
}

/**
 * Parses one text frame from the service (browser and `gate`): accepts only the closed union
 * the service may send, normalising field types; anything else gives null and is dropped.
 */
export function parseServerControl(text: string): ServerControl | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'attached':
      return {
        type: 'attached',
        connectionId: String(m.connectionId ?? ''),
        cols: Number(m.cols) || 0,
        rows: Number(m.rows) || 0,
        redraw: m.redraw === true,
      };
    case 'exit':
      return {
        type: 'exit',
        code: typeof m.code === 'number' ? m.code : null,
        ...(typeof m.signal === 'string' ? { signal: m.signal } : {}),
      };
    case 'notice':
      return typeof m.message === 'string' ? { type: 'notice', message: m.message } : null;
    default:
      return null;
  }
}
