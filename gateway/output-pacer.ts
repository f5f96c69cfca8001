/**
 * Paces bulk output while the evidence writers need the CPU.
 *
 * The event loop runs at real-time priority where it may (server/event-loop-priority.ts), so it
 * never waits behind the command and event writers, which run at normal priority on libuv's
 * threadpool. The other side of that: a shell flooding output could keep the loop busy enough
 * that the writers fall behind, and a writer that falls far enough behind drops rows (evidence).
 * So while a writer is behind (`pressure()`), and the loop has been busier than `maxBusy` over
 * the last ~100 ms, connections that are streaming in bulk stop reading output until the loop is
 * under the mark again; interactive connections (a little output now and then) are never paced.
 * Without pressure, a `ceiling` (0.95 at real-time priority) still keeps the loop from taking
 * a whole core: past ~95 % of a second the kernel stops a real-time thread outright, for the
 * rest of that second, to let others run (measured: waits of 30–39 ms once a second while one
 * shell flooded output, where the loop at normal priority had none above 16 ms).
 *
 * Measured with bench/command-log.mjs on 2 cores (a shell flooding output, rows pushed as fast
 * as the writer takes them, searches back to back): the loop at real-time priority without
 * pacing took 0.85 of a core and the writer fell to 12,000–21,000 rows/s; paced at 0.6, the
 * loop took 0.59 and the writer committed 17,000–33,000 (bench/RESULTS.md has the figures).
 *
 * Invariants:
 * - Costs nothing while idle: the loop's utilization is sampled when a connection asks, and by a
 *   timer only while someone waits for release.
 * - `whenReleased()` always settles: on release, or at `close()`.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface OutputPacer {
  /** True while bulk output should wait. */
  engaged(): boolean;
  /** Resolves once `engaged()` is false (checked every sample), or the pacer is closed. */
  whenReleased(): Promise<void>;
  close(): void;
}

export interface OutputPacerOptions {
  /** The loop's utilization (0–1) above which bulk output waits while there is pressure. */
  maxBusy: number;
  /** The utilization above which bulk output always waits; 1 (the default): never. */
  ceiling?: number;
  /** True while work the loop should leave room for is behind (the evidence writers). */
  pressure(): boolean;
  sampleMs?: number;
  /** Samples in the window the utilization is taken over. */
  windowSamples?: number;
  /** The utilization counter; performance.eventLoopUtilization (tests give their own). */
  elu?: (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization;
}

export function createOutputPacer(opts: OutputPacerOptions): OutputPacer {
  const sampleMs = opts.sampleMs ?? 20;
  const windowSamples = opts.windowSamples ?? 5;
  const elu = opts.elu ?? ((a, b) => performance.eventLoopUtilization(a, b));
  const ring: EventLoopUtilization[] = [];
  let last = elu();
  let lastAt = performance.now();
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function sample(force: boolean): void {
    const now = performance.now();
    if (!force && now - lastAt < sampleMs) return;
    const cur = elu();
    ring.push(elu(cur, last));
    if (ring.length > windowSamples) ring.shift();
    last = cur;
    lastAt = now;
  }

  function busy(): number {
    let active = 0;
    let idle = 0;
    for (const s of ring) {
      active += s.active;
      idle += s.idle;
    }
    return active + idle > 0 ? active / (active + idle) : 0;
  }

  const ceiling = opts.ceiling ?? 1;
  function engaged(): boolean {
    if (closed) return false;
    const mark = opts.pressure() ? opts.maxBusy : ceiling;
    if (mark >= 1) return false;
    sample(false);
    return busy() > mark;
  }

  function tick(): void {
    timer = null;
    sample(true);
    if (engaged()) {
      timer = setTimeout(tick, sampleMs);
      return;
    }
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  }

  return {
    engaged,
    whenReleased() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        timer ??= setTimeout(tick, sampleMs);
      });
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    },
  };
}
