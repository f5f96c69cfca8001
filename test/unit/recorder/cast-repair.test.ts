import { readFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCast, repairCast } from '../../../recorder/cast-repair';

const golden = await readFile(new URL('../../fixtures/casts/plain-session.cast', import.meta.url));
const goldenLines = golden.toString('utf8').split('\n').length - 1;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-repair-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(...parts: Array<string | Buffer>): Promise<string> {
  const path = join(dir, 'x.cast');
  await writeFile(path, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
  return path;
}

describe('repairCast', () => {
  it.each([
    ['a partial last line', '[4.0, "o", "par'],
    ['a partial line cut inside a multibyte character', Buffer.from([0x5b, 0x34, 0x2c, 0x20, 0x22, 0x6f, 0x22, 0x2c, 0x20, 0x22, 0xf0, 0x9f])],
    ['a NUL-filled tail', Buffer.alloc(4096)],
    ['a terminated line that is not JSON', '[4.0, "o", "x"\n'],
    ['a terminated JSON line of the wrong shape', '{"not":"an event"}\n'],
    ['a terminated line of invalid UTF-8', Buffer.from('[4.0, "o", "\xff"]\n', 'latin1')],
    ['garbage lines followed by a partial one', 'garbage\n\n[5.0, "o"\n[6.0, "o", "cut'],
  ])('drops %s', async (_label, tail) => {
    const path = await fileWith(golden, tail);
    const tailBytes = typeof tail === 'string' ? Buffer.byteLength(tail) : tail.length;
    expect(await repairCast(path)).toEqual({ droppedBytes: tailBytes, lines: goldenLines });
    const repaired = await readFile(path);
    expect(repaired.equals(golden)).toBe(true);
    parseCast(repaired.toString('utf8'));
  });

  it('leaves a complete file untouched', async () => {
    const path = await fileWith(golden);
    const before = await stat(path);
    expect(await repairCast(path)).toEqual({ droppedBytes: 0, lines: goldenLines });
    expect((await readFile(path)).equals(golden)).toBe(true);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
  });

  it('is idempotent', async () => {
    const path = await fileWith(golden, '[9.0, "o", "unfinish');
    expect((await repairCast(path)).droppedBytes).toBeGreaterThan(0);
    const once = await readFile(path);
    expect(await repairCast(path)).toEqual({ droppedBytes: 0, lines: goldenLines });
    expect((await readFile(path)).equals(once)).toBe(true);
  });

  it('keeps a valid header alone when every event line is damaged', async () => {
    const headerLine = golden.toString('utf8').split('\n')[0]! + '\n';
    const path = await fileWith(headerLine, '[0.1, "o"');
    expect(await repairCast(path)).toEqual({ droppedBytes: 9, lines: 1 });
    expect(parseCast(await readFile(path, 'utf8')).events).toEqual([]);
  });

  it.each([
    ['a partial header', '{"version":2,"width":80,"hei'],
    ['a terminated non-v2 header', '{"version":1,"width":80,"height":24}\n'],
    ['an event line where the header should be', '[0.0, "o", "x"]\n'],
  ])('truncates to 0 bytes when not even the header survived: %s', async (_label, text) => {
    const path = await fileWith(text);
    expect(await repairCast(path)).toEqual({ droppedBytes: Buffer.byteLength(text), lines: 0 });
    expect((await stat(path)).size).toBe(0);
    expect(await repairCast(path)).toEqual({ droppedBytes: 0, lines: 0 });
  });

  it('scans tails and lines longer than its 64 KiB read chunk', async () => {
    const longLine = `[4.0, "o", "${'é'.repeat(100_000)}"]\n`; // ~200 KB, valid
    const longTail = `[5.0, "o", "${'x'.repeat(300_000)}`; // ~300 KB, unterminated
    const path = await fileWith(golden, longLine, longTail);
    expect(await repairCast(path)).toEqual({ droppedBytes: Buffer.byteLength(longTail), lines: goldenLines + 1 });
    expect(await readFile(path, 'utf8')).toBe(golden.toString('utf8') + longLine);
  });

  it('rejects for a missing file', async () => {
    await expect(repairCast(join(dir, 'missing.cast'))).rejects.toThrow(/ENOENT/);
  });
});

describe('parseCast', () => {
  const h = '{"version":2,"width":80,"height":24}\n';

  it('returns the header and events of a valid cast', () => {
    expect(parseCast(`${h}[0.5, "o", "a"]\n[1.0, "r", "90x30"]\n`)).toEqual({
      header: { version: 2, width: 80, height: 24 },
      events: [
        [0.5, 'o', 'a'],
        [1, 'r', '90x30'],
      ],
    });
  });

  it.each([
    ['an empty file', '', /empty/],
    ['a partial last line', `${h}[0.5, "o", "a"]`, /partial/],
    ['a non-JSON line', `${h}[0.5, "o", "a"]\nnope\n`, /line 3 is not JSON/],
    ['an empty line', `${h}\n`, /line 2 is not JSON/],
    ['a v1 header', '{"version":1,"width":80,"height":24}\n', /line 1/],
    ['a header without size', '{"version":2}\n', /line 1/],
    ['an event of the wrong shape', `${h}[0.5, "o"]\n`, /line 2 is not an event/],
    ['a negative time', `${h}[-1, "o", "a"]\n`, /line 2 is not an event/],
    ['time going back', `${h}[0.5, "o", "a"]\n[0.4, "o", "b"]\n`, /line 3: time 0.4 goes back/],
  ])('rejects %s', (_label, text, message) => {
    expect(() => parseCast(text)).toThrow(message);
  });
});
