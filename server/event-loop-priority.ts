/**
 * The event loop's CPU priority. Every keystroke, every output chunk and every re-attach of every
 * session passes through the one event loop, so its latency is the service's latency. On a busy
 * bastion it shares the cores with work that can wait: the command and event writers (sqlite3 on
 * libuv's threadpool), searches (a child at SCHED_IDLE), V8's helpers, the local target's shells. With
 * equal priority the kernel makes the loop wait its turn behind them, several 4 ms slices at a
 * time: bench/command-log.mjs measured waits of 11–29 ms, whatever each of them cost.
 *
 * `realtime` puts the loop's thread, and only it, in SCHED_RR at priority 1 with
 * SCHED_RESET_ON_FORK: the kernel runs it as soon as it is runnable, and every thread or process
 * it starts afterwards (libuv's threadpool, where sqlite3 and fs work run; workers; the search
 * child, agents, shells) begins at normal priority, as do the threads started before it (V8's
 * helpers). Giving V8's helpers the loop's priority too was tried (a GC pause waits for them):
 * threads at the same real-time priority take turns in 100 ms slices, and any libuv thread
 * already started then shares the loop's priority (bench/RESULTS.md: stalls of 40–95 ms).
 *
 * What must stay true, and the limits:
 * - A loop that never yields would hold its core. The kernel keeps 5 % of every second for
 *   normal tasks (sched_rt_runtime_us); the output pacer (createLoopPacer below) keeps the loop
 *   under `event_loop.max_busy` while the command writer is behind, and under REALTIME_CEILING
 *   always. On one CPU the loop stays at normal priority, where a runaway loop would leave
 *   nothing else a core.
 * - It needs root or CAP_SYS_NICE (or RLIMIT_RTPRIO ≥ 1). Without them, or without `chrt`
 *   (util-linux, like `setpriv`), the service runs at normal priority and says why; it never
 *   fails to start over this.
 * - Processes at normal priority on the same host wait longer while the loop is busy (measured:
 *   an idle probe process up to 33–89 ms late with the machine saturated, 5–8 ms before).
 *
 * Node has no call for sched_setscheduler, so `chrt --pid` does it for us. On Linux it acts on the
 * thread whose id is the pid: the main thread, which runs the event loop. server/main.ts calls it
 * first thing, so the threads and processes the services start begin at normal priority.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createOutputPacer, type OutputPacer } from '../gateway/output-pacer';

export type EventLoopPriority = 'realtime' | 'normal';

/**
 * At real-time priority the loop's utilization never stays above this: bulk output waits above
 * it (gateway/output-pacer.ts), so the kernel's limit for real-time threads (95 % of each second,
 * sched_rt_runtime_us) never stops the loop. Measured (bench/RESULTS.md): at 0.95 a flooding shell
 * kept the loop's thread at 0.83 of a core and no stop came; 0.9 cost bulk output a third of its
 * throughput for nothing.
 */
export const REALTIME_CEILING = 0.95;

/**
 * The output pacer for a loop at `priority`: bulk output waits while `behind()` (the command
 * writer) and the loop is busier than `maxBusy`, and at real-time priority whenever it is over
 * REALTIME_CEILING. Null when neither applies (max_busy 1 at normal priority).
 */
export function createLoopPacer(priority: EventLoopPriority, maxBusy: number, behind: () => boolean): OutputPacer | null {
  const ceiling = priority === 'realtime' ? REALTIME_CEILING : 1;
  return maxBusy < 1 || ceiling < 1 ? createOutputPacer({ maxBusy, ceiling, pressure: behind }) : null;
}

export interface PriorityOutcome {
  /** What the loop's thread runs at now. */
  priority: EventLoopPriority;
  /** One line for the service's log. */
  message: string;
}

export function applyEventLoopPriority(wanted: EventLoopPriority, cpus = availableParallelism()): PriorityOutcome {
  if (wanted === 'normal') return { priority: 'normal', message: 'event loop at normal CPU priority (event_loop.priority = normal)' };
  if (process.platform !== 'linux') return { priority: 'normal', message: 'event loop at normal CPU priority (real-time priority is set on Linux only)' };
  if (cpus < 2) return { priority: 'normal', message: 'event loop at normal CPU priority: one CPU, where a real-time loop could starve everything else' };
  const r = spawnSync('chrt', ['--rr', '--reset-on-fork', '--pid', '1', String(process.pid)], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n')[0] ?? `chrt exited ${r.status}`);
    return { priority: 'normal', message: `event loop at normal CPU priority: real-time priority refused (${why}); needs root or CAP_SYS_NICE` };
  }
  return { priority: 'realtime', message: 'event loop at real-time CPU priority (SCHED_RR 1; the threads and processes it starts run at normal priority)' };
}
