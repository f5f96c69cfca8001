import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../../protocol/session-events';
import { createAsciicastSink } from '../../../recorder/asciicast-sink';
import { parseCast } from '../../../recorder/cast-repair';
import { createDiscardSink } from '../../../recorder/discard-sink';
import type { RecordingHeader, RecordingSink } from '../../../recorder/types';
import { encodeCase, goldenCases } from './golden-sequences';

// Captured before any test fakes timers: polling and deadlines must use real time.
const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function withDeadline<T>(what: string, p: Promise<T>, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const header: RecordingHeader = {
  width: 80,
  height: 24,
  timestamp: 1_700_000_000,
  env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
  title: 'alice@web-1 by alice@example.com',
};
const o = (t: number, s: string): SessionEvent => ({ kind: 'o', t, data: new TextEncoder().encode(s) });
const caseByName = (name: string) => goldenCases.find((c) => c.name === name)!;

/** The fd this process holds open on `path`, found through /proc (Linux). */
function fdOf(path: string): number | undefined {
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === path) return Number(name);
    } catch {
      // fds come and go (readdir's own fd); ignore
    }
  }
  return undefined;
}

/** FileHandle's prototype (the class is not exported), so tests can observe the sink's I/O. */
async function fileHandleProto(): Promise<{
  writev: (...args: any[]) => Promise<{ bytesWritten: number }>;
  sync: () => Promise<void>;
}> {
  const probe = await open(join(dir, 'probe'), 'w');
  await probe.close();
  return Object.getPrototypeOf(probe) as Awaited<ReturnType<typeof fileHandleProto>>;
}

let dir: string;
let sinks: RecordingSink[] = [];
function track(s: RecordingSink): RecordingSink {
  sinks.push(s);
  return s;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-sink-'));
  sinks = [];
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(sinks.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('createAsciicastSink', () => {
  it('writes the header then the events: the same bytes as the encoder (golden file)', async () => {
    const c = caseByName('input-events');
    const path = join(dir, '2025', '01', 'conn-1.cast');
    const sink = track(createAsciicastSink({ path, recordInput: true }));
    expect(sink.name).toBe('recording');
    await sink.start(c.header);
    for (const e of c.events) sink.onEvent(e);
    await sink.close();
    const written = await readFile(path);
    expect(written.toString('utf8')).toBe(encodeCase(c));
    expect(written.equals(await readFile(new URL('../../fixtures/casts/input-events.cast', import.meta.url)))).toBe(true);
  });

  it('creates parent directories and the file with mode 0640', async () => {
    const path = join(dir, 'a', 'b', 'c.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false }));
    const oldUmask = process.umask(0o077);
    try {
      await sink.start(header);
    } finally {
      process.umask(oldUmask);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect((await stat(join(dir, 'a', 'b'))).isDirectory()).toBe(true);
  });

  it('drops i events when recordInput is false', async () => {
    const c = caseByName('input-events');
    const path = join(dir, 'no-input.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false }));
    await sink.start(c.header);
    for (const e of c.events) sink.onEvent(e);
    await sink.close();
    const text = await readFile(path, 'utf8');
    expect(parseCast(text).events.map((e) => e[1])).not.toContain('i');
    expect(text).toBe(encodeCase({ ...c, events: c.events.filter((e) => e.kind !== 'i') }));
    // Duration still counts the dropped input events' time.
    expect(sink.artifact().durationSeconds).toBe(2);
  });

  it('queues events that arrive before start() resolves after the header, in order', async () => {
    const path = join(dir, 'early.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false }));
    sink.onEvent(o(0.1, 'before start '));
    const started = sink.start(header);
    sink.onEvent(o(0.2, 'while opening '));
    expect(sink.backlog()).toBeGreaterThan(0);
    await started;
    sink.onEvent(o(0.3, 'after'));
    await sink.close();
    const { events } = parseCast(await readFile(path, 'utf8'));
    expect(events).toEqual([
      [0.1, 'o', 'before start '],
      [0.2, 'o', 'while opening '],
      [0.3, 'o', 'after'],
    ]);
  });

  it('flushes complete lines within flushIntervalMs, without close, readable while live', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'live.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false, flushIntervalMs: 200 }));
    await sink.start(header);
    const headerOnly = await readFile(path, 'utf8');
    expect(headerOnly.split('\n')).toHaveLength(2);

    sink.onEvent(o(0.5, 'héllo\r\n'));
    sink.onEvent(o(0.6, '\x1b[1mbold\x1b[0m'));
    vi.advanceTimersByTime(199);
    await sleep(50); // real time: a write started now would have landed
    expect(await readFile(path, 'utf8')).toBe(headerOnly);

    vi.advanceTimersByTime(1);
    await waitFor('the flushed lines', async () => (await readFile(path, 'utf8')).split('\n').length === 4);
    const live = parseCast(await readFile(path, 'utf8')); // every line complete while the sink is open
    expect(live.events).toEqual([
      [0.5, 'o', 'héllo\r\n'],
      [0.6, 'o', '\x1b[1mbold\x1b[0m'],
    ]);
    expect(sink.backlog()).toBe(0);
    expect(sink.artifact().bytes).toBe((await stat(path)).size);

    // The timer re-arms for the next line.
    sink.onEvent(o(0.7, 'again'));
    vi.advanceTimersByTime(200);
    await waitFor('the second flush', async () => (await readFile(path, 'utf8')).includes('again'));
  });

  it('defaults to a 250 ms flush interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'default.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false }));
    await sink.start(header);
    sink.onEvent(o(1, 'x'));
    vi.advanceTimersByTime(249);
    await sleep(50);
    expect(await readFile(path, 'utf8')).not.toContain('"x"');
    vi.advanceTimersByTime(1);
    await waitFor('the flush at 250 ms', async () => (await readFile(path, 'utf8')).includes('"x"'));
  });

  it('writes early, without the timer, once more than 64 KiB is queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'early-flush.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false, highWaterMark: 512 * 1024 }));
    await sink.start(header);
    for (let k = 0; k < 70; k++) sink.onEvent(o(k / 10, 'y'.repeat(1024)));
    await waitFor('the early write', async () => (await stat(path)).size > 64 * 1024);
  });

  it('keeps a burst spanning many writes complete and in order', async () => {
    const path = join(dir, 'burst.cast');
    const sink = track(createAsciicastSink({ path, recordInput: true, flushIntervalMs: 1 }));
    const events: SessionEvent[] = [];
    for (let k = 0; k < 3000; k++) {
      const data = new TextEncoder().encode(`${k}: ${'é😀'.repeat(k % 97)}\r\n`);
      const cut = (k * 5) % (data.length + 1);
      events.push({ kind: 'o', t: k / 100, data: data.subarray(0, cut) }, { kind: 'o', t: k / 100, data: data.subarray(cut) });
      if (k % 7 === 0) events.push({ kind: 'i', t: k / 100, data: new TextEncoder().encode(`${k}\r`) });
    }
    // Count writes in flight on any FileHandle: the sink must never have two at once.
    const proto = await fileHandleProto();
    const realWrite = proto.writev;
    let inFlight = 0;
    let maxInFlight = 0;
    let writes = 0;
    const spy = vi.spyOn(proto, 'writev').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      writes++;
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await realWrite.apply(this, args);
      } finally {
        inFlight--;
      }
    });
    try {
      await sink.start(header);
      for (const [k, e] of events.entries()) {
        sink.onEvent(e);
        if (k % 500 === 0) await sleep(1); // let some writes complete mid-burst
      }
      await sink.close();
    } finally {
      spy.mockRestore();
    }
    expect(writes).toBeGreaterThan(5);
    expect(maxInFlight).toBe(1);
    expect(await readFile(path, 'utf8')).toBe(encodeCase({ name: 'burst', header, events }));
  });

  it('finishes every line when the OS takes only a few bytes per write', async () => {
    const path = join(dir, 'short.cast');
    const sink = track(createAsciicastSink({ path, recordInput: true, flushIntervalMs: 1 }));
    const events: SessionEvent[] = [];
    for (let k = 0; k < 40; k++) events.push({ kind: 'o', t: k / 10, data: new TextEncoder().encode(`line ${k} é😀\r\n`) });
    // A writev that takes at most 7 bytes, cutting lines and even characters apart.
    const proto = await fileHandleProto();
    const realWritev = proto.writev;
    let calls = 0;
    const spy = vi.spyOn(proto, 'writev').mockImplementation(async function (this: unknown, bufs: Buffer[]) {
      calls++;
      return realWritev.apply(this, [[Buffer.concat(bufs).subarray(0, 7)]]);
    });
    try {
      await sink.start(header);
      for (const e of events) sink.onEvent(e);
      await sink.close();
    } finally {
      spy.mockRestore();
    }
    const expected = encodeCase({ name: 'short', header, events });
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(expected) / 7));
    expect(await readFile(path, 'utf8')).toBe(expected);
    expect(sink.artifact().bytes).toBe(Buffer.byteLength(expected));
  });

  it('reports backlog and resolves whenDrained below a quarter of the high-water mark', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(dir, 'backlog.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false, highWaterMark: 4000, flushIntervalMs: 100 }));
    await sink.start(header);
    expect(sink.backlog()).toBe(0);
    await withDeadline('whenDrained on an empty sink', sink.whenDrained());

    for (let k = 0; k < 10; k++) sink.onEvent(o(k, 'z'.repeat(500)));
    const lineBytes = Buffer.byteLength(`[0.0, "o", "${'z'.repeat(500)}"]\n`);
    expect(sink.backlog()).toBe(10 * lineBytes);

    let drained = false;
    const waiting = sink.whenDrained().then(() => {
      drained = true;
    });
    await sleep(20);
    expect(drained).toBe(false); // nothing can drain before the flush timer fires

    vi.advanceTimersByTime(100);
    await withDeadline('whenDrained after the flush', waiting);
    expect(sink.backlog()).toBeLessThan(1000);
  });

  it('close() is idempotent: end lines once, fsynced, fd closed, later events ignored', async () => {
    const path = join(dir, 'close.cast');
    const sink = track(createAsciicastSink({ path, recordInput: true }));
    await sink.start(header);
    expect(fdOf(path)).toBeDefined();
    sink.onEvent(o(1, 'done'));
    sink.onEvent({ kind: 'o', t: 2, data: Uint8Array.of(0xe2, 0x82) }); // incomplete €
    sink.onEvent({ kind: 'x', t: 2.5, code: 0 });
    const syncSpy = vi.spyOn(await fileHandleProto(), 'sync');
    try {
      const first = sink.close();
      expect(sink.close()).toBe(first);
      await first;
      await sink.close();
      expect(syncSpy).toHaveBeenCalledTimes(1);
    } finally {
      syncSpy.mockRestore();
    }
    sink.onEvent(o(3, 'after close'));
    expect(fdOf(path)).toBeUndefined();
    const text = await readFile(path, 'utf8');
    expect(parseCast(text).events).toEqual([
      [1, 'o', 'done'],
      [2.5, 'o', '\uFFFD'],
    ]);
    expect(sink.artifact()).toEqual({ path, bytes: Buffer.byteLength(text), durationSeconds: 2.5 });
    expect(sink.failure).toBeNull();
    expect(sink.backlog()).toBe(0);
  });

  it('close() before start() writes nothing and resolves', async () => {
    const sink = track(createAsciicastSink({ path: join(dir, 'never.cast'), recordInput: false }));
    sink.onEvent(o(1, 'lost'));
    await sink.close();
    await expect(stat(join(dir, 'never.cast'))).rejects.toThrow(/ENOENT/);
  });

  it('latches an mkdir failure: start rejects, events are ignored, nothing throws', async () => {
    await writeFile(join(dir, 'plain-file'), 'not a directory');
    const sink = track(createAsciicastSink({ path: join(dir, 'plain-file', 'sub', 'x.cast'), recordInput: false }));
    sink.onEvent(o(0.1, 'queued before start'));
    await expect(sink.start(header)).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(sink.failure).toBeInstanceOf(Error);
    expect(() => sink.onEvent(o(1, 'ignored'))).not.toThrow();
    expect(sink.backlog()).toBe(0);
    await withDeadline('whenDrained on a failed sink', sink.whenDrained());
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('never overwrites an existing recording', async () => {
    const path = join(dir, 'exists.cast');
    await writeFile(path, 'evidence\n');
    const sink = track(createAsciicastSink({ path, recordInput: false }));
    await expect(sink.start(header)).rejects.toThrow(/EEXIST/);
    expect(await readFile(path, 'utf8')).toBe('evidence\n');
  });

  it('latches a write error mid-session (disk full) without throwing into the caller', async () => {
    const path = join(dir, 'full.cast');
    const sink = track(createAsciicastSink({ path, recordInput: false, highWaterMark: 1000 }));
    await sink.start(header);
    // Swap the sink's fd for /dev/full (like dup2): POSIX hands out the lowest free fd, so
    // opening /dev/full right after closing ours gets the same number (lower free fds are
    // filled first and released again). Every later write fails with ENOSPC.
    const fd = fdOf(path);
    expect(fd).toBeDefined();
    closeSync(fd!);
    const spare: number[] = [];
    for (let got = openSync('/dev/full', 'w'); got !== fd; got = openSync('/dev/full', 'w')) {
      spare.push(got);
      if (spare.length > 1000) throw new Error('could not reuse the fd');
    }
    for (const s of spare) closeSync(s);

    sink.onEvent(o(1, 'x'.repeat(2000)));
    const draining = sink.whenDrained();
    expect(() => sink.close()).not.toThrow();
    await withDeadline('close after a write error', sink.close());
    await withDeadline('whenDrained after a write error', draining);
    expect(sink.failure).toMatchObject({ code: 'ENOSPC' });
    expect(() => sink.onEvent(o(2, 'ignored'))).not.toThrow();
    expect(sink.backlog()).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(`${JSON.stringify({ version: 2, ...pick(header) })}\n`);
  });

  it('rejects invalid options', () => {
    expect(() => createAsciicastSink({ path: join(dir, 'x'), recordInput: false, flushIntervalMs: 1001 })).toThrow(RangeError);
    expect(() => createAsciicastSink({ path: join(dir, 'x'), recordInput: false, flushIntervalMs: 0 })).toThrow(RangeError);
    expect(() => createAsciicastSink({ path: join(dir, 'x'), recordInput: false, highWaterMark: 0 })).toThrow(RangeError);
    expect(() => createAsciicastSink({ path: join(dir, 'x'), recordInput: false, flushIntervalMs: 1000 })).not.toThrow();
  });
});

function pick(h: RecordingHeader): object {
  return { width: h.width, height: h.height, timestamp: h.timestamp, env: h.env, title: h.title };
}

describe('createDiscardSink', () => {
  it('accepts everything, buffers nothing, never fails, writes nowhere', async () => {
    const sink = createDiscardSink();
    await sink.start(header);
    sink.onEvent(o(1.5, 'secret'));
    sink.onEvent({ kind: 'x', t: 2, code: 0 });
    expect(sink.backlog()).toBe(0);
    expect(sink.failure).toBeNull();
    await withDeadline('discard whenDrained', sink.whenDrained());
    await sink.close();
    await sink.close();
    expect(sink.artifact()).toEqual({ path: '', bytes: 0, durationSeconds: 2 });
  });
});

