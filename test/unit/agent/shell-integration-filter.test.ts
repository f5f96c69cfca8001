/**
 * The agent's filter of a shell's output under shell integration: markers carrying the nonce
 * become nonce-free wire markers the gateway's verifier accepts; everything else of that OSC
 * number is dropped; the nonce never passes; chunk boundaries change nothing.
 */
import { describe, expect, it } from 'vitest';
import { MarkerFilter, MAX_BODY } from '../../../agent/runners/shell-integration-filter';
import { bashInitFile } from '../../../agent/runners/shell-integration';
import { MarkerVerifier } from '../../../recorder/command-markers';

const NONCE = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdE';
const raw = (body: string, end = '\x07') => `\x1b]6973;${NONCE};${body}${end}`;

/** Runs `input` through a fresh filter cut into chunks of `size` bytes. */
function run(input: string | Buffer, size = Infinity): { out: string; markers: ReturnType<MarkerVerifier['verify']>[] } {
  const f = new MarkerFilter(NONCE);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += Math.min(size, buf.length)) parts.push(f.push(buf.subarray(i, i + Math.min(size, buf.length))));
  parts.push(f.flush());
  const out = Buffer.concat(parts).toString('latin1');
  const v = new MarkerVerifier(NONCE);
  const markers = [...out.matchAll(/\x1b\]6973;([^\x07]*)\x07/g)].map((m) => v.verify(m[1]!));
  return { out, markers };
}

describe('MarkerFilter', () => {
  it('rewrites markers with the nonce into authenticated wire markers, at any chunking', () => {
    const input = `a${raw('P;0')}$ ${raw('B')}ls -l\r\n${raw('C;0;1;ls%20-l%0Aecho%20%25')}b${raw('K', '\x1b\\')}c`;
    for (const size of [1, 2, 3, 7, 64, Infinity]) {
      const { out, markers } = run(input, size);
      expect(out).not.toContain(NONCE);
      expect(out.replace(/\x1b\]6973;[^\x07]*\x07/g, '')).toBe('a$ ls -l\r\nbc');
      expect(markers).toEqual([
        { kind: 'P', seq: 0, status: 0 },
        { kind: 'B', seq: 1 },
        { kind: 'C', seq: 2, prevStatus: 0, text: 'ls -l\necho %' },
        { kind: 'K', seq: 3 },
      ]);
    }
  });

  it('drops sequences of its OSC number with another nonce, and wire markers printed by programs', () => {
    const wrong = `\x1b]6973;${'z'.repeat(43)};C;0;1;rm\x07`;
    const wire = '\x1b]6973;gh1;0;C;0;1;cm0;AAAAAAAAAAAAAAAAAAAAAA\x07';
    expect(run(`x${wrong}y${wire}z`).out).toBe('xyz');
  });

  it('a bare or broken introducer hides nothing that follows it', () => {
    expect(run('\x1b]6973;hello\r\nworld').out).toBe('hello\r\nworld');
    expect(run(`\x1b]6973;typed text\x1b[K${raw('B')}`).markers).toEqual([{ kind: 'B', seq: 0 }]);
  });

  it('masks the nonce wherever else it appears', () => {
    for (const size of [1, 5, Infinity]) {
      const { out } = run(`declare -- __gh_n="${NONCE}"\r\n`, size);
      expect(out).toBe(`declare -- __gh_n="${'*'.repeat(NONCE.length)}"\r\n`);
    }
  });

  it('a command too long to keep is reported without its text', () => {
    const { out, markers } = run(`${raw('C;0;1;' + 'x'.repeat(MAX_BODY + 10))}after`, 4096);
    expect(markers).toEqual([{ kind: 'C', seq: 0, prevStatus: 0, text: null }]);
    expect(out.endsWith('after')).toBe(true);
  });

  it('holds back only what may begin a marker or the nonce', () => {
    const f = new MarkerFilter(NONCE);
    expect(f.push(Buffer.from('abc\x1b]69')).toString()).toBe('abc');
    expect(f.holding).toBe(true);
    expect(f.flush().toString()).toBe('\x1b]69');
    expect(f.push(Buffer.from('plain')).toString()).toBe('plain');
    expect(f.holding).toBe(false);
  });
});

describe('bash init file', () => {
  it('reads the login files, then hooks PROMPT_COMMAND, and holds the nonce only as a variable', () => {
    const rc = bashInitFile(NONCE);
    expect(rc.indexOf('. /etc/profile')).toBeLessThan(rc.indexOf('PROMPT_COMMAND=(__gh_pc'));
    expect(rc.match(new RegExp(NONCE, 'g'))).toHaveLength(1);
    expect(rc).toContain('~/.bash_profile');
    expect(rc).toContain('shopt -s cmdhist lithist');
  });
});
