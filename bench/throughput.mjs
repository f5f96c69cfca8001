#!/usr/bin/env node
// Throughput of Gatehouse beside a plain OpenSSH jump (`ssh -J bastion target`), measured side
// by side in ONE run on this machine (method: /work/shared/research/baselines.md — rounds with
// both paths, order rotated each round, 1 warm-up round discarded, medians and medians of the
// per-round ratios; MB = 10^6 bytes).
//
//   node bench/throughput.mjs [--rounds N] [--shell-mib 256] [--pty-mib 128] [--tcp-mib 1024]
//                             [--target agent|local] [--scenarios a,b,...] [--no-write] [--cpu-prof DIR] [--dist DIR]
//
// Needs root (it creates the user ghbench and runs sshd), OpenSSH server and client,
// util-linux `script`, and a built dist/ (`npm run build`). Not part of `npm test`.
// Everything it sets up (user, sshd, service, agent, tunnels, temp dir) is removed at the end,
// also on error or Ctrl-C. The figures are appended to (or replaced in) bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpuModel, cpuSecondsOf, freePort, installSignalTeardown, killGroup, loadAvg, memoryOf, onTeardown, sleep, startDaemon, teardown } from './lab/procs.mjs';
import { createBenchUser, startOpenSsh } from './lab/openssh.mjs';
import { bins, checkDist, repoRoot, snapshotDist, startGatehouse } from './lab/gatehouse.mjs';
import { fmtMB, fmtMiB, fmtRate, fmtSec, median, resultsTable, writeSection } from './lab/report.mjs';

const ALL_SCENARIOS = ['shell-bulk', 'shell-pty', 'tunnel-up', 'tunnel-down'];
const MB = 1e6;
const MiB = 1024 * 1024;

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: node bench/throughput.mjs [--rounds N] [--shell-mib 256] [--pty-mib 128] [--tcp-mib 1024] [--target agent|local] [--scenarios shell-bulk,shell-pty,tunnel-up,tunnel-down] [--no-write] [--cpu-prof DIR] [--dist DIR]\n');
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      'shell-mib': { type: 'string', default: '256' },
      'pty-mib': { type: 'string', default: '128' },
      'tcp-mib': { type: 'string', default: '1024' },
      target: { type: 'string', default: 'agent' },
      scenarios: { type: 'string', default: ALL_SCENARIOS.join(',') },
      'no-write': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      dist: { type: 'string' },
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
const ROUNDS = posInt('rounds');
const SHELL_MIB = posInt('shell-mib');
const PTY_MIB = posInt('pty-mib');
const TCP_MIB = posInt('tcp-mib');
if (!['agent', 'local'].includes(opts.target)) usage('--target must be agent or local');
const SCENARIOS = opts.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of SCENARIOS) if (!ALL_SCENARIOS.includes(s)) usage(`unknown scenario ${s}`);

const argvShown = process.argv.slice(2).join(' ');
const COMMAND_LINE = `node bench/throughput.mjs${argvShown ? ` ${argvShown}` : ''}`;
const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Measurements

const q = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const TIMEOUT_MS = 300_000;

/**
 * Runs a client whose stdout is the measured stream (a pipe read by this process). Returns
 * bytes, MB/s from the first byte to EOF, and wall time from spawn to exit.
 */
function readerRun(file, args, { env, keepStdinOpen = false } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: [keepStdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
    let bytes = 0;
    let tFirst = NaN;
    let tEof = NaN;
    let stderr = '';
    child.stdout.on('data', (c) => {
      if (bytes === 0) tFirst = performance.now();
      bytes += c.length;
    });
    child.stdout.on('end', () => (tEof = performance.now()));
    child.stderr.on('data', (c) => {
      if (stderr.length < 4000) stderr += c;
    });
    child.stdin?.on('error', () => undefined);
    const timer = setTimeout(() => {
      stderr += `\n[bench: killed after ${TIMEOUT_MS / 1000} s]`;
      killGroup(child.pid, 'SIGKILL');
    }, TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      const wall = (performance.now() - t0) / 1000;
      const secs = (tEof - tFirst) / 1000;
      resolve({ code, signal, bytes, wall, mbps: bytes / secs / MB, stderr: stderr.trim() });
    });
  });
}

// The sinks on the "target side": node servers in this process on 127.0.0.1.
const ZEROS = Buffer.alloc(MiB);

function writeN(sock, n) {
  return new Promise((resolve) => {
    let left = n;
    const pump = () => {
      while (left > 0) {
        const k = Math.min(left, ZEROS.length);
        left -= k;
        if (!sock.write(k === ZEROS.length ? ZEROS : ZEROS.subarray(0, k))) {
          sock.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
}

async function startSinks(tcpBytes) {
  // up: counts bytes until EOF, then answers the count and closes.
  const up = createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (c) => (n += c.length));
    s.on('end', () => s.end(String(n)));
    s.on('error', () => undefined);
  });
  // down: sends tcpBytes, then closes.
  const down = createServer((s) => {
    s.on('error', () => undefined);
    void writeN(s, tcpBytes).then(() => s.end());
  });
  await Promise.all([up, down].map((srv) => new Promise((r) => srv.listen(0, '127.0.0.1', r))));
  onTeardown('tcp sinks', () => {
    up.close();
    down.close();
  });
  return { up: up.address().port, down: down.address().port };
}

function tunnelRun(localPort, direction, n) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect({ port: localPort, host: '127.0.0.1', allowHalfOpen: true });
    let got = 0;
    let answer = '';
    let error = null;
    const timer = setTimeout(() => {
      error = `no end within ${TIMEOUT_MS / 1000} s`;
      sock.destroy();
    }, TIMEOUT_MS);
    sock.on('error', (e) => (error ??= e.message));
    sock.on('connect', () => {
      if (direction === 'up') void writeN(sock, n).then(() => sock.end());
    });
    sock.on('data', (c) => {
      if (direction === 'up') answer += c.toString('latin1');
      else got += c.length;
    });
    // The far side ended: that is the end of the measurement (our own end follows).
    let tEnd = NaN;
    sock.on('end', () => {
      tEnd = performance.now();
      sock.end();
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const wall = ((Number.isFinite(tEnd) ? tEnd : performance.now()) - t0) / 1000;
      const bytes = direction === 'up' ? Number(answer) : got;
      if (!error && bytes !== n) error = direction === 'up' ? `the sink counted ${answer || 'nothing'}, not ${n}` : `received ${got} of ${n} bytes`;
      resolve({ code: error ? 1 : 0, bytes: n, wall, mbps: error ? NaN : n / wall / MB, stderr: error ?? '' });
    });
  });
}

async function waitForPort(port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.end(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the lab creates a user and runs sshd');
  // --dist DIR: benchmark another build (e.g. an experiment) instead of ./dist. It must sit
  // inside the repository so that node_modules resolves.
  const distDir = opts.dist ? resolve(opts.dist) : join(repoRoot, 'dist');
  const staleWarning = opts.dist ? null : checkDist();
  if (opts.dist) checkDist(distDir);
  if (staleWarning) log(`bench: warning: ${staleWarning}`);
  installSignalTeardown();

  const build = snapshotDist(distDir);
  log(`bench: running a snapshot of dist/ (build ${build.id}, built ${build.builtAt.toISOString()})`);
  const started = new Date();
  const loadStart = loadAvg();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  onTeardown('temp dir', () => rmSync(dir, { recursive: true, force: true }));

  log('bench: setting up the OpenSSH lab…');
  const user = createBenchUser();
  const ssh = await startOpenSsh(dir);
  log(`bench: sshd on 127.0.0.1:${ssh.port} (bastion = target); ${ssh.version}`);

  log('bench: starting Gatehouse…');
  // --cpu-prof DIR: V8 CPU profiles of the service and the remote agent, written when they
  // exit at teardown (for finding where the time goes; the figures of such a run are slower).
  const nodeFlags = opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${opts['cpu-prof']}`] : [];
  const gh = await startGatehouse({ dir, benchUser: user.name, wantTarget: opts.target, log, nodeFlags });
  log(`bench: gatehouse at ${gh.url}, target ${gh.targetUser}@${gh.target}`);
  for (const n of gh.notes) log(`bench: NOTE: ${n}`);

  // Memory: peak RSS (VmHWM) of the service and of the agent serving the target, sampled
  // through the run (the local agent is a child of the service and may start lazily).
  const mem = { service: { idle: memoryOf(gh.service.pid), hwm: 0, windowPeak: 0 }, agent: { pid: null, idle: null, hwm: 0 } };
  const sampleMemory = () => {
    const s = memoryOf(gh.service.pid);
    if (s) {
      mem.service.hwm = Math.max(mem.service.hwm, s.hwmKiB);
      mem.service.windowPeak = Math.max(mem.service.windowPeak, s.rssKiB);
    }
    const apid = gh.agentPid();
    if (apid) {
      if (mem.agent.pid !== apid) {
        mem.agent.pid = apid;
        mem.agent.idle ??= memoryOf(apid);
      }
      const a = memoryOf(apid);
      if (a) mem.agent.hwm = Math.max(mem.agent.hwm, a.hwmKiB);
    }
  };
  sampleMemory();
  const sampler = setInterval(sampleMemory, 250);
  onTeardown('memory sampler', () => clearInterval(sampler));

  const sinks = await startSinks(TCP_MIB * MiB);
  const T = gh.target;
  const TU = gh.targetUser;
  const gateEnv = { GATE_CONFIG_DIR: gh.configDir };
  const sshBase = ['-F', ssh.clientConfig];
  const scriptEnv = { SHELL: '/bin/sh' };

  // Tunnels, started once and used by every round (each round connects anew, like a client would).
  let tunnels = null;
  if (SCENARIOS.some((s) => s.startsWith('tunnel'))) {
    const gUp = startDaemon('gate tunnel (up)', process.execPath, [bins.gate, 'tunnel', T, '--target-port', String(sinks.up)], { env: { ...process.env, ...gateEnv } });
    const gDown = startDaemon('gate tunnel (down)', process.execPath, [bins.gate, 'tunnel', T, '--target-port', String(sinks.down)], { env: { ...process.env, ...gateEnv } });
    const re = /tunnel listening on 127\.0\.0\.1:(\d+) ->/;
    const gUpPort = Number((await gUp.waitFor(re))[1]);
    const gDownPort = Number((await gDown.waitFor(re))[1]);
    const jUpPort = await freePort();
    const jDownPort = await freePort();
    startDaemon('ssh -L', 'ssh', [...sshBase, '-N', '-o', 'ExitOnForwardFailure=yes', '-J', 'bastion',
      '-L', `${jUpPort}:127.0.0.1:${sinks.up}`, '-L', `${jDownPort}:127.0.0.1:${sinks.down}`, 'target']);
    await waitForPort(jUpPort);
    tunnels = { gUpPort, gDownPort, jUpPort, jDownPort };
  }

  // Recordings: sized and removed after each Gatehouse shell run, so a long run does not fill
  // the disk (256 MiB of NULs is ~1.6 GB of asciicast JSON).
  const recordingsDir = join(gh.dataDir, 'recordings');
  const takeRecordings = () => {
    let total = 0;
    const walk = (d) => {
      let es;
      try {
        es = readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of es) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.cast')) {
          total += statSync(p).size;
          unlinkSync(p);
        }
      }
    };
    walk(recordingsDir);
    return total;
  };

  const shellCmd = `head -c ${SHELL_MIB}M /dev/zero`;
  const ptyCmd = `head -c ${PTY_MIB}M /dev/zero | base64`;
  const gateCmd = (args) => [process.execPath, bins.gate, ...args].map(q).join(' ');
  const variants = {
    'shell-bulk': {
      what: `Bulk shell output, no pty (${SHELL_MIB} MiB)`,
      expect: SHELL_MIB * MiB,
      gatehouse: {
        shown: `gate connect ${TU}@${T} -- ${shellCmd}`,
        run: () => readerRun(process.execPath, [bins.gate, 'connect', `${TU}@${T}`, '--', ...shellCmd.split(' ')], { env: gateEnv }),
      },
      jump: {
        shown: `ssh -J bastion -T target '${shellCmd}'`,
        run: () => readerRun('ssh', [...sshBase, '-J', 'bastion', '-T', 'target', shellCmd]),
      },
    },
    'shell-pty': {
      what: `Shell output through a pty (${PTY_MIB} MiB | base64)`,
      expect: null,
      gatehouse: {
        shown: `script -qefc "gate connect -t ${TU}@${T} -- '${ptyCmd}'" /dev/null`,
        run: () => readerRun('script', ['-qefc', `${gateCmd(['connect', '-t', `${TU}@${T}`, '--'])} ${q(ptyCmd)}`, '/dev/null'], { env: { ...gateEnv, ...scriptEnv }, keepStdinOpen: true }),
      },
      jump: {
        shown: `script -qefc "ssh -J bastion -tt target '${ptyCmd}'" /dev/null`,
        run: () => readerRun('script', ['-qefc', `${['ssh', ...sshBase, '-J', 'bastion', '-tt', 'target'].map(q).join(' ')} ${q(ptyCmd)}`, '/dev/null'], { env: scriptEnv, keepStdinOpen: true }),
      },
    },
    'tunnel-up': {
      what: `TCP tunnel, client -> target (${TCP_MIB} MiB)`,
      expect: TCP_MIB * MiB,
      gatehouse: { shown: `push ${TCP_MIB} MiB; gate tunnel ${T} --target-port S`, run: () => tunnelRun(tunnels.gUpPort, 'up', TCP_MIB * MiB) },
      jump: { shown: `push ${TCP_MIB} MiB; ssh -N -J bastion -L L:127.0.0.1:S target`, run: () => tunnelRun(tunnels.jUpPort, 'up', TCP_MIB * MiB) },
    },
    'tunnel-down': {
      what: `TCP tunnel, target -> client (${TCP_MIB} MiB)`,
      expect: TCP_MIB * MiB,
      gatehouse: { shown: `pull ${TCP_MIB} MiB; gate tunnel ${T} --target-port S`, run: () => tunnelRun(tunnels.gDownPort, 'down', TCP_MIB * MiB) },
      jump: { shown: `pull ${TCP_MIB} MiB; ssh -N -J bastion -L L:127.0.0.1:S target`, run: () => tunnelRun(tunnels.jDownPort, 'down', TCP_MIB * MiB) },
    },
  };

  // results[scenario][path] = [{round, mbps, wall, bytes, cpuService, cpuAgent, recording}]
  const results = Object.fromEntries(SCENARIOS.map((s) => [s, { gatehouse: [], jump: [] }]));
  const failures = [];

  for (let round = 0; round <= ROUNDS; round++) {
    const warm = round === 0;
    const k = round % SCENARIOS.length;
    const order = [...SCENARIOS.slice(k), ...SCENARIOS.slice(0, k)];
    log(`bench: ${warm ? 'warm-up round' : `round ${round}/${ROUNDS}`} (load ${loadAvg()})`);
    for (const sc of order) {
      const paths = round % 2 === 0 ? ['gatehouse', 'jump'] : ['jump', 'gatehouse'];
      for (const path of paths) {
        const v = variants[sc];
        const cpu0 = path === 'gatehouse' ? [cpuSecondsOf(gh.service.pid), gh.agentPid() && cpuSecondsOf(gh.agentPid())] : null;
        mem.service.windowPeak = 0;
        const r = await v[path].run();
        sampleMemory();
        const sample = { round, mbps: r.mbps, wall: r.wall, bytes: r.bytes };
        if (cpu0) {
          sample.rssPeak = mem.service.windowPeak;
          sample.cpuService = cpuSecondsOf(gh.service.pid) - cpu0[0];
          const apid = gh.agentPid();
          sample.cpuAgent = apid && cpu0[1] !== null && cpu0[1] !== undefined ? cpuSecondsOf(apid) - cpu0[1] : NaN;
          if (sc.startsWith('shell')) sample.recording = takeRecordings();
        }
        const bad = r.code !== 0 || !(r.bytes > 0) || (v.expect !== null && r.bytes !== v.expect);
        if (bad) {
          sample.mbps = NaN;
          const why = `${sc} ${path} round ${round}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, ${r.bytes} bytes${v.expect !== null ? ` of ${v.expect}` : ''}${r.stderr ? `: ${r.stderr.split('\n').slice(-3).join(' / ')}` : ''}`;
          failures.push(why);
          log(`bench:   FAILED ${why}`);
        } else {
          log(`bench:   ${sc.padEnd(11)} ${path.padEnd(9)} ${fmtRate(r.mbps).padStart(6)} MB/s  wall ${fmtSec(r.wall)}  ${fmtMB(r.bytes)}${sample.cpuService !== undefined ? `  service cpu ${sample.cpuService.toFixed(1)} s, agent cpu ${Number.isFinite(sample.cpuAgent) ? sample.cpuAgent.toFixed(1) : '?'} s` : ''}${sample.recording ? `, recording ${fmtMB(sample.recording)}` : ''}`);
        }
        if (!warm) results[sc][path].push(sample);
      }
    }
  }
  sampleMemory();
  const loadEnd = loadAvg();
  const minutes = (Date.now() - started.getTime()) / 60_000;

  // ------------------------------------------------------------------------------------------
  // Report

  const rows = [];
  for (const sc of SCENARIOS) {
    const g = results[sc].gatehouse;
    const j = results[sc].jump;
    const ratios = g.map((s) => s.mbps / (j.find((x) => x.round === s.round)?.mbps ?? NaN)).filter(Number.isFinite);
    rows.push({ what: variants[sc].what, path: 'gatehouse', command: variants[sc].gatehouse.shown, samples: g, ratios });
    rows.push({ what: variants[sc].what, path: 'jump', command: variants[sc].jump.shown, samples: j });
  }

  const targetDesc = gh.target === 'local'
    ? `\`local\` (the embedded agent, \`gatehouse agent --stdio\`, child of the service)`
    : `\`${gh.target}\` (a real agent on this host: \`gatehouse agent --server\` over WSS)`;
  const header = [
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} on ${cpus().length} cores (${cpuModel()}), kernel ${release()}; ${ssh.version}; node ${process.version}; load avg at start ${loadStart}, end ${loadEnd}; the run took ${minutes.toFixed(1)} min.`,
    `Gatehouse: \`${opts.dist ?? 'dist/'}\` build ${build.id} (built ${build.builtAt.toISOString().replace(/\.\d+Z$/, 'Z')}), HTTPS/WSS with a self-signed certificate (pinned with \`gate login --ca-fingerprint\`), target ${targetDesc}, target user \`${gh.targetUser}\`; every shell and exec recorded. OpenSSH: one \`sshd\` on 127.0.0.1 as both bastion and target, user \`ghbench\`, default ciphers. Sinks: node \`net\` servers in the bench process.`,
    `Repetitions: ${ROUNDS} rounds (+1 warm-up discarded); in each round every scenario runs both paths back to back, scenario order rotated and path order alternated round to round.`,
  ];
  const memLine = `Gatehouse memory: service peak RSS (VmHWM) **${fmtMiB(mem.service.hwm)}** (${fmtMiB(mem.service.idle?.rssKiB)} after setup, before the first round); ${gh.target === 'local' ? 'embedded local agent' : 'agent'} peak RSS **${fmtMiB(mem.agent.hwm)}**${mem.agent.idle ? ` (${fmtMiB(mem.agent.idle.rssKiB)} when first seen)` : ''}.`;

  const cpuRows = ['| Scenario | Gatehouse service CPU s (median) | agent CPU s (median) | service RSS peak during the transfer (median of rounds, sampled every 250 ms) | Recording written (median) |', '|---|---|---|---|---|'];
  for (const sc of SCENARIOS) {
    const g = results[sc].gatehouse;
    const rec = g.map((s) => s.recording).filter((x) => x !== undefined);
    cpuRows.push(`| ${sc} | ${median(g.map((s) => s.cpuService)).toFixed(1)} | ${Number.isFinite(median(g.map((s) => s.cpuAgent))) ? median(g.map((s) => s.cpuAgent)).toFixed(1) : 'n/a'} | ${fmtMiB(median(g.map((s) => s.rssPeak)))} | ${rec.length ? fmtMB(median(rec)) : '— (tunnels are not recorded)'} |`);
  }

  const body = [
    `Command: \`${COMMAND_LINE}\``,
    '',
    ...header,
    ...gh.notes.map((n) => `**Note:** ${n}.`),
    ...(staleWarning ? [`**Note:** ${staleWarning}.`] : []),
    '',
    resultsTable(rows),
    '',
    'MB/s: bytes ÷ time at the reader, first byte → EOF for shells (setup excluded; "Total wall" includes it), and connect → last byte/answer for tunnels (MB = 10⁶ B). Ratio: median of per-round ratios gatehouse ÷ jump (range in brackets); < 1× means Gatehouse is slower.',
    '',
    memLine,
    '',
    'CPU time of the Gatehouse processes per transfer (utime+stime from /proc, the client `gate` not included):',
    '',
    ...cpuRows,
    ...(failures.length ? ['', `Failed runs (excluded): ${failures.length}`, ...failures.map((f) => `- ${f}`)] : []),
  ].join('\n');

  process.stdout.write(`\n${body}\n`);
  if (!opts['no-write']) {
    writeSection(join(repoRoot, 'bench', 'RESULTS.md'), '<!-- bench:throughput:begin -->', '<!-- bench:throughput:end -->', body, '# Gatehouse benchmark results');
    log('bench: figures written to bench/RESULTS.md');
  }
  return failures.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`bench: ${process.env.BENCH_DEBUG ? (e.stack ?? e.message) : e.message}`);
} finally {
  await teardown();
}
process.exit(code);
