#!/usr/bin/env node
// Command log ingest under load (issue 5, "Ingest" acceptance): the store's batched writer must
// commit at least 20,000 command rows/s, and the event loop must never stall above 20 ms, while
// a shell streams output in the same process and full-text (FTS5 trigram) searches over
// 1,000,000 rows run back to back.
//
//   node bench/command-log.mjs [--rows 1000000] [--seconds 10] [--phases shell,search,ingest,ingest+search,full,full,full]
//                              [--producer-batch 250] [--max-lag 20000] [--rate N] [--shell-cmd 'base64 /dev/urandom']
//                              [--loop-priority realtime|normal] [--max-busy 0.6]
//                              [--search-gap 0] [--nice-pool N] [--nice-loop=N] [--nice-v8=N] [--autogroup-nice=N] [--no-screen] [--no-detector] [--no-write] [--keep]
//                              [--src DIR [--write-src]]
//
// What runs, all in THIS process, on a temp data dir (removed at the end, also on error/Ctrl-C):
// - first, as `gatehouse serve` does: the event loop's priority (server/event-loop-priority.ts;
//   --loop-priority, default realtime as the service's event_loop.priority) and the output pacer
//   (gateway/output-pacer.ts, made by createLoopPacer as server/services.ts does; --max-busy as
//   event_loop.max_busy, 1 = off);
// - the real store (server/store/store.ts `openStore`: writer connection + read-only search
//   connection, migrations, the batched writer of commands-repo.ts), bundled from the TypeScript
//   sources on the fly with esbuild (bench/lab/bundle.mjs); no server, no HTTP;
// - seed: --rows command rows through `store.commands.add()` / `flush()`;
// - phases of --seconds each, every one with its own event-loop histogram
//   (perf_hooks.monitorEventLoopDelay, resolution 1 ms), GC log and stall log:
//     shell          a shell streaming output on a real pty (node-pty), the channel of a real
//                    LiveConnection (gateway/live-connection.ts: its flow control and pacing)
//                    with the taps the service gives a shell: the real asciicast sink
//                    (recorder/asciicast-sink.ts, temp file) and the command detector
//                    (recorder/command-detector.ts), whose terminal is the screen for re-attach
//                    (with --no-detector, the connection's own screen keeper; with --no-screen
//                    as well, an exec with a pty, which keeps none); no client attached;
//     search         `store.commands.query({grep, limit: 1000})` back to back over several needles;
//     ingest         a producer pushing --producer-batch rows per setImmediate through
//                    `store.commands.add()`, backing off while more than --max-lag rows are pushed
//                    but not committed; committed rows counted by polling `SELECT max(id)` on a
//                    separate read-only connection every 50 ms;
//     ingest+search  both;
//     full           all three: the acceptance measurement.
// The single-load phases are there to say which load causes a stall, not for the verdict.
// Instrumentation (cheap, always on): sqlite3's Database methods are wrapped to time their
// synchronous part on the event loop (statement creation and parameter binding) and to log
// transaction boundaries, and JSON.stringify calls over 16 KiB inside a transaction (the writer
// building its JSON parameter) are timed; per-thread CPU comes from /proc (schedstat), so each
// stall above 20 ms is listed with what overlapped it and whether the event loop's thread was
// running, waiting for a core, or neither (blocked, or its vCPU stolen by the hypervisor).
// A control runs beside every phase: an idle Node process in its own session (its own scheduling
// group) with the same 1 ms loop-delay monitor (bench/lab/idle-observer.mjs). Its figures are the
// floor any process had on the machine at that moment; each listed stall (over 15 ms) says
// whether that idle process was late at the same time (then the machine, not the loop, stalled).
//
// --rate N pushes at most N rows/s: the writer then has slack, and the phase says whether the
// goal rate is sustained without stalls, rather than how far the writer saturates the machine.
// --search-gap MS waits that long between searches (default 0: back to back, the acceptance
// setting). --nice-pool N lowers the CPU priority of libuv's threadpool threads (where sqlite3
// runs) to nice N, leaving the event loop's thread at its own priority (an experiment).
// --nice-loop=N sets the event loop's thread alone to nice N (e.g. --nice-loop=-5; the shell is
// started at nice 0 regardless): does priority, rather than less work, keep the loop on time?
// --nice-v8=N sets V8's helper threads (GC, compiler: every thread but the main thread and
// libuv's pool) to nice N (an experiment: do GC steps end sooner when their helpers are favoured?).
// --autogroup-nice=N sets this process's scheduling group (Linux autogroup: one per session,
// shared by every thread of the process and its children in the session) to nice N (an
// experiment: does the group's weight against other sessions' groups keep the loop on time?).
// --src DIR bundles the sources from DIR instead (a scratch copy of the repository's server/,
// recorder/, gateway/, protocol/ with an experiment), to A/B a store change without touching
// the repository; such runs are labelled and not written to RESULTS.md unless asked to (--write-src).
//
// Needs `npm run build` to have been run once (node_modules with esbuild, sqlite3, node-pty);
// it runs the sources as they are now, not dist/. Not part of `npm test`.
import { mkdtempSync, readdirSync, rmSync, statSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, setPriority, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { execFileSync } from 'node:child_process';
import { Duplex } from 'node:stream';
import { cpuModel, installSignalTeardown, loadAvg, onTeardown, sleep, teardown } from './lab/procs.mjs';
import { importProjectCode } from './lab/bundle.mjs';
import { NEEDLES, rowGenerator } from './lab/command-rows.mjs';
import { cpuDelta, cpuSnapshot, fCores, mainSched, poolTids } from './lab/cpu-accounting.mjs';
import { instrumentSqlite, mark, marks, txns } from './lab/sqlite-trace.mjs';
import { repoRoot } from './lab/gatehouse.mjs';
import { epochOf, startIdleObserver } from './lab/idle-observer.mjs';
import { median, writeSection } from './lab/report.mjs';

const ALL_PHASES = ['shell', 'search', 'ingest', 'ingest+search', 'full'];
const GOAL_ROWS_PER_S = 20_000;
const GOAL_STALL_MS = 20;
const STALL_LOG_MS = 15; // stalls listed (and checked against the idle observer): near misses too

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node bench/command-log.mjs [--rows 1000000] [--seconds 10] [--phases shell,search,ingest,ingest+search,full,full,full]\n' +
      "                                  [--producer-batch 250] [--max-lag 20000] [--rate N] [--shell-cmd 'base64 /dev/urandom'] [--loop-priority realtime|normal] [--max-busy 0.6] [--search-gap 0] [--nice-pool N] [--nice-loop=N] [--nice-v8=N] [--autogroup-nice=N] [--no-screen] [--no-detector] [--no-write] [--keep] [--src DIR [--write-src]]\n",
  );
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      seconds: { type: 'string', default: '10' },
      // The acceptance phase three times: one run says little on a shared machine (bench/RESULTS.md).
      phases: { type: 'string', default: [...ALL_PHASES, 'full', 'full'].join(',') },
      'producer-batch': { type: 'string', default: '250' },
      'max-lag': { type: 'string', default: '20000' },
      rate: { type: 'string' },
      'shell-cmd': { type: 'string', default: 'base64 /dev/urandom' },
      'no-screen': { type: 'boolean', default: false },
      'no-detector': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      src: { type: 'string' },
      'search-gap': { type: 'string', default: '0' },
      'nice-pool': { type: 'string' },
      'nice-loop': { type: 'string' },
      'autogroup-nice': { type: 'string' },
      'nice-v8': { type: 'string' },
      'write-src': { type: 'boolean', default: false },
      'loop-priority': { type: 'string', default: 'realtime' },
      'max-busy': { type: 'string', default: '0.6' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (opts.help) usage();
const posInt = (name) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer`);
  return n;
};
const ROWS = posInt('rows');
const SECONDS = Number(opts.seconds);
if (!(SECONDS > 0)) usage('--seconds must be > 0');
const PRODUCER_BATCH = posInt('producer-batch');
const MAX_LAG = posInt('max-lag');
// --rate N: push at most N rows/s (a load at a set rate, not saturation); default as fast as the writer commits.
const RATE = opts.rate === undefined ? null : posInt('rate');
const PHASES = opts.phases.split(',').map((s) => s.trim()).filter(Boolean);
for (const p of PHASES) if (!ALL_PHASES.includes(p)) usage(`unknown phase ${p}`);
const SCREEN = !opts['no-screen'];
const DETECTOR = !opts['no-detector'];
const SRC = opts.src ? resolve(opts.src) : null;
const SEARCH_GAP = Number(opts['search-gap']);
if (!(SEARCH_GAP >= 0)) usage('--search-gap must be >= 0');
/** An optional nice value (`--name N`): null when absent; an integer in [-20, 19] or a usage error. */
const niceOpt = (name) => {
  if (opts[name] === undefined) return null;
  const n = Number(opts[name]);
  if (!(Number.isInteger(n) && n >= -20 && n <= 19)) usage(`--${name} must be an integer in [-20, 19]`);
  return n;
};
const LOOP_PRIORITY = opts['loop-priority'];
if (LOOP_PRIORITY !== 'realtime' && LOOP_PRIORITY !== 'normal') usage('--loop-priority must be realtime or normal');
const MAX_BUSY = Number(opts['max-busy']);
if (!(MAX_BUSY >= 0.2 && MAX_BUSY <= 1)) usage('--max-busy must be a number between 0.2 and 1');
const NICE_POOL = niceOpt('nice-pool');
const NICE_LOOP = niceOpt('nice-loop');
const NICE_V8 = niceOpt('nice-v8');
const AUTOGROUP_NICE = niceOpt('autogroup-nice');

/** The event loop's priority and the output pacer as set up in main(), for the written figures. */
let loopSetup = '';
const argvShown = process.argv.slice(2).join(' ');
const COMMAND_LINE = `node bench/command-log.mjs${argvShown ? ` ${argvShown}` : ''}`;
const log = (line) => process.stderr.write(`${line}\n`);
const ms = (ns) => ns / 1e6;
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const fInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');

// ---------------------------------------------------------------------------------------------

async function main() {
  installSignalTeardown();
  const started = new Date();
  const loadStart = loadAvg();
  const uptimeStart = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cmdlog-bench-'));
  if (!opts.keep) onTeardown('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  else log(`bench: keeping ${dir}`);

  log('bench: bundling the store, the asciicast sink, the command detector and the live connection from the sources…');
  const lab = await importProjectCode(
    [
      "export { openStore } from './server/store/store';",
      "export { createAsciicastSink } from './recorder/asciicast-sink';",
      "export { createCommandDetector } from './recorder/command-detector';",
      "export { LiveConnection } from './gateway/live-connection';",
      "export { applyEventLoopPriority, createLoopPacer, REALTIME_CEILING } from './server/event-loop-priority';",
      "export { default as sqlite3 } from 'sqlite3';",
      "export * as nodePty from 'node-pty';",
    ].join('\n'),
    dir,
    SRC ? { root: SRC } : {},
  );
  const { sqlite3, nodePty } = lab;
  // As `gatehouse serve` does first (server/main.ts): the loop's priority, before any thread starts.
  const priority = lab.applyEventLoopPriority(LOOP_PRIORITY);
  log(`bench: ${priority.message}`);
  instrumentSqlite(sqlite3);
  const sqliteVersion = await new Promise((res) => {
    const d = new sqlite3.Database(':memory:');
    d.get('SELECT sqlite_version() AS v', (e, row) => (d.close(), res(row?.v ?? '?')));
  });

  const dbPath = join(dir, 'gatehouse.db');
  const storeLog = [];
  const store = await lab.openStore(dbPath, (m) => {
    storeLog.push(m);
    log(`bench: store: ${m}`);
  });
  onTeardown('store', () => store.close());
  // As server/services.ts composes it: bulk output paced while the command writer is behind, and
  // at real-time priority whenever the loop nears a whole core.
  const realtime = priority.priority === 'realtime';
  const pacer = lab.createLoopPacer(priority.priority, MAX_BUSY, () => store.commands.behind());
  if (pacer) onTeardown('pacer', () => pacer.close());
  const paced = [MAX_BUSY < 1 && `while the command writer is behind and the loop is busier than ${MAX_BUSY}`, realtime && `whenever the loop is busier than ${lab.REALTIME_CEILING}`].filter(Boolean);
  loopSetup = `Event loop: ${priority.message}; output pacer: ${pacer ? `bulk output waits ${paced.join(', and ')}` : 'off'}.`;
  const observer = await startIdleObserver({ thresholdMs: 10 });
  onTeardown('idle observer', () => observer.close());

  // A separate read-only connection for counting committed rows (SELECT max(id) is a B-tree
  // descent; it must not queue behind the store's searches on the reader connection).
  const counter = await new Promise((res, rej) => {
    const d = new sqlite3.Database(dbPath, sqlite3.OPEN_READONLY, (e) => (e ? rej(e) : res(d)));
  });
  onTeardown('counter connection', () => new Promise((r) => counter.close(() => r())));
  poolTids(); // the threadpool exists now (the store's statements ran on it); remember its threads
  if (NICE_POOL !== null) {
    for (const tid of poolTids()) setPriority(Number(tid), NICE_POOL);
    log(`bench: threadpool threads ${[...poolTids()].join(', ')} set to nice ${NICE_POOL}`);
  }
  if (NICE_LOOP !== null) {
    setPriority(process.pid, NICE_LOOP); // on Linux: the main thread only
    log(`bench: event loop thread set to nice ${NICE_LOOP}; the shell runs at nice 0`);
  }
  if (NICE_V8 !== null) {
    // Every thread but the main thread and libuv's pool: V8's platform workers (GC helpers, compiler).
    const pool = poolTids();
    const v8 = readdirSync('/proc/self/task').filter((tid) => tid !== String(process.pid) && !pool.has(tid));
    for (const tid of v8) setPriority(Number(tid), NICE_V8);
    log(`bench: V8 helper threads ${v8.join(', ')} set to nice ${NICE_V8}`);
  }
  if (AUTOGROUP_NICE !== null) {
    writeFileSync('/proc/self/autogroup', String(AUTOGROUP_NICE));
    log(`bench: this process's scheduling group set to nice ${AUTOGROUP_NICE}: ${readFileSync('/proc/self/autogroup', 'utf8').trim()}`);
  }
  const maxId = () => new Promise((res, rej) => counter.get('SELECT max(id) AS m FROM commands', (e, row) => (e ? rej(e) : res(row?.m ?? 0))));

  // ------------------------------------------------------------------------------------------
  // Seed

  const gen = rowGenerator(0x5eed);
  const seedStartMs = Date.now() - 90 * 86400_000;
  log(`bench: seeding ${ROWS.toLocaleString('en-US')} rows through store.commands.add()/flush() (uptime: ${uptimeStart})`);
  const CHUNK = 25_000;
  const tSeed = performance.now();
  let lastFlush = Promise.resolve();
  let lastReport = tSeed;
  for (let i = 0; i < ROWS; ) {
    const n = Math.min(CHUNK, ROWS - i);
    for (let k = 0; k < n; k++, i++) store.commands.add(gen(new Date(seedStartMs + Math.floor((i / ROWS) * 90 * 86400_000)).toISOString()));
    await lastFlush; // at most two chunks in flight: the writer's queue stays far from its bound
    lastFlush = store.commands.flush();
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      log(`bench:   ${i.toLocaleString('en-US')} rows pushed, ${Math.round(i / ((lastReport - tSeed) / 1000)).toLocaleString('en-US')} rows/s so far`);
    }
  }
  await lastFlush;
  const seedSecs = (performance.now() - tSeed) / 1000;
  const seeded = await maxId();
  const seedTxns = txns.splice(0);
  const seed = {
    rows: seeded,
    secs: seedSecs,
    rate: seeded / seedSecs,
    failures: store.commands.failures(),
    txnMedianMs: median(seedTxns.map((t) => t.end - t.start)),
    txnRowsMedian: median(seedTxns.map((t) => t.rows)),
    syncMsPerTxn: median(seedTxns.map((t) => t.syncMs)),
    dbMB: statSync(dbPath).size / 1e6,
    walMB: existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size / 1e6 : 0,
  };
  log(`bench: seeded ${seeded.toLocaleString('en-US')} rows in ${seedSecs.toFixed(1)} s = ${fInt(seed.rate)} rows/s (${seedTxns.length} transactions of median ${seed.txnRowsMedian} rows, median ${f1(seed.txnMedianMs)} ms each, of which ${f1(seed.syncMsPerTxn)} ms on the event loop in INSERT calls and building their JSON); db ${seed.dbMB.toFixed(0)} MB, wal ${seed.walMB.toFixed(0)} MB; failures ${seed.failures}`);
  marks.length = 0;

  // How many rows each needle matches in the whole table (on the counter connection, untimed).
  const matchCounts = {};
  for (const n of NEEDLES) {
    matchCounts[n] = await new Promise((res, rej) =>
      // As the repo searches (trigram index, LIKE confirmed against the text); needles have no % or _.
      counter.get('SELECT count(*) AS c FROM commands_fts WHERE command LIKE ?', [`%${n}%`], (e, row) => (e ? rej(e) : res(row.c))),
    );
  }
  log(`bench: matches per needle: ${NEEDLES.map((n) => `${JSON.stringify(n)} ${matchCounts[n].toLocaleString('en-US')}`).join(', ')}`);

  // ------------------------------------------------------------------------------------------
  // Phases

  const ingestGen = rowGenerator(0x1a57);

  async function runPhase(name) {
    const withShell = name === 'shell' || name === 'full';
    const withSearch = name.includes('search') || name === 'full';
    const withIngest = name.includes('ingest') || name === 'full';
    log(`bench: phase ${name} (${SECONDS} s; load ${loadAvg()})`);
    await store.commands.flush();
    txns.length = 0;
    marks.length = 0;
    const gcs = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push({ t: e.startTime, dur: e.duration, kind: e.detail?.kind ?? e.kind });
    });
    obs.observe({ entryTypes: ['gc'] });

    // --- shell: a pty as the channel of a real LiveConnection (gateway/live-connection.ts) with
    // the taps the service gives a shell, its flow control and the service's output pacer
    let shell = null;
    if (withShell) {
      const castPath = join(dir, 'recordings', `${name}.cast`);
      const sink = lab.createAsciicastSink({ path: castPath, recordInput: false });
      await sink.start({ width: 120, height: 40, timestamp: Math.floor(Date.now() / 1000), env: { TERM: 'xterm-256color', SHELL: '/bin/sh' }, title: 'bench@local by bench@example.com' });
      // What a live shell has in the service: recording sink and command detector, whose headless
      // terminal is also the screen for re-attach; without a detector the connection keeps a
      // screen of its own (server/services.ts, gateway/live-connection.ts). --no-screen: an exec
      // with a pty, the one kind whose screen is not kept.
      const taps = [sink];
      if (DETECTOR) taps.push(lab.createCommandDetector({ cols: 120, rows: 40, markerNonce: null, onCommand: () => undefined }));
      const shellArgv = NICE_LOOP ? ['/usr/bin/nice', ['-n', String(-NICE_LOOP), '/bin/sh', '-c', `exec ${opts['shell-cmd']}`]] : ['/bin/sh', ['-c', `exec ${opts['shell-cmd']}`]];
      const pty = nodePty.spawn(shellArgv[0], shellArgv[1], { name: 'xterm-256color', cols: 120, rows: 40, cwd: dir, env: { PATH: process.env.PATH, TERM: 'xterm-256color', LANG: 'C.UTF-8' }, encoding: null });
      const t0 = performance.now();
      shell = { bytes: 0, chunks: 0, pauses: 0, paced: 0, sink, pty, castPath, t0, exited: false, conn: null };
      // The channel: the pty's output as a Readable with backpressure (a full buffer pauses the pty).
      const io = new Duplex({
        read() {
          if (!shell.exited) pty.resume();
        },
        write(chunk, _enc, cb) {
          pty.write(chunk);
          cb();
        },
      });
      io.on('pause', () => shell.pauses++);
      let exited;
      const exit = new Promise((r) => (exited = r));
      pty.onData((data) => {
        shell.bytes += data.length;
        shell.chunks++;
        if (!io.push(data)) pty.pause();
      });
      pty.onExit(({ exitCode }) => {
        shell.exited = true;
        io.push(null);
        exited({ code: exitCode, signal: null });
      });
      const channel = { kind: 'shell', io, exit, shell: '/bin/sh', resize() {}, close: () => pty.kill('SIGKILL') };
      const counted = pacer && { engaged: () => pacer.engaged(), whenReleased: () => (shell.paced++, pacer.whenReleased()), close: () => undefined };
      const request = SCREEN || DETECTOR
        ? { kind: 'shell', targetUser: 'bench', size: { cols: 120, rows: 40 }, term: 'xterm-256color' }
        : { kind: 'exec', targetUser: 'bench', command: opts['shell-cmd'], pty: { size: { cols: 120, rows: 40 }, term: 'xterm-256color' } };
      shell.conn = new lab.LiveConnection(
        { id: `bench-${name}`, permit: {}, target: { id: 'bench', name: 'bench', kind: 'local' }, request },
        { openTaps: async () => taps, onState: () => undefined, log: (m) => log(`bench: connection: ${m}`), ...(counted ? { pacer: counted } : {}) },
        async () => channel,
        60_000,
      );
      const nullClient = { label: 'bench', sendOutput() {}, sendControl() {}, backlog: () => 0, whenDrained: () => Promise.resolve(), close() {} };
      await shell.conn.attach(nullClient, 'bench');
    }

    // --- loop delay, stall log
    const h = monitorEventLoopDelay({ resolution: 1 });
    const stalls = [];
    let running = true;
    let expect = performance.now() + 5;
    let lastSched = mainSched();
    const stallTimer = () => {
      const now = performance.now();
      const sc = mainSched();
      // Over a stall, how long the main thread ran and how long it was runnable but waiting for a core.
      if (now - expect > STALL_LOG_MS) stalls.push({ end: now, late: now - expect, runMs: (sc.run - lastSched.run) / 1e6, waitMs: (sc.wait - lastSched.wait) / 1e6 });
      lastSched = sc;
      expect = now + 5;
      if (running) setTimeout(stallTimer, 5);
    };
    setTimeout(stallTimer, 5);
    const cpu0 = cpuSnapshot(shell ? [shell.pty.pid] : []);
    let heapPeak = 0;
    const heapTimer = setInterval(() => (heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size)), 100);
    observer.start();
    h.enable();
    const tStart = performance.now();
    const tEnd = tStart + SECONDS * 1000;

    // --- ingest
    const ing = { startId: await maxId(), committed: 0, pushed: 0, backoffs: 0, failures0: store.commands.failures() };
    let poller = null;
    let producerDone = Promise.resolve();
    if (withIngest) {
      const poll = async () => {
        while (running) {
          ing.committed = (await maxId()) - ing.startId;
          await sleep(50);
        }
      };
      poller = poll();
      producerDone = new Promise((resolve) => {
        const produce = () => {
          if (!running) return resolve();
          if (RATE !== null && ing.pushed >= (RATE * (performance.now() - tStart)) / 1000) {
            setTimeout(produce, 1);
            return;
          }
          if (ing.pushed - ing.committed > MAX_LAG) {
            ing.backoffs++;
            setTimeout(produce, 2);
            return;
          }
          const at = new Date().toISOString();
          for (let k = 0; k < PRODUCER_BATCH; k++) store.commands.add(ingestGen(at));
          ing.pushed += PRODUCER_BATCH;
          setImmediate(produce);
        };
        setImmediate(produce);
      });
    }

    // --- searches
    const searches = [];
    let searchDone = Promise.resolve();
    if (withSearch) {
      searchDone = (async () => {
        for (let i = 0; running; i++) {
          const needle = NEEDLES[i % NEEDLES.length];
          const t0 = performance.now();
          mark('search-start', needle, 0, t0);
          const rows = await store.commands.query({ grep: needle, limit: 1000 });
          const t1 = performance.now();
          mark('search-end', `${needle}: ${rows.length} rows in ${Math.round(t1 - t0)} ms`, 0, t1);
          searches.push({ needle, ms: t1 - t0, rows: rows.length, inWindow: t1 <= tEnd });
          if (SEARCH_GAP > 0 && running) await sleep(SEARCH_GAP);
        }
      })();
    }

    await sleep(Math.max(0, tEnd - performance.now()));
    // End of the window: stop producing, take the committed count now, then drain.
    running = false;
    h.disable();
    const control = await observer.stop();
    const cpu = cpuDelta(cpu0, cpuSnapshot(shell ? [shell.pty.pid] : []));
    clearInterval(heapTimer);
    const tStop = performance.now();
    const secs = (tStop - tStart) / 1000;
    let committedRate = NaN;
    let drainSecs = NaN;
    if (withIngest) {
      await producerDone;
      await poller;
      const atStop = (await maxId()) - ing.startId;
      committedRate = atStop / secs;
      ing.committedAtStop = atStop;
      const td = performance.now();
      await store.commands.flush();
      drainSecs = (performance.now() - td) / 1000;
      ing.finalCommitted = (await maxId()) - ing.startId;
      ing.lost = ing.pushed - ing.finalCommitted;
      ing.failures = store.commands.failures() - ing.failures0;
    }
    await searchDone; // the search in flight at the end finishes (it is outside the window)
    let shellOut = null;
    if (shell) {
      shell.conn.close('phase over', 'bench');
      await shell.conn.closed;
      const shellSecs = (tStop - shell.t0) / 1000;
      const written = existsSync(shell.castPath) ? statSync(shell.castPath).size : 0;
      rmSync(shell.castPath, { force: true });
      shellOut = { mbps: shell.bytes / shellSecs / 1e6, bytes: shell.bytes, chunks: shell.chunks, pauses: shell.pauses, paced: shell.paced, castMB: written / 1e6, failure: shell.sink.failure?.message ?? null };
    }
    obs.disconnect();
    await sleep(20); // let the stall timer see running=false

    const inWin = searches.filter((s) => s.inWindow);
    const phaseTxns = txns.filter((t) => t.end <= tStop);
    const res = {
      name,
      secs,
      cpu,
      heapPeakMB: heapPeak / 1e6,
      loop: { max: ms(h.max), p99: ms(h.percentile(99)), p50: ms(h.percentile(50)), mean: ms(h.mean), over20: stalls.filter((x) => x.late > GOAL_STALL_MS).length },
      control,
      stalls,
      ingest: withIngest ? { ...ing, rate: committedRate, pushRate: ing.pushed / secs, drainSecs } : null,
      txn: phaseTxns.length
        ? { n: phaseTxns.length, rowsMedian: median(phaseTxns.map((t) => t.rows)), msMedian: median(phaseTxns.map((t) => t.end - t.start)), msMax: Math.max(...phaseTxns.map((t) => t.end - t.start)), syncMsMedian: median(phaseTxns.map((t) => t.syncMs)), syncMsMax: Math.max(...phaseTxns.map((t) => t.syncMs)) }
        : null,
      search: withSearch
        ? {
            n: inWin.length,
            p50: median(inWin.map((s) => s.ms)),
            max: Math.max(...inWin.map((s) => s.ms)),
            byNeedle: Object.fromEntries(NEEDLES.map((nd) => [nd, inWin.filter((s) => s.needle === nd)]).map(([nd, xs]) => [nd, { n: xs.length, p50: median(xs.map((s) => s.ms)), max: xs.length ? Math.max(...xs.map((s) => s.ms)) : NaN, rows: xs[0]?.rows ?? NaN }])),
          }
        : null,
      shell: shellOut,
      gc: {
        n: gcs.length,
        totalMs: gcs.reduce((s, g) => s + g.dur, 0),
        maxMs: gcs.length ? Math.max(...gcs.map((g) => g.dur)) : 0,
        majorMax: Math.max(0, ...gcs.filter((g) => g.kind === 4).map((g) => g.dur)), // NODE_PERFORMANCE_GC_MAJOR
        over10: gcs.filter((g) => g.dur > 10).length,
      },
      // What overlapped the worst stalls: marks and GCs within [start - 2 ms, end + 1 ms].
      worst: stalls
        .sort((a, b) => b.late - a.late)
        .slice(0, 5)
        .map((s) => {
          const from = s.end - s.late - 5 - 2;
          const to = s.end + 1;
          const overl = [
            ...marks.filter((m) => m.t + m.dur >= from && m.t <= to).map((m) => `${m.kind}${m.dur ? ` (${m.dur.toFixed(1)} ms sync)` : ''}: ${m.info}`),
            ...gcs.filter((g) => g.t + g.dur >= from && g.t <= to).map((g) => `gc kind ${g.kind} ${g.dur.toFixed(1)} ms`),
          ];
          // The idle observer's lateness over the same interval (its stalls are [due - 5 ms, fired]).
          const [a, b] = [epochOf(s.end - s.late - 5), epochOf(s.end)];
          const observerLate = Math.max(0, ...control.stalls.filter(([f, t]) => t >= a && f <= b).map(([f, t]) => t - f - 5));
          return { late: s.late, runMs: s.runMs, waitMs: s.waitMs, at: (s.end - tStart) / 1000, overl, observerLate };
        }),
      walMB: existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size / 1e6 : 0,
    };
    log(
      `bench:   loop delay max ${f1(res.loop.max)} ms, p99 ${f1(res.loop.p99)} ms, p50 ${f1(res.loop.p50)} ms; ${res.loop.over20} stalls > ${GOAL_STALL_MS} ms; idle observer: max ${f1(control.max)} ms, p99 ${f1(control.p99)} ms` +
        (res.ingest ? `; committed ${fInt(res.ingest.rate)} rows/s (pushed ${fInt(res.ingest.pushRate)}/s, drain ${res.ingest.drainSecs.toFixed(2)} s, lost ${res.ingest.lost}, failures ${res.ingest.failures})` : '') +
        (res.txn ? `; ${res.txn.n} txns of median ${res.txn.rowsMedian} rows, ${f1(res.txn.msMedian)} ms (max ${f1(res.txn.msMax)}), event loop in INSERT calls + JSON ${f1(res.txn.syncMsMedian)} ms (max ${f1(res.txn.syncMsMax)})` : '') +
        (res.search ? `; ${res.search.n} searches p50 ${f1(res.search.p50)} ms max ${f1(res.search.max)} ms` : '') +
        (res.shell ? `; shell ${res.shell.mbps.toFixed(1)} MB/s (${res.shell.pauses} pauses; the pacer held it ${res.shell.paced}×)` : '') +
        `; gc ${res.gc.n}× total ${f1(res.gc.totalMs)} ms max ${f1(res.gc.maxMs)} ms; heap peak ${res.heapPeakMB.toFixed(0)} MB`,
    );
    log(`bench:   cores used: main thread ${fCores(cpu.main)} (+${fCores(cpu.mainWait)} waiting for a core), threadpool ${fCores(cpu.pool)} (+${fCores(cpu.poolWait)} waiting), other threads (V8 GC…) ${fCores(cpu.v8)}, shell ${fCores(cpu.shell)}, other processes ${fCores(cpu.others)}, hypervisor steal ${fCores(cpu.steal)}; machine ${fCores(cpu.machine)} of ${cpus().length}`);
    for (const w of res.worst) log(`bench:     stall ${describeStall(w, 2)}: ${w.overl.length ? w.overl.join(' | ') : '(nothing instrumented overlapped)'}`);
    return res;
  }

  const results = [];
  for (const p of PHASES) results.push(await runPhase(p));
  const loadEnd = loadAvg();
  const uptimeEnd = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const minutes = (Date.now() - started.getTime()) / 60_000;

  // ------------------------------------------------------------------------------------------
  // Report

  const cell = (x) => String(x).replace(/\|/g, '\\|');
  const phaseDesc = {
    shell: 'shell output only',
    search: 'FTS searches only',
    ingest: 'ingest only',
    'ingest+search': 'ingest + FTS searches',
    full: '**shell + ingest + FTS searches (acceptance)**',
  };
  const table = [
    '| Phase | Committed rows/s | Writer txns: n × rows (median), wall ms median / max, event-loop ms per txn in INSERT calls and their JSON (median / max) | Searches in window | Search latency p50 / max | Loop delay p50 / p99 / max | Timer lateness > 20 ms | Idle observer: loop delay p99 / max | GC max (major) | Shell output |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    table.push(
      `| ${phaseDesc[r.name]} | ${r.ingest ? `**${fInt(r.ingest.rate)}**${r.ingest.lost || r.ingest.failures ? ` (lost ${r.ingest.lost}, failures ${r.ingest.failures})` : ''}` : '—'} | ${r.txn ? `${r.txn.n} × ${fInt(r.txn.rowsMedian)} rows, ${f1(r.txn.msMedian)} / ${f1(r.txn.msMax)}, ${f1(r.txn.syncMsMedian)} / ${f1(r.txn.syncMsMax)}` : '—'} | ${r.search ? r.search.n : '—'} | ${r.search ? `${f1(r.search.p50)} / ${f1(r.search.max)} ms` : '—'} | ${f1(r.loop.p50)} / ${f1(r.loop.p99)} / **${f1(r.loop.max)}** ms | ${r.loop.over20} | ${f1(r.control.p99)} / ${f1(r.control.max)} ms | ${f1(r.gc.maxMs)} (${f1(r.gc.majorMax)}) ms | ${r.shell ? `${r.shell.mbps.toFixed(1)} MB/s${r.shell.failure ? ` (sink failed: ${cell(r.shell.failure)})` : ''}` : '—'} |`,
    );
  }
  const cpuTable = [
    `| Phase | Main thread (event loop) | …waiting for a core | libuv threadpool (sqlite3, fs) | …waiting for a core | Other threads (V8: GC, compiler) | Shell process | Other processes | Hypervisor steal | Machine busy (of ${cpus().length}) |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${phaseDesc[r.name]} | ${fCores(r.cpu.main)} | ${fCores(r.cpu.mainWait)} | ${fCores(r.cpu.pool)} | ${fCores(r.cpu.poolWait)} | ${fCores(r.cpu.v8)} | ${r.shell ? fCores(r.cpu.shell) : '—'} | ${fCores(r.cpu.others)} | ${fCores(r.cpu.steal)} | ${fCores(r.cpu.machine)} |`),
  ];
  const searchPhases = results.filter((r) => r.search);
  const needleTable = [
    `| Needle (\`--grep\`) | Matches in ${fInt(seed.rows)} rows | Rows returned (limit 1000) | ${searchPhases.map((r) => `${r.name}: n, p50 / max ms`).join(' | ')} |`,
    `|---|---|---|${searchPhases.map(() => '---').join('|')}|`,
  ];
  for (const nd of NEEDLES) {
    needleTable.push(
      `| \`${cell(nd)}\` | ${fInt(matchCounts[nd])} | ${searchPhases.map((r) => r.search.byNeedle[nd].rows).find(Number.isFinite) ?? 'n/a'} | ${searchPhases.map((r) => { const b = r.search.byNeedle[nd]; return b.n ? `${b.n}, ${f1(b.p50)} / ${f1(b.max)}` : '0 (none finished in the window)'; }).join(' | ')} |`,
    );
  }

  // `--phases full,full,full` repeats the acceptance phase: the verdict holds only if every run meets it.
  const fulls = results.filter((r) => r.name === 'full');
  const verdict = [];
  if (fulls.length) {
    const rateOk = (r) => r.ingest.rate >= GOAL_ROWS_PER_S && r.ingest.lost === 0 && r.ingest.failures === 0;
    const loopOk = (r) => r.loop.max <= GOAL_STALL_MS;
    const each = (f) => fulls.map(f).join('; ');
    verdict.push(`- Committed rows/s ≥ ${GOAL_ROWS_PER_S.toLocaleString('en-US')} (no row lost): **${fulls.every(rateOk) ? 'PASS' : 'FAIL'}** (${each((r) => `${fInt(r.ingest.rate)} rows/s, lost ${r.ingest.lost}, writer failures ${r.ingest.failures}`)})`);
    verdict.push(`- No event-loop stall above ${GOAL_STALL_MS} ms (monitorEventLoopDelay max): **${fulls.every(loopOk) ? 'PASS' : 'FAIL'}** (${each((r) => `max ${f1(r.loop.max)} ms, p99 ${f1(r.loop.p99)} ms; ${r.loop.over20} stalls > ${GOAL_STALL_MS} ms seen by a 5 ms timer`)})`);
    const over = fulls.flatMap((r) => r.worst.filter((w) => w.late > GOAL_STALL_MS));
    verdict.push(`- For comparison, an idle Node process on the same machine (the floor any event loop had): loop delay ${each((r) => `max ${f1(r.control.max)} ms, p99 ${f1(r.control.p99)} ms`)}${over.length ? `; of the ${over.length} listed stalls above ${GOAL_STALL_MS} ms, the idle process was more than 10 ms late during ${over.filter((w) => w.observerLate > 0).length}` : ''}`);
    verdict.push(`- Issue 5 "Ingest": **${fulls.every((r) => rateOk(r) && loopOk(r)) ? 'PASS' : 'FAIL'}**${fulls.length > 1 ? ` (${fulls.filter((r) => rateOk(r) && loopOk(r)).length} of ${fulls.length} runs of the acceptance phase met both)` : ''}`);
  } else verdict.push('- The `full` phase was not run: no verdict.');

  const worstLines = [];
  for (const r of results) {
    if (!r.worst.length) continue;
    worstLines.push(`- ${r.name}: ${r.worst.slice(0, 3).map((w) => `${describeStall(w, 1)}${w.overl.length ? ` [${cell(w.overl.slice(0, 4).join('; '))}]` : ''}`).join('; ')}`);
  }

  const header = [
    `Command: \`${COMMAND_LINE}\``,
    '',
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} on ${cpus().length} cores (${cpuModel()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, kernel ${release()}; node ${process.version}, SQLite ${sqliteVersion} (npm sqlite3), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'unset (4)'}; load avg at start ${loadStart}, end ${loadEnd} (shared machine: other sessions run test suites); the run took ${minutes.toFixed(1)} min.`,
    `Store: ${SRC ? `**the EXPERIMENT in ${SRC}** (not the repository's sources)` : `the sources of \`server/store/\` (git ${gitRev()})`} bundled by esbuild, on a temp dir (${tmpdir()}); writer: \`commands-repo.ts\` batched writer (${describeWriter(SRC ?? repoRoot)}; FTS5 trigram index by trigger). Shell: \`${opts['shell-cmd']}\` on a node-pty pty (120×40), the channel of a real LiveConnection with the taps a live shell has in the service: the real asciicast sink${DETECTOR ? ', the command detector (its headless xterm is also the screen)' : SCREEN ? ', the screen keeper (headless xterm)' : ''}; paused while a tap's backlog > 1 MiB, or by the output pacer. ${loopSetup} Producer: ${PRODUCER_BATCH} rows per setImmediate${RATE !== null ? `, at most ${RATE.toLocaleString('en-US')} rows/s (--rate)` : ''}, backing off while > ${MAX_LAG.toLocaleString('en-US')} rows are uncommitted. Searches: \`store.commands.query({grep, limit: 1000})\` ${SEARCH_GAP ? `every ${SEARCH_GAP} ms` : 'back to back'}, needles in rotation.${NICE_POOL !== null ? ` libuv threadpool threads at nice ${NICE_POOL}.` : ''}${NICE_LOOP !== null ? ` The event loop's thread at nice ${NICE_LOOP}.` : ''}${NICE_V8 !== null ? ` V8's helper threads at nice ${NICE_V8}.` : ''}${AUTOGROUP_NICE !== null ? ` This process's scheduling group (autogroup) at nice ${AUTOGROUP_NICE}.` : ''}`,
    '',
    `Seed: ${fInt(seed.rows)} rows in ${seed.secs.toFixed(1)} s = **${fInt(seed.rate)} rows/s** (transactions of ${fInt(seed.txnRowsMedian)} rows, median ${f1(seed.txnMedianMs)} ms each, ${f1(seed.syncMsPerTxn)} ms of it on the event loop); database ${seed.dbMB.toFixed(0)} MB.`,
  ];
  const body = [
    ...header,
    '',
    `Each phase ran ${SECONDS} s:`,
    '',
    ...table,
    '',
    ...needleTable,
    '',
    'Where the CPU went, in cores (from /proc: schedstat of each thread of this process, the shell\'s process, /proc/stat for the machine and the hypervisor\'s steal; "waiting" is time runnable but not running). In the stall list, "neither" is time the main thread neither ran nor waited for a core: blocked, or its vCPU stolen by the hypervisor.',
    '',
    ...cpuTable,
    '',
    'Verdict (the `full` phase):',
    '',
    ...verdict,
    '',
    ...(worstLines.length ? ['Worst stalls and what overlapped them (marks of the sqlite3 wrappers, GC entries):', '', ...worstLines, ''] : []),
    'Loop delay: `monitorEventLoopDelay({resolution: 1})` over the phase window, in ms (a 1 ms timer, so ~1 ms means no delay). Committed rows/s: `max(id)` growth over the window ÷ window length (rows pushed but not yet committed at the end are not counted). Writer txn wall: BEGIN → COMMIT callback; event-loop ms per txn: synchronous time of the `db.run(INSERT …)` calls (statement creation, parameter binding in the sqlite3 binding) plus `JSON.stringify` calls over 16 KiB made inside the transaction (the writer building a JSON parameter).',
  ].join('\n');

  process.stdout.write(`\n${body}\n\nuptime at start: ${uptimeStart}\nuptime at end:   ${uptimeEnd}\n`);
  if (storeLog.length) process.stdout.write(`store log: ${storeLog.slice(0, 5).join(' / ')}\n`);

  if (!opts['no-write'] && (!SRC || opts['write-src'])) {
    const file = join(repoRoot, 'bench', 'RESULTS.md');
    const begin = '<!-- bench:command-log:begin -->';
    const end = '<!-- bench:command-log:end -->';
    const text = readFileSync(file, 'utf8');
    if (!text.includes(begin)) {
      // First run: add the section heading; later runs replace only what is between the markers.
      writeFileSync(file, `${text.trimEnd()}\n\n## Command log: ingest under load (issue 5; written by \`bench/command-log.mjs\`, replaced on every run)\n`);
    }
    writeSection(file, begin, end, body, '# Gatehouse benchmark results');
    log(`bench: figures written to ${file}`);
  }
}

/** One stall of the event loop, what its thread did meanwhile, and whether an idle process was late too. */
function describeStall(w, digits) {
  const neither = Math.max(0, w.late + 5 - w.runMs - w.waitMs);
  const observer = w.observerLate > 0 ? `the idle observer was ${f1(w.observerLate)} ms late too` : 'the idle observer was on time';
  return `${f1(w.late)} ms at +${w.at.toFixed(digits)} s (main thread ran ${f1(w.runMs)} ms, waited for a core ${f1(w.waitMs)} ms, neither ${f1(neither)} ms; ${observer})`;
}

/** The writer's settings as the sources say (they change; the figures must say which applied). */
function describeWriter(root) {
  const read = (f) => {
    try {
      return readFileSync(join(root, 'server', 'store', f), 'utf8');
    } catch {
      return '';
    }
  };
  const repo = read('commands-repo.ts');
  const writer = read('batched-writer.ts');
  const flushMs = /flushMs:\s*(\d+)/.exec(repo)?.[1] ?? '?';
  const maxBatch = (/maxBatch:\s*([\d_]+)/.exec(repo) ?? /maxBatch \?\? ([\d_]+)/.exec(writer))?.[1]?.replace(/_/g, ',') ?? '?';
  const packed = /PACK = (\d+)/.exec(repo)?.[1];
  const reader = /openReaderProcess/.test(read('store.ts')) ? `; searches in a child process at ${/--idle/.test(read('reader-process.ts')) ? 'SCHED_IDLE and ' : ''}nice ${/const NICE = (\d+)/.exec(read('reader-process.ts'))?.[1] ?? '?'}` : '';
  const json = /jsonb?_each/.test(repo + writer);
  const each = /FROM jsonb_each/.test(writer) ? 'jsonb_each' : 'json_each';
  const blob = /json:\s*Buffer/.test(writer) ? ', bound as a UTF-8 Buffer' : '';
  const perStatement = /ROWS_PER_STATEMENT = ([\d_]+)/.exec(repo + writer)?.[1]?.replace(/_/g, ',');
  const inserts = json ? `rows as one JSON parameter per INSERT (${each}${blob})${perStatement ? `, ≤ ${perStatement} rows each` : ''}` : 'multi-row INSERTs with 11 bound parameters per row';
  return `flushMs ${flushMs}, maxBatch ${maxBatch} rows, ${inserts}${packed ? `, rows packed per event-loop turn (≤ ${packed})${blob ? ' into Buffers' : ''}` : ''}${reader}`;
}

function gitRev() {
  try {
    const rev = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'server/store'], { encoding: 'utf8' }).trim();
    return `${rev}${dirty ? ', server/store modified' : ''}`;
  } catch {
    return 'unknown';
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  await teardown();
}
// Open handles (the pty's socket after kill, sqlite's threads) must not keep us alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
