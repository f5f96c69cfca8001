// A control for event-loop stall figures: a separate, idle Node process (its own session, so its
// own scheduling group) that runs the same 1 ms monitorEventLoopDelay and a 5 ms stall timer and
// does nothing else. Its timers are as late as the machine makes ANY process's timers: a core not
// free in time, or the virtual CPU not running at all (hypervisor steal). A stall of the bench's
// event loop that the observer saw at the same moment is the machine's, not the loop's own work.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const program = (thresholdMs) => `
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
let h = null, stalls = [], expect = 0, timer = null;
const epoch = () => performance.timeOrigin + performance.now();
const tick = () => {
  const now = epoch();
  if (now - expect > ${thresholdMs}) stalls.push([now - (now - expect) - 5, now]);
  expect = now + 5;
  timer = setTimeout(tick, 5);
};
process.on('message', (m) => {
  if (m === 'start') {
    h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    stalls = [];
    expect = epoch() + 5;
    timer = setTimeout(tick, 5);
  } else if (m === 'stop') {
    h.disable();
    clearTimeout(timer);
    process.send({ max: h.max / 1e6, p99: h.percentile(99) / 1e6, stalls });
  }
});
process.on('disconnect', () => process.exit(0));
process.send('ready');
`;

/**
 * Starts the observer; `start()`/`stop()` bracket a phase, and `stop()` resolves to its loop
 * delay max/p99 (ms) and the intervals [from, to] (epoch ms) in which its 5 ms timer was more
 * than `thresholdMs` late.
 */
export async function startIdleObserver({ thresholdMs = 10 } = {}) {
  const child = spawn(process.execPath, ['-e', program(thresholdMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`idle observer exited with ${code}`)));
  });
  return {
    start: () => child.send('start'),
    stop: () => new Promise((resolve) => (child.once('message', resolve), child.send('stop'))),
    close: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** This process's performance.now() as epoch ms, the observer's time base. */
export const epochOf = (perfNow) => performance.timeOrigin + perfNow;
