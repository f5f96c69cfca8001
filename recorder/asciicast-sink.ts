/**
 * The recording sink: owns one `.cast` file, its flush timer, fsync and the latched error.
 * Encoding is delegated to the pure encoder; this file only decides when bytes reach the OS.
 *
 * Shape of the pipeline: `onEvent` encodes synchronously into complete lines and appends them
 * to an in-memory queue; a timer (or a full queue) hands the whole queue to the OS in ONE
 * write (a writev of its lines), and only one write is ever in flight. Consequences that
 * must stay true:
 * - Every write starts at a line boundary and carries only complete lines, so a crash (even
 *   `kill -9` in the middle of a write) can leave at most one partial line, at the very end of
 *   the file, which `repairCast()` drops. Writes are never interleaved.
 * - Complete lines are handed to the OS `flushIntervalMs` (≤ 1000) after the first of them was
 *   queued, or as soon as the previous write completes if it is still in flight then, so the
 *   file is readable while live and a crash loses at most about a second.
 * - Memory is bounded by the broker: `backlog()` counts queued plus in-flight bytes, and the
 *   broker stops reading from the target above `highWaterMark` until `whenDrained()`.
 * - Nothing here throws into the broker: errors (mkdir, open, write, fsync, close) are latched
 *   in `failure`, the queue is dropped and later events are ignored. Only `start()` reports its
 *   error (by rejecting, after latching), so the caller can refuse a session whose recording
 *   is mandatory.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SessionEvent } from '../protocol/session-events';
import { createAsciicastEncoder } from './asciicast-encoder';
import type { RecordingArtifact, RecordingHeader, RecordingSink } from './types';

export interface AsciicastSinkOptions {
  /** Where the `.cast` file goes; parent directories are created (mode 0750). */
  path: string;
  /** Write `i` events; false drops them before they are encoded. */
  recordInput: boolean;
  /** Longest time a complete line waits in memory; default 250, must be in (0, 1000]. */
  flushIntervalMs?: number;
  /** Backlog (bytes) above which the broker should pause the target; default 1 MiB. */
  highWaterMark?: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 250;
const MAX_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Above this many queued bytes we write now rather than wait for the timer. */
const EARLY_FLUSH_BYTES = 64 * 1024;
const FILE_MODE = 0o640;
const DIR_MODE = 0o750;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Writes all of `bufs` in order with writev, looping over short writes (rare on regular files,
 * but allowed by POSIX), so a line is never left half-written while the sink believes it is done.
 */
async function writeFully(fh: FileHandle, bufs: Buffer[], onProgress: (n: number) => void): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    onProgress(bytesWritten);
    rest = dropBytes(rest, bytesWritten);
  }
}

/** What is left of `bufs` after their first `n` bytes. */
function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

/**
 * Creates a sink for one recording. The file is created at `start()` with flag 'wx': an
 * existing file is never overwritten (recordings are evidence; a name collision is a bug and
 * surfaces as a failed start rather than a silently replaced recording).
 *
 * Throws RangeError for invalid options (a configuration bug, caught at session setup).
 */
export function createAsciicastSink(opts: AsciicastSinkOptions): RecordingSink {
  const flushIntervalMs = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const highWaterMark = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (!(flushIntervalMs > 0 && flushIntervalMs <= MAX_FLUSH_INTERVAL_MS)) {
    throw new RangeError(`flushIntervalMs must be in (0, ${MAX_FLUSH_INTERVAL_MS}], got ${flushIntervalMs}`);
  }
  if (!(highWaterMark > 0)) throw new RangeError(`highWaterMark must be > 0, got ${highWaterMark}`);
  const lowWaterMark = highWaterMark / 4;

  const encoder = createAsciicastEncoder();

  let fh: FileHandle | null = null;
  // Each line is turned into bytes as it is queued. Joining the lines into one string at flush
  // made a string of up to 1 MiB whenever a write was slow, born in V8's old generation, and
  // those pushed full collections (and event-loop stalls) under load; see bench/RESULTS.md.
  let queue: Buffer[] = [];
  let queuedBytes = 0;
  let inFlightBytes = 0;
  /** Settles (never rejects) when the write in flight is done; null when none is. */
  let inFlight: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The timer fired while a write was in flight: flush again as soon as it completes. */
  let flushOwed = false;
  let failure: Error | null = null;
  let startPromise: Promise<void> | null = null;
  let closePromise: Promise<void> | null = null;
  let closing = false;
  let bytesWritten = 0;
  let lastT = 0;
  let drainWaiters: Array<() => void> = [];

  const backlog = (): number => queuedBytes + inFlightBytes;

  function notifyDrained(): void {
    if (drainWaiters.length === 0) return;
    if (failure === null && closePromise === null && backlog() >= lowWaterMark) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function clearTimer(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  /** Closes the file without waiting; used once a failure makes the file useless. */
  function releaseFile(): void {
    const handle = fh;
    fh = null;
    handle?.close().catch(() => undefined);
  }

  function latch(err: unknown): void {
    if (failure !== null) return;
    failure = asError(err);
    queue = [];
    queuedBytes = 0;
    clearTimer();
    // A write in flight still owns the handle; its completion releases it.
    if (inFlight === null) releaseFile();
    notifyDrained();
  }

  function enqueue(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    queue.push(buf);
    queuedBytes += buf.length;
  }

  /** Arms the flush timer (or flushes now when the queue is large); no-op before the file is open. */
  function schedule(): void {
    if (failure !== null || fh === null || queuedBytes === 0) return;
    if (queuedBytes >= EARLY_FLUSH_BYTES) {
      flush();
      return;
    }
    if (timer === null) {
      timer = setTimeout(onTimer, flushIntervalMs);
      // A recording must not keep a process alive; close() flushes without the timer.
      timer.unref?.();
    }
  }

  function onTimer(): void {
    timer = null;
    if (inFlight !== null) flushOwed = true;
    else flush();
  }

  /** Hands the whole queue to the OS in one write, unless a write is already in flight. */
  function flush(): void {
    if (inFlight !== null || failure !== null || fh === null || queuedBytes === 0) return;
    clearTimer();
    flushOwed = false;
    const handle = fh;
    const bufs = queue;
    queue = [];
    inFlightBytes = queuedBytes;
    queuedBytes = 0;
    inFlight = writeFully(handle, bufs, (n) => {
      bytesWritten += n;
    }).then(
      () => afterWrite(null),
      (err: unknown) => afterWrite(err),
    );
  }

  function afterWrite(err: unknown): void {
    inFlight = null;
    inFlightBytes = 0;
    if (err !== null) latch(err);
    if (failure !== null) {
      releaseFile();
      notifyDrained();
      return;
    }
    if (flushOwed || queuedBytes >= EARLY_FLUSH_BYTES) flush();
    else schedule();
    notifyDrained();
  }

  async function openFile(header: RecordingHeader): Promise<void> {
    // The header goes in front of anything queued before start() was called, so it is
    // always the first line; events arriving while the file opens queue behind it.
    const headerLine = encoder.header(header);
    const headerBuf = Buffer.from(headerLine, 'utf8');
    queue.unshift(headerBuf);
    queuedBytes += headerBuf.length;
    try {
      await mkdir(dirname(opts.path), { recursive: true, mode: DIR_MODE });
      const handle = await open(opts.path, 'wx', FILE_MODE);
      if (failure !== null) {
        await handle.close();
        return;
      }
      fh = handle;
      // open()'s mode is filtered by the umask; chmod makes 0640 exact.
      await handle.chmod(FILE_MODE);
      flush();
      // Resolve only once the header (and whatever queued with it) has reached the OS, so a
      // caller that awaited start() can rely on a valid file existing.
      while (inFlight !== null) await inFlight;
    } catch (err) {
      latch(err);
    }
    if (failure !== null) throw failure;
  }

  async function finish(): Promise<void> {
    closing = true;
    if (startPromise !== null) await startPromise.catch(() => undefined);
    if (failure === null && fh !== null) {
      for (const text of encoder.end(lastT)) enqueue(text);
      clearTimer();
      while (failure === null && (inFlight !== null || queuedBytes > 0)) {
        if (inFlight === null) flush();
        if (inFlight !== null) await inFlight;
      }
      if (failure === null && fh !== null) {
        try {
          await fh.sync();
        } catch (err) {
          latch(err);
        }
      }
    }
    clearTimer();
    const handle = fh;
    fh = null;
    if (handle !== null) {
      try {
        await handle.close();
      } catch (err) {
        latch(err);
      }
    }
    queue = [];
    queuedBytes = 0;
    notifyDrained();
  }

  return {
    name: 'recording',

    get failure(): Error | null {
      return failure;
    },

    start(header: RecordingHeader): Promise<void> {
      // Called once per session; a second call returns the first outcome instead of writing
      // a second header.
      startPromise ??= openFile(header);
      return startPromise;
    },

    onEvent(e: SessionEvent): void {
      if (failure !== null || closing) return;
      try {
        // Duration is the time of the last event seen, whether or not it is written (an `x`
        // or a dropped `i` still marks time passing in the session).
        if (e.t > lastT) lastT = e.t;
        if (e.kind === 'i' && !opts.recordInput) return;
        const text = encoder.event(e);
        if (text === null) return;
        enqueue(text);
        schedule();
      } catch (err) {
        latch(err);
      }
    },

    backlog,

    whenDrained(): Promise<void> {
      if (failure !== null || closePromise !== null || backlog() < lowWaterMark) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },

    close(): Promise<void> {
      closePromise ??= finish();
      return closePromise;
    },

    artifact(): RecordingArtifact {
      return { path: opts.path, bytes: bytesWritten, durationSeconds: lastT };
    },
  };
}
