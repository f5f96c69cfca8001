// Process and /proc helpers for the bench lab: teardown registry, spawning with a captured
// tail of output, free ports, and reading memory/CPU of a PID. Plain Node ESM, no deps.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// Teardown: every lab step registers how to undo itself; run in reverse order, once, also on
// SIGINT/SIGTERM and uncaught errors.

const undo = [];
let tornDown = false;

export function onTeardown(label, fn) {
  undo.push({ label, fn });
}

export async function teardown() {
  if (tornDown) return;
  tornDown = true;
  while (undo.length) {
    const { label, fn } = undo.pop();
    try {
      await fn();
    } catch (e) {
      process.stderr.write(`bench: teardown ${label}: ${e.message}\n`);
    }
  }
}

export function installSignalTeardown() {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\nbench: ${sig}: tearing the lab down…\n`);
      void teardown().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command to its end; throws with its stderr on a non-zero exit. */
export function run(file, args, opts = {}) {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Like run() but returns {code, stdout, stderr} instead of throwing. */
export function tryRun(file, args, opts = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error.message) : '') };
}

/**
 * Starts a long-running process in its own process group, keeps the last lines of its output
 * (so its pipes never fill), and registers a teardown that ends it (the whole group).
 */
export function startDaemon(label, file, args, opts = {}) {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  const lines = [];
  const waiters = [];
  const feed = (stream, name) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        lines.push(`${name}: ${line}`);
        if (lines.length > 200) lines.shift();
        for (const w of [...waiters]) {
          const m = w.re.exec(line);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    });
  };
  feed(child.stdout, 'out');
  feed(child.stderr, 'err');
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  child.once('error', () => undefined);
  let stopped = false;
  const stop = async (sig = 'SIGTERM') => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child.pid, sig);
    const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  onTeardown(label, () => stop());
  return {
    child,
    pid: child.pid,
    lines,
    exited,
    stop,
    /** Resolves with the match of the first output line matching `re`; rejects on exit or timeout. */
    waitFor(re, timeoutMs = 20_000) {
      for (const l of lines) {
        const m = re.exec(l.replace(/^(out|err): /, ''));
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const w = { re, resolve: (m) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${label}: no line matching ${re} within ${timeoutMs} ms\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        waiters.push(w);
        void exited.then(({ code, signal }) => {
          if (!waiters.includes(w)) return;
          waiters.splice(waiters.indexOf(w), 1);
          clearTimeout(timer);
          reject(new Error(`${label} exited (code ${code}, signal ${signal}) before printing ${re}\n${lines.slice(-20).join('\n')}`));
        });
      });
    },
  };
}

export function killGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

/** {rssKiB, hwmKiB} of a PID, or null when it is gone. */
export function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
  } catch {
    return null;
  }
}

const TICKS = Number(tryRun('getconf', ['CLK_TCK']).stdout.trim()) || 100;

/** utime+stime of a PID in seconds, or null when it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS; // fields 14 and 15 of stat(5)
  } catch {
    return null;
  }
}

/** PIDs whose parent is `ppid`, with their command lines. */
export function childrenOf(ppid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) !== ppid) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(d), cmd });
    } catch {
      // raced with its exit
    }
  }
  return out;
}

/** PIDs of live (non-zombie) processes owned by `uid`. */
export function processesOfUid(uid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/status`, 'utf8');
      const u = /^Uid:\s+(\d+)/m.exec(s)?.[1];
      const state = /^State:\s+(\S)/m.exec(s)?.[1];
      if (Number(u) === uid && state !== 'Z') out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

export function loadAvg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}
