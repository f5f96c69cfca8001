/**
 * asciicast v2 encoder (https://docs.asciinema.org/manual/asciicast/v2/): turns a header and
 * session events into newline-terminated JSON lines.
 *
 * Pure by design: no clock, no fs, no randomness. The same calls in the same order give the
 * same bytes, which is what lets `test/fixtures/casts/*.cast` be compared byte for byte. All
 * I/O, timing and error latching belong to the sink (`asciicast-sink.ts`).
 */
import type { SessionEvent } from '../protocol/session-events';
import type { CastEncoder, RecordingHeader } from './types';
import { Utf8StreamDecoder } from './utf8-stream';

/** Largest time we can format exactly: microseconds must stay a safe integer (~285 years). */
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);

/**
 * Formats an event time as a JSON number literal.
 *
 * The rule (stable; golden files depend on it): round to the nearest microsecond with
 * `Math.round(t * 1e6)`, print the integer seconds, a '.', and the microseconds with trailing
 * zeros removed but at least one digit kept. So 1.5 → `1.5`, 2 → `2.0`, 0.1234567 → `0.123457`,
 * 0.0000004 → `0.0`. This is what asciinema itself writes (`round(t, 6)` in Python's json).
 *
 * What must stay true:
 * - Never exponent notation (JSON.stringify(1e-7) is "1e-7"; some players choke on it).
 * - Monotonic: t1 <= t2 implies format(t1) <= format(t2) numerically (multiplying by a positive
 *   constant and Math.round are both non-decreasing), so ordered events stay ordered.
 * - Negative, NaN or infinite input (a broker bug) is clamped into [0, MAX_SECONDS] rather
 *   than producing an invalid file; the broker's per-session monotonic clock never gives them.
 */
export function formatCastTime(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(Math.max(t, 0), MAX_SECONDS) : t > 0 ? MAX_SECONDS : 0;
  const micros = Math.round(clamped * 1e6);
  const whole = Math.floor(micros / 1e6);
  const frac = String(micros - whole * 1e6).padStart(6, '0').replace(/0+$/, '');
  return `${whole}.${frac === '' ? '0' : frac}`;
}

function line(t: number, code: 'o' | 'i' | 'r' | 'm', data: string): string {
  // JSON.stringify escapes '"', '\\' and every C0 control (ESC → \u001b, BEL → \u0007), and
  // emits lone surrogates as \udXXX, so the line is always one valid JSON line: a raw "\n"
  // can never appear inside it.
  return `[${formatCastTime(t)}, ${JSON.stringify(code)}, ${JSON.stringify(data)}]\n`;
}

/**
 * Creates an encoder for one recording. Not reusable across recordings: it holds the UTF-8
 * decoders of one session's output and input streams.
 */
export function createAsciicastEncoder(): CastEncoder {
  // Separate decoders: output and input are two byte streams interleaved in time, and a
  // character split in one must not be completed (or broken) by bytes of the other.
  const output = new Utf8StreamDecoder();
  const input = new Utf8StreamDecoder();

  return {
    header(h: RecordingHeader): string {
      // Key order is part of the golden files: version, width, height, timestamp,
      // idle_time_limit (only when set), env, title. env is rebuilt so only TERM and SHELL
      // are ever written, whatever else the caller's object carries.
      const header: Record<string, unknown> = {
        version: 2,
        width: h.width,
        height: h.height,
        timestamp: h.timestamp,
      };
      if (h.idleTimeLimit !== undefined) header.idle_time_limit = h.idleTimeLimit;
      header.env = { TERM: h.env.TERM, SHELL: h.env.SHELL };
      header.title = h.title;
      return `${JSON.stringify(header)}\n`;
    },

    event(e: SessionEvent): string | null {
      switch (e.kind) {
        case 'o': {
          const text = output.decode(e.data);
          return text === '' ? null : line(e.t, 'o', text);
        }
        case 'i': {
          const text = input.decode(e.data);
          return text === '' ? null : line(e.t, 'i', text);
        }
        case 'r':
          return line(e.t, 'r', `${e.cols}x${e.rows}`);
        case 'm':
          return line(e.t, 'm', e.label);
        case 'x':
          // v2 has no exit event; the exit code lives in the connection row.
          return null;
      }
    },

    end(t: number): string[] {
      const lines: string[] = [];
      const o = output.end();
      if (o !== '') lines.push(line(t, 'o', o));
      const i = input.end();
      if (i !== '') lines.push(line(t, 'i', i));
      return lines;
    },
  };
}
