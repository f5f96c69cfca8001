import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createAsciicastEncoder, formatCastTime } from '../../../recorder/asciicast-encoder';
import { parseCast } from '../../../recorder/cast-repair';
import type { RecordingHeader } from '../../../recorder/types';
import { encodeCase, goldenCases } from './golden-sequences';

const castsDir = fileURLToPath(new URL('../../fixtures/casts/', import.meta.url));
const golden = (name: string): string => `${castsDir}${name}.cast`;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const header: RecordingHeader = {
  width: 120,
  height: 40,
  timestamp: 1_700_000_123,
  env: { TERM: 'xterm', SHELL: '/bin/zsh' },
  title: 'root@db-1 by bob@example.com',
};

describe('golden files', () => {
  it.each(goldenCases.map((c) => [c.name, c] as const))('%s.cast matches byte for byte', (name, c) => {
    const out = encodeCase(c);
    // Regenerating is a deliberate act; re-read the diff before committing.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden(name), out);
    expect(existsSync(golden(name)), `missing ${golden(name)}`).toBe(true);
    expect(Buffer.from(out, 'utf8').equals(readFileSync(golden(name)))).toBe(true);
    expect(out).toBe(readFileSync(golden(name), 'utf8'));
    parseCast(out);
  });

  // Independent of the golden bytes, so a bad regeneration still fails.
  it('utf8-split: split characters come out whole; only the never-completed one is U+FFFD', () => {
    const { events } = parseCast(readFileSync(golden('utf8-split'), 'utf8'));
    expect(events).toEqual([
      [0.1, 'o', 'caf'],
      [0.2, 'o', 'é!'],
      [0.4, 'o', '😀 '],
      [0.6, 'o', '😀\r\n'],
      [0.7, 'o', '日'],
      [0.8, 'o', '本'],
      [0.9, 'o', '\uFFFD'],
    ]);
    expect(readFileSync(golden('utf8-split'), 'utf8')).toContain('"é!"');
  });

  it('control-sequences: escapes are JSON escapes and invalid bytes are U+FFFD', () => {
    const raw = readFileSync(golden('control-sequences'), 'utf8');
    expect(raw).toContain('"\\u001b[31mred\\u001b[0m plain\\r\\n"');
    expect(raw).toContain('"abc\\b\\bX\\r\\n"');
    expect(raw).toContain('"\\u0007"');
    expect(raw).toContain('"nul\\u0000 del');
    expect(raw).not.toMatch(/[\x00-\x09\x0b-\x1f]/); // no raw control bytes except line ends
    const { events } = parseCast(raw);
    expect(events.map((e) => e[2])).toEqual([
      '\x1b[31mred\x1b[0m plain\r\n',
      'abc\b\bX\r\n',
      '\x07',
      'A\uFFFDB',
      '\uFFFD',
      'tab\there "quoted" back\\slash\r\n',
      '\x1b]0;window title\x07',
      'nul\x00 del\x7f ls\u2028ps\u2029\r\n',
    ]);
  });

  it('input-events: i and o decoders are independent; x writes nothing', () => {
    const { events } = parseCast(readFileSync(golden('input-events'), 'utf8'));
    expect(events.filter((e) => e[1] === 'i').map((e) => e[2])).toEqual(['l', 's', '\r', '\x1b[A', '\x7f', 'ö', '\x03']);
    expect(events).toContainEqual([1.5, 'o', 'é']);
    expect(events.at(-1)).toEqual([1.7, 'i', '\x03']);
  });

  it('plain-session: resize, marker, rounded time, no exit line', () => {
    const { header: h, events } = parseCast(readFileSync(golden('plain-session'), 'utf8'));
    expect(h.idle_time_limit).toBe(2);
    expect(events).toEqual([
      [0, 'o', '$ '],
      [0.5, 'o', 'echo hello\r\n'],
      [0.512345, 'o', 'hello\r\n$ '],
      [1.25, 'r', '100x30'],
      [2, 'm', 'checkpoint'],
      [3.123457, 'o', 'exit\r\n'],
    ]);
  });
});

describe('createAsciicastEncoder', () => {
  it('writes header keys in order, with idle_time_limit only when given', () => {
    const e = createAsciicastEncoder();
    expect(e.header(header)).toBe(
      '{"version":2,"width":120,"height":40,"timestamp":1700000123,"env":{"TERM":"xterm","SHELL":"/bin/zsh"},"title":"root@db-1 by bob@example.com"}\n',
    );
    expect(e.header({ ...header, idleTimeLimit: 1.5 })).toBe(
      '{"version":2,"width":120,"height":40,"timestamp":1700000123,"idle_time_limit":1.5,"env":{"TERM":"xterm","SHELL":"/bin/zsh"},"title":"root@db-1 by bob@example.com"}\n',
    );
  });

  it('writes only TERM and SHELL from env', () => {
    const env = { SHELL: '/bin/sh', TERM: 'vt100', SECRET: 'x' } as RecordingHeader['env'];
    expect(createAsciicastEncoder().header({ ...header, env })).toContain('"env":{"TERM":"vt100","SHELL":"/bin/sh"},');
  });

  it('encodes each event kind as one line', () => {
    const e = createAsciicastEncoder();
    expect(e.event({ kind: 'o', t: 1.5, data: enc('hi\x1b[0m') })).toBe('[1.5, "o", "hi\\u001b[0m"]\n');
    expect(e.event({ kind: 'i', t: 2, data: enc('ls\r') })).toBe('[2.0, "i", "ls\\r"]\n');
    expect(e.event({ kind: 'r', t: 2.25, cols: 132, rows: 43 })).toBe('[2.25, "r", "132x43"]\n');
    expect(e.event({ kind: 'm', t: 3, label: 'a "b"' })).toBe('[3.0, "m", "a \\"b\\""]\n');
  });

  it('returns null for x events, empty data and a lone first byte', () => {
    const e = createAsciicastEncoder();
    expect(e.event({ kind: 'x', t: 1, code: 0 })).toBeNull();
    expect(e.event({ kind: 'x', t: 1, code: null, signal: 'SIGHUP' })).toBeNull();
    expect(e.event({ kind: 'o', t: 1, data: new Uint8Array() })).toBeNull();
    expect(e.event({ kind: 'o', t: 1, data: Uint8Array.of(0xc3) })).toBeNull();
    expect(e.end(4)).toEqual(['[4.0, "o", "\uFFFD"]\n']);
  });

  it('end() flushes both decoders at the given time, output first', () => {
    const e = createAsciicastEncoder();
    e.event({ kind: 'i', t: 1, data: Uint8Array.of(0xe2) });
    e.event({ kind: 'o', t: 1, data: Uint8Array.of(0xf0, 0x9f) });
    expect(e.end(7.5)).toEqual(['[7.5, "o", "\uFFFD"]\n', '[7.5, "i", "\uFFFD"]\n']);
    expect(e.end(8)).toEqual([]);
  });

  it('is deterministic: two encoders give the same bytes', () => {
    for (const c of goldenCases) expect(encodeCase(c)).toBe(encodeCase(c));
  });
});

describe('formatCastTime', () => {
  it.each([
    [1.5, '1.5'],
    [2, '2.0'],
    [0, '0.0'],
    [0.1234567, '0.123457'],
    [0.1234564, '0.123456'],
    [0.0000004, '0.0'],
    [0.0000005, '0.000001'],
    [1e-6, '0.000001'],
    [0.1, '0.1'],
    [59.999_999_6, '60.0'],
    [3600.000_01, '3600.00001'],
    [123456.789, '123456.789'],
    [1e9 + 0.25, '1000000000.25'],
    [-1, '0.0'],
    [Number.NaN, '0.0'],
  ])('%s → %s', (t, want) => {
    expect(formatCastTime(t)).toBe(want);
    const clamped = Number.isNaN(t) ? 0 : Math.max(0, t);
    expect(Math.abs(Number(JSON.parse(want)) - clamped)).toBeLessThanOrEqual(5e-7 + 1e-12);
  });

  it('never uses exponent notation, even for huge or infinite times', () => {
    for (const t of [1e21, Number.POSITIVE_INFINITY, 1e-12, 5e-324]) expect(formatCastTime(t)).toMatch(/^\d+\.\d{1,6}$/);
  });

  it('is monotonic over increasing times', () => {
    // A fixed LCG so the test is reproducible.
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let t = 0;
    let prev = -1;
    const bad: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      t += rand() < 0.5 ? rand() * 1e-6 : rand() * 0.01;
      const v = Number(formatCastTime(t));
      if (v < prev || Math.abs(v - t) > 5e-7 + 1e-9) bad.push(`${t} → ${v} after ${prev}`);
      prev = v;
    }
    expect(bad).toEqual([]);
  });
});
