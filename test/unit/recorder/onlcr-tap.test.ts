import { describe, it, expect } from 'vitest';
import { toCrlf } from '../../../recorder/onlcr-tap';

const run = (chunks: string[]) => {
  let cr = false;
  return chunks
    .map((c) => {
      const r = toCrlf(Buffer.from(c, 'latin1'), cr);
      cr = r.lastWasCr;
      return Buffer.from(r.out).toString('latin1');
    })
    .join('');
};

describe('onlcr for pty-less output', () => {
  it.each([
    ['bare newlines', ['a\nb\n'], 'a\r\nb\r\n'],
    ['already CRLF', ['a\r\nb\r\n'], 'a\r\nb\r\n'],
    ['CR at the end of one chunk, LF at the start of the next', ['a\r', '\nb'], 'a\r\nb'],
    ['LF at the start of a chunk after text', ['a', '\n'], 'a\r\n'],
    ['empty chunks', ['', '\n', ''], '\r\n'],
    ['binary bytes pass through', ['\x00\xff\n'], '\x00\xff\r\n'],
  ])('%s', (_n, chunks, want) => {
    expect(run(chunks)).toBe(want);
  });
});
