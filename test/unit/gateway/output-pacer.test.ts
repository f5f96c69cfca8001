/**
 * The output pacer, and a LiveConnection that consults it: bulk output waits while the pacer is
 * engaged (the writer is behind and the loop busy), interactive output never does. The loop's
 * utilization comes from a stand-in counter the test sets, so "busy" is what the test says.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutputPacer, type OutputPacer } from '../../../gateway/output-pacer';
import { LiveConnection } from '../../../gateway/live-connection';
import type { Permit } from '../../../protocol/permit';
import { FakeClient, fakeChannel } from '../../helpers/live-connection-stand-ins';

/** A utilization counter that accumulates wall time as busy at `busy` (0–1). */
function loopAt(busy: number) {
  const state = { busy, active: 0, idle: 0, at: performance.now() };
  const cumulative = (): EventLoopUtilization => {
    const now = performance.now();
    state.active += (now - state.at) * state.busy;
    state.idle += (now - state.at) * (1 - state.busy);
    state.at = now;
    return { active: state.active, idle: state.idle, utilization: 0 };
  };
  const elu = (a?: EventLoopUtilization, b?: EventLoopUtilization): EventLoopUtilization => {
    if (!a) return cumulative();
    const active = a.active - b!.active;
    const idle = a.idle - b!.idle;
    return { active, idle, utilization: active / (active + idle) };
  };
  return { state, elu };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('output pacer', () => {
  let pacer: OutputPacer | null = null;
  afterEach(() => {
    pacer?.close();
    pacer = null;
  });

  it('engages only while there is pressure and the loop is busier than the mark', async () => {
    const loop = loopAt(0.9);
    let pressure = false;
    pacer = createOutputPacer({ maxBusy: 0.6, pressure: () => pressure, elu: loop.elu });
    await sleep(30);
    expect(pacer.engaged()).toBe(false); // busy, but the writer keeps up
    pressure = true;
    expect(pacer.engaged()).toBe(true);
    loop.state.busy = 0.3;
    await sleep(150); // the window (5 samples of 20 ms) forgets the busy part
    expect(pacer.engaged()).toBe(false);
  });

  it('holds bulk output above the ceiling even without pressure', async () => {
    const loop = loopAt(0.97);
    pacer = createOutputPacer({ maxBusy: 0.6, ceiling: 0.9, pressure: () => false, elu: loop.elu });
    await sleep(30);
    expect(pacer.engaged()).toBe(true);
    loop.state.busy = 0.8; // above maxBusy, under the ceiling: no pressure, so no pacing
    await sleep(150);
    expect(pacer.engaged()).toBe(false);
  });

  it('releases waiters when the loop calms down, and at close', async () => {
    const loop = loopAt(0.95);
    pacer = createOutputPacer({ maxBusy: 0.6, pressure: () => true, elu: loop.elu });
    await sleep(30);
    expect(pacer.engaged()).toBe(true);
    let released = false;
    const waiting = pacer.whenReleased().then(() => (released = true));
    await sleep(100);
    expect(released).toBe(false);
    loop.state.busy = 0.1;
    await waiting;
    expect(pacer.engaged()).toBe(false);

    loop.state.busy = 0.95;
    await sleep(150);
    expect(pacer.engaged()).toBe(true);
    const atClose = pacer.whenReleased();
    pacer.close();
    await atClose; // settles although the loop is still busy
    expect(pacer.engaged()).toBe(false);
  });
});

describe('a live connection with an output pacer', () => {
  let conn: LiveConnection | null = null;
  let pacer: OutputPacer | null = null;
  afterEach(async () => {
    conn?.close('test over', 'test');
    await conn?.closed;
    conn = null;
    pacer?.close();
    pacer = null;
  });

  async function open(p: OutputPacer) {
    const { channel, output } = fakeChannel();
    conn = new LiveConnection(
      {
        id: 'c1',
        permit: {} as Permit,
        target: { id: 't1', name: 'web-1', kind: 'local' },
        request: { kind: 'exec', targetUser: 'root', command: 'cat big' },
      },
      { openTaps: async () => [], onState: () => undefined, log: () => undefined, pacer: p },
      async () => channel,
      60_000,
    );
    const client = new FakeClient('c');
    await conn.attach(client, 'alice');
    const received = () => client.out.reduce((n, b) => n + b.length, 0);
    return { channel, output, received };
  }

  it('pauses a bulk stream while engaged and delivers all of it once released', async () => {
    const loop = loopAt(0.9);
    let pressure = true;
    pacer = createOutputPacer({ maxBusy: 0.6, pressure: () => pressure, elu: loop.elu });
    await sleep(30);
    const { channel, output, received } = await open(pacer);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    for (let i = 0; i < 32; i++) output(chunk); // 512 KiB at once
    await sleep(100);
    expect(channel.io.isPaused()).toBe(true);
    expect(received()).toBeLessThan(512 * 1024);
    expect(received()).toBeGreaterThan(64 * 1024); // paused only once it was bulk
    pressure = false;
    await sleep(100);
    expect(channel.io.isPaused()).toBe(false);
    expect(received()).toBe(512 * 1024);
  });

  it('never pauses a connection that writes a little now and then', async () => {
    const loop = loopAt(0.95);
    pacer = createOutputPacer({ maxBusy: 0.6, pressure: () => true, elu: loop.elu });
    await sleep(30);
    expect(pacer.engaged()).toBe(true);
    const { channel, output, received } = await open(pacer);
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      const line = Buffer.from(`line ${i}: some output of a command\r\n`);
      sent += line.length;
      output(line);
      await sleep(5);
      expect(channel.io.isPaused()).toBe(false);
    }
    expect(received()).toBe(sent);
  });
});
