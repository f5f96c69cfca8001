/**
 * Fixed event sequences behind the golden files in test/fixtures/casts/. Each sequence is
 * encoded (header, every event, then end() at the last event's time) and must equal its
 * `.cast` file byte for byte. Change a sequence and you must regenerate and re-read its file:
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/recorder/asciicast-encoder.test.ts`.
 */
import type { SessionEvent } from '../../../protocol/session-events';
import { createAsciicastEncoder } from '../../../recorder/asciicast-encoder';
import type { RecordingHeader } from '../../../recorder/types';

export interface GoldenCase {
  name: string;
  header: RecordingHeader;
  events: SessionEvent[];
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const o = (t: number, data: Uint8Array | string): SessionEvent => ({ kind: 'o', t, data: typeof data === 'string' ? text(data) : data });
const i = (t: number, data: Uint8Array | string): SessionEvent => ({ kind: 'i', t, data: typeof data === 'string' ? text(data) : data });

const baseHeader: RecordingHeader = {
  width: 80,
  height: 24,
  timestamp: 1_700_000_000,
  env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
  title: 'alice@web-1 by alice@example.com',
};

export const goldenCases: GoldenCase[] = [
  {
    name: 'plain-session',
    header: { ...baseHeader, idleTimeLimit: 2 },
    events: [
      o(0, '$ '),
      o(0.5, 'echo hello\r\n'),
      o(0.512345, 'hello\r\n$ '),
      { kind: 'r', t: 1.25, cols: 100, rows: 30 },
      { kind: 'm', t: 2, label: 'checkpoint' },
      o(3.1234567, 'exit\r\n'),
      { kind: 'x', t: 3.2, code: 0 },
    ],
  },
  {
    name: 'utf8-split',
    header: baseHeader,
    events: [
      o(0.1, bytes(0x63, 0x61, 0x66, 0xc3)), // "caf" + first byte of é
      o(0.2, bytes(0xa9, 0x21)), // rest of é, "!"
      o(0.3, bytes(0xf0)), // 1 of 4 bytes of 😀: nothing to write yet
      o(0.4, bytes(0x9f, 0x98, 0x80, 0x20)), // the other 3, then " "
      o(0.5, bytes(0xf0, 0x9f, 0x98)), // 3 of 4 bytes of 😀: nothing yet
      o(0.6, bytes(0x80, 0x0d, 0x0a)), // the last one, then CR LF
      o(0.7, bytes(0xe6, 0x97, 0xa5, 0xe6)), // 日 + first byte of 本
      o(0.8, bytes(0x9c, 0xac)), // rest of 本
      o(0.9, bytes(0xe2, 0x82)), // 2 of 3 bytes of €, never completed: U+FFFD from end()
    ],
  },
  {
    name: 'control-sequences',
    header: baseHeader,
    events: [
      o(0.1, '\x1b[31mred\x1b[0m plain\r\n'),
      o(0.2, 'abc\b\bX\r\n'),
      o(0.3, '\x07'),
      o(0.4, bytes(0x41, 0xff, 0x42)), // lone invalid byte between A and B
      o(0.5, bytes(0x80)), // lone continuation byte
      o(0.6, 'tab\there "quoted" back\\slash\r\n'),
      o(0.7, '\x1b]0;window title\x07'),
      o(0.8, 'nul\x00 del\x7f ls\u2028ps\u2029\r\n'),
    ],
  },
  {
    name: 'input-events',
    header: baseHeader,
    events: [
      o(0, '$ '),
      i(0.5, 'l'),
      o(0.501, 'l'),
      i(0.6, 's'),
      o(0.601, 's'),
      i(0.7, '\r'),
      o(0.71, '\r\nfile.txt\r\n$ '),
      i(1, '\x1b[A'), // arrow up
      o(1.01, 'ls'),
      i(1.2, '\x7f'), // backspace
      o(1.21, '\b\x1b[K'),
      // Output and input each split a character at the same time: separate decoders
      // must complete each with its own bytes.
      o(1.3, bytes(0xc3)),
      i(1.4, bytes(0xc3)),
      o(1.5, bytes(0xa9)), // é
      i(1.6, bytes(0xb6)), // ö
      i(1.7, '\x03'),
      { kind: 'x', t: 2, code: 130, signal: 'SIGINT' },
    ],
  },
];

/** Encodes a case as the sink would write it (minus I/O). */
export function encodeCase(c: GoldenCase): string {
  const encoder = createAsciicastEncoder();
  let out = encoder.header(c.header);
  let lastT = 0;
  for (const e of c.events) {
    lastT = Math.max(lastT, e.t);
    out += encoder.event(e) ?? '';
  }
  return out + encoder.end(lastT).join('');
}
