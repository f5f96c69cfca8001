/**
 * Finishing recordings cut short by a crash, and the strict reader tests use to check casts.
 *
 * Why repair is needed: the sink only ever writes whole lines, one write at a time, so after a
 * `kill -9` or power loss everything up to the last "\n" is complete, valid lines, and at most
 * the tail is damaged: a partial line (cut mid-write), or garbage such as NUL bytes left by a
 * filesystem that grew the file before the data landed. `asciinema play` and `asciinema cat`
 * stop with an error on such a tail, so on the next start the service calls `repairCast()`
 * on recordings of connections that were still open.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** An asciicast v2 event line: [time in seconds, code, data]. */
export type CastEvent = [number, string, string];

/** An asciicast v2 header; only the fields every player needs are checked. */
export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  [key: string]: unknown;
}

export interface CastRepairResult {
  /** Bytes removed from the end of the file (0 when it was already whole). */
  droppedBytes: number;
  /** Complete lines left in the file, header included (0 when no valid header survived). */
  lines: number;
}

const NL = 0x0a;
const CHUNK = 64 * 1024;
/**
 * A terminated line longer than this is treated as damage rather than loaded into memory.
 * The encoder never writes lines anywhere near this (a line is one pty chunk, escaped).
 */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

export function isCastHeader(v: unknown): v is CastHeader {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const h = v as Record<string, unknown>;
  return h.version === 2 && Number.isInteger(h.width) && Number.isInteger(h.height);
}

export function isCastEvent(v: unknown): v is CastEvent {
  return (
    Array.isArray(v) &&
    v.length === 3 &&
    typeof v[0] === 'number' &&
    Number.isFinite(v[0]) &&
    v[0] >= 0 &&
    typeof v[1] === 'string' &&
    typeof v[2] === 'string'
  );
}

/**
 * Parses a whole cast strictly, throwing an Error naming the first bad line. Stricter than
 * asciinema on purpose, because it checks our own invariants:
 * - every line, the last one included, is terminated by "\n" (no partial line);
 * - every line is JSON; line 1 is a v2 header, every other line is [t, code, data];
 * - times never decrease.
 */
export function parseCast(text: string): { header: CastHeader; events: CastEvent[] } {
  if (text === '') throw new Error('empty cast: no header line');
  if (!text.endsWith('\n')) throw new Error('last line is not terminated by "\\n" (partial line)');
  const lines = text.slice(0, -1).split('\n');
  const parsed = lines.map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (err) {
      throw new Error(`line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  });
  const [header, ...rest] = parsed;
  if (!isCastHeader(header)) throw new Error('line 1 is not an asciicast v2 header');
  let lastT = 0;
  const events = rest.map((e, i) => {
    if (!isCastEvent(e)) throw new Error(`line ${i + 2} is not an event [t, code, data]`);
    if (e[0] < lastT) throw new Error(`line ${i + 2}: time ${e[0]} goes back from ${lastT}`);
    lastT = e[0];
    return e;
  });
  return { header, events };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A line (without its "\n") that players accept: valid UTF-8, JSON, the right shape. */
function isValidLine(bytes: Uint8Array, isFirst: boolean): boolean {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return false;
  }
  return isFirst ? isCastHeader(value) : isCastEvent(value);
}

async function readRange(fh: FileHandle, start: number, end: number): Promise<Buffer> {
  const buf = Buffer.alloc(end - start);
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at ${start + done}`);
    done += bytesRead;
  }
  return buf;
}

/** Offset of the last "\n" before `before`, or -1; reads backwards in bounded chunks. */
async function lastNewlineBefore(fh: FileHandle, before: number): Promise<number> {
  let pos = before;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    const buf = await readRange(fh, pos - len, pos);
    const idx = buf.lastIndexOf(NL);
    if (idx >= 0) return pos - len + idx;
    pos -= len;
  }
  return -1;
}

async function countNewlines(fh: FileHandle, end: number): Promise<number> {
  let count = 0;
  for (let pos = 0; pos < end; pos += CHUNK) {
    const buf = await readRange(fh, pos, Math.min(pos + CHUNK, end));
    for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) count++;
  }
  return count;
}

/**
 * Truncates a recording to the end of its last complete, valid line.
 *
 * Walking back from the end: an unterminated tail is dropped; a terminated line that is not
 * valid UTF-8 JSON of the right shape is dropped too; the first valid line stops the walk.
 * Only the tail is examined: damage in the middle of a file is not something a crash of our
 * writer can produce, and is left for `parseCast` to report.
 *
 * Decisions that must stay true:
 * - Idempotent: a repaired (or never damaged) file is left byte-for-byte untouched and reports
 *   `droppedBytes: 0`.
 * - When not even the header line is whole and valid, the file is truncated to 0 bytes and
 *   `lines: 0` is reported. A partial header holds no playable evidence (its fields are in the
 *   connection row anyway); an empty file is unambiguous for the caller, which may delete it.
 * - The truncation is fsynced before returning, so a second crash cannot resurrect the tail.
 * - Memory stays bounded: the file is scanned in 64 KiB chunks; only lines being validated
 *   are loaded whole (up to MAX_LINE_BYTES).
 *
 * Cost: one backward scan of the damaged tail plus one forward pass counting lines.
 * Rejects only for I/O errors (missing file, permissions).
 */
export async function repairCast(path: string): Promise<CastRepairResult> {
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    let end = size;
    while (end > 0) {
      const nl = await lastNewlineBefore(fh, end);
      if (nl !== end - 1) {
        // Unterminated tail: a write cut short. Drop it without loading it.
        end = nl + 1;
        continue;
      }
      const start = (await lastNewlineBefore(fh, nl)) + 1;
      if (nl - start <= MAX_LINE_BYTES && isValidLine(await readRange(fh, start, nl), start === 0)) break;
      end = start;
    }
    if (end < size) {
      await fh.truncate(end);
      await fh.sync();
    }
    return { droppedBytes: size - end, lines: await countNewlines(fh, end) };
  } finally {
    await fh.close();
  }
}
