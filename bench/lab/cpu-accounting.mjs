// Where the CPU goes, for bench/command-log.mjs (Linux /proc): per thread of this process
// (schedstat: ns on a CPU and ns waiting for one), the shell's process, and the whole machine
// (/proc/stat, with the hypervisor's steal), so a stall can be told apart: the event loop busy
// with our work, runnable but waiting for a core, or neither.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

// libuv's threadpool (sqlite3 statements, fs writes) is started at its first use, after V8's
// platform threads, so its UV_THREADPOOL_SIZE threads have the highest thread ids of the process
// at that point. They are taken once the store is open, before any pty is spawned (node-pty
// starts a thread per child to wait for it).
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;
let poolSet = null;
export const poolTids = () => (poolSet ??= new Set(readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b).slice(-POOL_SIZE).map(String)));
const schedstat = (path) => {
  try {
    const [run, wait] = readFileSync(path, 'utf8').split(' ').map(Number);
    return { run, wait };
  } catch {
    return { run: 0, wait: 0 };
  }
};
export const mainSched = () => schedstat('/proc/thread-self/schedstat');
const TICK_NS = 1e9 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
function procCpuNs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_NS; // incl. waited-for children
  } catch {
    return NaN;
  }
}
export function cpuSnapshot(extraPids = []) {
  const groups = { main: { run: 0, wait: 0 }, pool: { run: 0, wait: 0 }, v8: { run: 0, wait: 0 } };
  const self = String(process.pid);
  const pool = poolTids();
  for (const tid of readdirSync('/proc/self/task')) {
    const s = schedstat(`/proc/self/task/${tid}/schedstat`);
    const g = tid === self ? groups.main : pool.has(tid) ? groups.pool : groups.v8;
    g.run += s.run;
    g.wait += s.wait;
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] + (cpu[4] ?? 0)) * TICK_NS;
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0) * TICK_NS;
  const extra = extraPids.reduce((s, pid) => s + (procCpuNs(pid) || 0), 0);
  // steal: time the hypervisor ran something else on our vCPUs (counted as busy here).
  return { t: performance.now(), groups, busy: total - idle, steal: (cpu[7] ?? 0) * TICK_NS, extra };
}
/** Cores used over the interval by: main thread, threadpool, V8 helpers, shell, others; and run-queue waits. */
export function cpuDelta(a, b) {
  const wallNs = (b.t - a.t) * 1e6;
  const c = (x) => x / wallNs;
  const ours = ['main', 'pool', 'v8'].reduce((s, k) => s + b.groups[k].run - a.groups[k].run, 0);
  return {
    main: c(b.groups.main.run - a.groups.main.run),
    mainWait: c(b.groups.main.wait - a.groups.main.wait),
    pool: c(b.groups.pool.run - a.groups.pool.run),
    poolWait: c(b.groups.pool.wait - a.groups.pool.wait),
    v8: c(b.groups.v8.run - a.groups.v8.run),
    shell: c(b.extra - a.extra),
    machine: c(b.busy - a.busy),
    steal: c(b.steal - a.steal),
    others: c(b.busy - a.busy - ours - (b.extra - a.extra) - (b.steal - a.steal)),
  };
}
export const fCores = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
