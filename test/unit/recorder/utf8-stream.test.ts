import { describe, expect, it } from 'vitest';
import { Utf8StreamDecoder } from '../../../recorder/utf8-stream';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);

describe('Utf8StreamDecoder', () => {
  it('emits a 2-byte character split across chunks whole, in the later call', () => {
    const d = new Utf8StreamDecoder();
    expect(d.decode(b(0x63, 0xc3))).toBe('c');
    expect(d.decode(b(0xa9))).toBe('é');
    expect(d.end()).toBe('');
  });

  it.each([
    ['1+3', [[0xf0], [0x9f, 0x98, 0x80]]],
    ['3+1', [[0xf0, 0x9f, 0x98], [0x80]]],
    ['2+1+1', [[0xf0, 0x9f], [0x98], [0x80]]],
  ])('emits a 4-byte emoji split %s whole', (_label, chunks) => {
    const d = new Utf8StreamDecoder();
    const parts = chunks.map((c) => d.decode(Uint8Array.from(c)));
    expect(parts.slice(0, -1).every((p) => p === '')).toBe(true);
    expect(parts.at(-1)).toBe('😀');
    expect(d.end()).toBe('');
  });

  it('turns invalid bytes into U+FFFD without throwing', () => {
    const d = new Utf8StreamDecoder();
    expect(d.decode(b(0x41, 0xff, 0x42))).toBe('A\uFFFDB');
    expect(d.decode(b(0x80))).toBe('\uFFFD');
    // A truncated sequence followed by a plain byte: one U+FFFD, then the byte.
    expect(d.decode(b(0xe2, 0x82))).toBe('');
    expect(d.decode(b(0x41))).toBe('\uFFFDA');
  });

  it('end() flushes an incomplete character as one U+FFFD and resets', () => {
    const d = new Utf8StreamDecoder();
    expect(d.decode(b(0xe2, 0x82))).toBe('');
    expect(d.end()).toBe('\uFFFD');
    expect(d.end()).toBe('');
    expect(d.decode(b(0x78))).toBe('x');
  });

  it('keeps a leading byte-order mark (it is data from the target)', () => {
    const d = new Utf8StreamDecoder();
    expect(d.decode(b(0xef, 0xbb, 0xbf, 0x41))).toBe('\uFEFFA');
  });

  it('matches one-shot decoding for every split point of a mixed string', () => {
    const all = new TextEncoder().encode('aé日😀\x1b[0m€z');
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new Utf8StreamDecoder();
      const got = d.decode(all.subarray(0, cut)) + d.decode(all.subarray(cut)) + d.end();
      expect(got, `cut at ${cut}`).toBe('aé日😀\x1b[0m€z');
    }
  });
});
