#!/usr/bin/env node
import {
  AGENT_PROTOCOL_VERSION,
  CreditedSender,
  DEFAULT_WINDOW,
  RecvWindow,
  TARGET_USER_RE,
  byteStreamTransport,
  decodeFrame,
  encodeFrame
} from "./chunk-KRUCIJFD.js";

// agent/main.ts
import { Socket } from "node:net";
import { hostname } from "node:os";

// agent/runners/exec-runner.ts
import { spawn } from "node:child_process";

// agent/runners/runner.ts
import { constants as osConstants } from "node:os";
import { stat } from "node:fs/promises";

// agent/runners/passwd.ts
import { execFile } from "node:child_process";
var GETENT = "/usr/bin/getent";
function parsePasswdLine(line) {
  const f = line.replace(/\r?\n$/, "").split(":");
  if (f.length !== 7) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0 || f[2] === "" || f[3] === "") return null;
  return { name: f[0], uid, gid, home: f[5] || "/", shell: f[6] || "/bin/sh" };
}
function lookupUser(name) {
  if (!TARGET_USER_RE.test(name)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    execFile(GETENT, ["passwd", "--", name], { timeout: 1e4, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) {
        if (err.code === 2) return resolve(null);
        return reject(new Error(`getent passwd failed: ${err.message.split("\n")[0]}`));
      }
      const entry = parsePasswdLine(stdout.split("\n")[0] ?? "");
      resolve(entry && entry.name === name ? entry : null);
    });
  });
}

// agent/runners/runner.ts
var SETPRIV = "/usr/bin/setpriv";
var ENV = "/usr/bin/env";
var KILL_GRACE_MS = 3e3;
var USER_PATH = "/usr/local/bin:/usr/bin:/bin";
async function resolveUser(name, who) {
  let user;
  try {
    user = await lookupUser(name);
  } catch (e) {
    return { ok: false, code: "SPAWN_FAILED", message: e.message };
  }
  if (!user) return { ok: false, code: "TARGET_USER_UNKNOWN", message: `no user "${name}" on this host` };
  if (who.uid !== 0 && user.uid !== who.uid) {
    return { ok: false, code: "NOT_PERMITTED", message: `the agent is not root and can only run as its own user, not "${name}"` };
  }
  return { ok: true, user };
}
async function buildLaunch(user, who, argv2, extra) {
  const extraEnv = Object.entries(extra).filter((e) => typeof e[1] === "string");
  const cwd = await isDir(user.home) ? user.home : "/";
  if (who.uid === 0) {
    const args2 = [
      "--reuid",
      String(user.uid),
      "--regid",
      String(user.gid),
      "--init-groups",
      "--reset-env",
      "--",
      ENV,
      ...extraEnv.map(([k, v]) => `${k}=${v}`),
      ...argv2
    ];
    return { file: SETPRIV, args: args2, env: extra.TERM ? { TERM: extra.TERM } : {}, cwd, user };
  }
  const env = { HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell, PATH: USER_PATH };
  for (const [k, v] of extraEnv) env[k] = v;
  return { file: argv2[0], args: argv2.slice(1), env, cwd, user };
}
async function isDir(p) {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
var SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));
function signalName(n) {
  if (!n) return void 0;
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

// agent/runners/exec-runner.ts
var DEFAULT_LANG = "C.UTF-8";
async function startExec(spec, who, sink) {
  const u = await resolveUser(spec.targetUser, who);
  if (!u.ok) return u;
  const launch = await buildLaunch(u.user, who, [u.user.shell, "-c", spec.command], { LANG: spec.lang ?? DEFAULT_LANG });
  const child = spawn(launch.file, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const started = await new Promise((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (e) => resolve(e));
  });
  if (started) return { ok: false, code: "SPAWN_FAILED", message: `cannot start the command: ${started.message}` };
  return { ok: true, runner: new ExecRunner(child, sink, u.user.shell) };
}
var ExecRunner = class {
  constructor(child, sink, shell) {
    this.child = child;
    this.shell = shell;
    const { stdin, stdout, stderr } = child;
    stdin.on("error", () => {
    });
    stdout.on("data", (b) => sink.output("data", b));
    stderr.on("data", (b) => sink.output("stderr", b));
    child.on("close", (code, signal) => {
      this.closed = true;
      sink.exit(signal ? null : code, signal ?? void 0);
      for (const w of this.closeWaiters.splice(0)) w();
    });
    child.on("error", () => {
    });
  }
  child;
  shell;
  closed = false;
  closeWaiters = [];
  write(data, done) {
    const stdin = this.child.stdin;
    if (this.closed || stdin.destroyed || stdin.writableEnded) return done();
    stdin.write(data, () => done());
  }
  endInput() {
    const stdin = this.child.stdin;
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  }
  resize() {
  }
  pauseOutput() {
    this.child.stdout.pause();
    this.child.stderr.pause();
  }
  resumeOutput() {
    this.child.stdout.resume();
    this.child.stderr.resume();
  }
  kill() {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.child.stdout.resume();
      this.child.stderr.resume();
      this.child.stdin.destroy();
      this.signalGroup("SIGTERM");
      const t = setTimeout(() => this.signalGroup("SIGKILL"), KILL_GRACE_MS);
      t.unref();
      this.closeWaiters.push(() => clearTimeout(t));
    });
  }
  signalGroup(sig) {
    if (this.closed || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
      }
    }
  }
};

// agent/runners/pty-runner.ts
import * as nodePty from "node-pty";
var DEFAULT_LANG2 = "C.UTF-8";
var WRITE_POLL_MS = 10;
async function startPty(spec, who, sink) {
  const u = await resolveUser(spec.targetUser, who);
  if (!u.ok) return u;
  const shell = u.user.shell;
  const argv2 = spec.kind === "shell" ? [shell, "-l"] : [shell, "-c", spec.command];
  const launch = await buildLaunch(u.user, who, argv2, { TERM: spec.pty.term, LANG: spec.lang ?? DEFAULT_LANG2 });
  let pty;
  try {
    pty = nodePty.spawn(launch.file, launch.args, {
      name: spec.pty.term,
      cols: spec.pty.cols,
      rows: spec.pty.rows,
      cwd: launch.cwd,
      env: launch.env,
      // Raw bytes: UTF-8 sequences split across reads are reassembled by whoever decodes.
      encoding: null
    });
  } catch (e) {
    return { ok: false, code: "SPAWN_FAILED", message: `cannot start a pty: ${e.message}` };
  }
  return { ok: true, runner: new PtyRunner(pty, sink, shell) };
}
var PtyRunner = class {
  constructor(pty, sink, shell) {
    this.pty = pty;
    this.sink = sink;
    this.shell = shell;
    pty.onData((d) => {
      const buf = typeof d === "string" ? Buffer.from(d) : d;
      sink.output("data", buf);
    });
    pty.onExit(({ exitCode, signal }) => {
      this.exited = true;
      this.releaseWriters();
      const sig = signalName(signal);
      sink.exit(sig ? null : exitCode, sig);
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }
  pty;
  sink;
  shell;
  exited = false;
  exitWaiters = [];
  writeWaiters = [];
  writeTimer = null;
  write(data, done) {
    if (this.exited) return done();
    this.pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.writeWaiters.push(done);
    this.pollWrites();
  }
  /**
   * node-pty queues writes internally without reporting when they drain. Credit is granted
   * back only once that queue is empty, so a shell that does not read its input cannot make
   * the agent buffer without bound. The queue is private API; without it, grant at once.
   */
  pollWrites() {
    if (this.writeTimer) return;
    const queue = this.pty._writeStream?._writeQueue;
    if (!Array.isArray(queue) || queue.length === 0) {
      this.writeTimer = setTimeout(() => {
        this.writeTimer = null;
        this.releaseWriters();
      }, 0);
      return;
    }
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      this.pollWrites();
    }, WRITE_POLL_MS);
  }
  releaseWriters() {
    if (this.writeTimer && this.exited) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
    for (const w of this.writeWaiters.splice(0)) w();
  }
  endInput() {
  }
  resize(cols, rows) {
    if (this.exited) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
    }
  }
  pauseOutput() {
    this.pty.pause();
  }
  resumeOutput() {
    this.pty.resume();
  }
  kill() {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      this.pty.resume();
      this.signal("SIGHUP");
      const t = setTimeout(() => this.signal("SIGKILL"), KILL_GRACE_MS);
      t.unref();
      this.exitWaiters.push(() => clearTimeout(t));
    });
  }
  signal(sig) {
    if (this.exited) return;
    try {
      this.pty.kill(sig);
    } catch {
    }
  }
};

// agent/runners/tcp-runner.ts
import { connect } from "node:net";
var CONNECT_TIMEOUT_MS = 15e3;
function startTcp(spec, sink, connectTimeoutMs = CONNECT_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port, allowHalfOpen: true });
    const where = `${spec.host}:${spec.port}`;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, code: "CONNECT_FAILED", message: `connect to ${where} timed out` });
    }, connectTimeoutMs);
    const onError = (e) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, code: "CONNECT_FAILED", message: `connect to ${where} failed: ${e.code ?? e.message}` });
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setNoDelay(true);
      resolve({ ok: true, runner: new TcpRunner(socket, sink) });
    });
  });
}
var TcpRunner = class {
  constructor(socket, sink) {
    this.socket = socket;
    socket.on("data", (b) => sink.output("data", b));
    socket.on("end", () => sink.outputEnd());
    socket.on("error", (e) => {
      this.error ??= `connection error: ${e.code ?? e.message}`;
    });
    socket.on("close", (hadError) => {
      this.gone = true;
      if (hadError || this.error) sink.fail(this.error ?? "connection error");
      else sink.exit(0);
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }
  socket;
  shell = void 0;
  error = null;
  gone = false;
  closeWaiters = [];
  write(data, done) {
    if (this.gone || this.socket.destroyed || this.socket.writableEnded) return done();
    this.socket.write(data, () => done());
  }
  endInput() {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  }
  resize() {
  }
  pauseOutput() {
    this.socket.pause();
  }
  resumeOutput() {
    this.socket.resume();
  }
  kill() {
    if (this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.socket.destroy();
    });
  }
};

// agent/agent-session.ts
var EMPTY = new Uint8Array(0);
var MAX_TEXT = 1024;
var AgentSession = class {
  constructor(transport, opts) {
    this.transport = transport;
    this.opts = opts;
    this.closed = new Promise((r) => this.resolveClosed = r);
    this.maxStreams = opts.maxStreams ?? 1024;
    this.window = opts.window ?? DEFAULT_WINDOW;
  }
  transport;
  opts;
  /** Resolves with the reason once the link has ended and every runner is gone. */
  closed;
  resolveClosed;
  streams = /* @__PURE__ */ new Map();
  /** Opens in progress; the link's end waits for them too, so no runner outlives it. */
  starting = /* @__PURE__ */ new Set();
  helloSeen = false;
  ended = false;
  maxStreams;
  window;
  start() {
    this.transport.start({ frame: (b) => this.onFrame(b), invalid: (r) => this.protocolError(r), end: (r) => this.onEnd(r) });
    this.send({ type: "hello", stream: 0, body: { role: "agent", v: AGENT_PROTOCOL_VERSION, name: this.opts.name, hostname: this.opts.hostname, agentVersion: this.opts.agentVersion } });
  }
  /** Ends the link and kills every runner; resolves when they are gone. */
  close(reason) {
    this.transport.close(reason);
    return this.closed;
  }
  get streamCount() {
    return this.streams.size;
  }
  send(f) {
    if (!this.ended) this.transport.send(encodeFrame(f));
  }
  protocolError(reason) {
    if (this.ended) return;
    this.opts.log(`gatehouse agent: protocol error: ${reason}; closing the link`);
    this.transport.close(`protocol error: ${reason}`);
  }
  onEnd(reason) {
    if (this.ended) return;
    this.ended = true;
    const kills = [];
    for (const s of this.streams.values()) {
      s.done = true;
      s.sender.close();
      if (s.runner) kills.push(s.runner.kill());
    }
    this.streams.clear();
    const timeout = new Promise((r) => setTimeout(r, this.opts.killTimeoutMs ?? 5e3).unref());
    void Promise.race([Promise.all([...kills, ...this.starting]), timeout]).then(() => this.resolveClosed(reason));
  }
  onFrame(bytes) {
    if (this.ended) return;
    const r = decodeFrame(bytes);
    if (!r.ok) return this.protocolError(r.error);
    const f = r.frame;
    if (!this.helloSeen) {
      if (f.type !== "hello") return this.protocolError(`expected hello, got ${f.type}`);
      if (f.body.role !== "gateway") return this.protocolError("hello from a peer that is not a gateway");
      if (f.body.v !== AGENT_PROTOCOL_VERSION) return this.protocolError(`unsupported protocol version ${f.body.v} (this agent speaks ${AGENT_PROTOCOL_VERSION})`);
      this.helloSeen = true;
      return;
    }
    switch (f.type) {
      case "ping":
        return this.send({ type: "pong", stream: 0, nonce: f.nonce });
      case "pong":
        return;
      case "open": {
        const p = this.onOpen(f.stream, f.body.spec, f.body.window);
        this.starting.add(p);
        void p.finally(() => this.starting.delete(p));
        return;
      }
      case "hello":
      case "opened":
      case "open_failed":
      case "stderr":
      case "exit":
        return this.protocolError(`the gateway may not send ${f.type}`);
    }
    const s = this.streams.get(f.stream);
    if (!s) return;
    switch (f.type) {
      case "data": {
        if (s.phase === "opening" || !s.recv) return this.protocolError(`data on stream ${s.id} before it was opened`);
        const n = f.data.length;
        if (!s.recv.receive(n)) return this.protocolError(`stream ${s.id} sent ${n} bytes beyond its credit`);
        if (s.done || s.finishing) return;
        s.runner.write(f.data, () => {
          if (s.done) return;
          const grant = s.recv.drained(n);
          if (grant > 0) this.send({ type: "credit", stream: s.id, bytes: grant });
        });
        return;
      }
      case "credit": {
        const err = s.sender.grant(f.bytes);
        if (err) return this.protocolError(`stream ${s.id}: ${err}`);
        if (s.paused && s.sender.backlog === 0 && !s.done) {
          s.paused = false;
          s.runner?.resumeOutput();
        }
        return;
      }
      case "resize":
        return this.whenOpen(s, () => s.runner.resize(f.body.cols, f.body.rows));
      case "eof":
        return this.whenOpen(s, () => s.runner.endInput());
      case "close":
        return this.closeStream(s);
    }
  }
  whenOpen(s, fn) {
    if (s.done) return;
    if (s.phase === "opening") s.early.push(fn);
    else fn();
  }
  /** The gateway closed the stream: kill the runner; nothing more is sent for it. */
  closeStream(s) {
    s.done = true;
    this.streams.delete(s.id);
    s.sender.close();
    if (s.runner) void s.runner.kill();
  }
  async onOpen(id, spec, window) {
    if (this.streams.has(id)) return this.protocolError(`stream ${id} is already open`);
    if (this.streams.size >= this.maxStreams) {
      return this.send({ type: "open_failed", stream: id, body: { code: "SPAWN_FAILED", message: `too many open streams (${this.maxStreams})` } });
    }
    const s = {
      id,
      phase: "opening",
      done: false,
      finishing: false,
      runner: null,
      recv: null,
      paused: false,
      early: [],
      sender: new CreditedSender(window, (kind, chunk) => this.send({ type: kind, stream: id, data: chunk }))
    };
    this.streams.set(id, s);
    let result;
    try {
      result = await this.startRunner(spec, this.sinkFor(s));
    } catch (e) {
      result = { ok: false, code: "SPAWN_FAILED", message: `cannot start: ${e.message}` };
    }
    if (s.done) {
      if (result.ok) await result.runner.kill();
      return;
    }
    if (!result.ok) {
      this.streams.delete(id);
      return this.sendOpenFailed(id, result.code, result.message);
    }
    s.runner = result.runner;
    s.phase = "open";
    s.recv = new RecvWindow(this.window);
    this.send({ type: "opened", stream: id, body: { window: this.window, ...result.runner.shell ? { shell: result.runner.shell } : {} } });
    for (const fn of s.early.splice(0)) {
      if (!s.done) fn();
    }
  }
  sendOpenFailed(id, code, message) {
    this.send({ type: "open_failed", stream: id, body: { code, message: clip(message || code) } });
  }
  startRunner(spec, sink) {
    const who = this.opts.identity;
    switch (spec.kind) {
      case "shell":
        return startPty(spec, who, sink);
      case "exec":
        return spec.pty ? startPty({ ...spec, pty: spec.pty }, who, sink) : startExec(spec, who, sink);
      case "tcp":
        return startTcp(spec, sink);
    }
  }
  sinkFor(s) {
    const live = (fn) => {
      if (s.done || s.finishing) return;
      if (s.phase === "opening") s.early.push(fn);
      else fn();
    };
    const finish = (frame) => live(() => {
      s.finishing = true;
      s.sender.enqueue("data", EMPTY, () => {
        if (s.done) return;
        this.send(frame);
        s.done = true;
        this.streams.delete(s.id);
      });
    });
    return {
      output: (kind, chunk) => live(() => {
        s.sender.enqueue(kind, chunk);
        if (s.sender.backlog > 0 && !s.paused) {
          s.paused = true;
          s.runner.pauseOutput();
        }
      }),
      outputEnd: () => live(() => {
        s.sender.enqueue("data", EMPTY, () => {
          if (!s.done) this.send({ type: "eof", stream: s.id });
        });
      }),
      exit: (code, signal) => {
        const c = code !== null && Number.isInteger(code) && code >= 0 && code <= 255 ? code : null;
        finish({ type: "exit", stream: s.id, body: { code: c, ...signal ? { signal: signal.slice(0, 32) } : {} } });
      },
      fail: (reason) => finish({ type: "close", stream: s.id, body: { reason: clip(reason) } })
    };
  }
};
function clip(text) {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + "\u2026" : text;
}

// agent/agent-cli.ts
var AGENT_VERSION = "0.1.0";
var AGENT_USAGE = `usage: gatehouse agent --stdio [--name NAME]
       gatehouse agent --server URL --name NAME [--registration-key ID:SECRET] [--environment ENV]
                       [--state-dir D] [--ca-fingerprint sha256:HEX]

  --stdio    speak the agent link on stdin/stdout (the embedded agent of the bastion's
             own "local" target; started by the service, not by hand)
  --server   dial the Gatehouse service at URL over a websocket (not implemented yet)
  --help     show this help`;
var VALUE_FLAGS = {
  "--server": "server",
  "--name": "name",
  "--registration-key": "registrationKey",
  "--environment": "environment",
  "--state-dir": "stateDir",
  "--ca-fingerprint": "caFingerprint"
};
function parseAgentArgs(argv2) {
  const values = {};
  let stdio = false;
  for (let i = 0; i < argv2.length; i++) {
    const arg = argv2[i];
    if (arg === "--help" || arg === "-h") return { mode: "help" };
    if (arg === "--stdio") {
      stdio = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (Object.hasOwn(VALUE_FLAGS, flag)) {
      const key = VALUE_FLAGS[flag];
      const value = eq > 0 ? arg.slice(eq + 1) : argv2[++i];
      if (value === void 0 || value === "") return { mode: "usage-error", message: `${flag} needs a value` };
      values[key] = value;
      continue;
    }
    return { mode: "usage-error", message: arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument ${arg}` };
  }
  if (stdio && values.server) return { mode: "usage-error", message: "--stdio and --server exclude each other" };
  if (stdio) return { mode: "stdio", name: values.name ?? "local" };
  if (values.server) return { mode: "server", ...values, server: values.server };
  return { mode: "usage-error", message: "one of --stdio or --server is required" };
}

// agent/main.ts
var argv = process.argv.slice(2);
if (argv[0] === "agent") argv.shift();
var args = parseAgentArgs(argv);
switch (args.mode) {
  case "help":
    process.stdout.write(AGENT_USAGE + "\n");
    process.exit(0);
  case "usage-error":
    process.stderr.write(`gatehouse agent: ${args.message}
${AGENT_USAGE}
`);
    process.exit(2);
  case "server":
    process.stderr.write("gatehouse agent: --server mode is not implemented yet; use --stdio\n");
    process.exit(2);
  case "stdio":
    runStdio(args.name);
    break;
}
function runStdio(name) {
  const toStderr = (...a) => console.error(...a);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  const log = (line) => process.stderr.write(line + "\n");
  const session = new AgentSession(byteStreamTransport(process.stdin, stdoutSink()), {
    name,
    hostname: hostname(),
    agentVersion: AGENT_VERSION,
    identity: { uid: process.getuid?.() ?? -1 },
    log
  });
  let exitCode = 0;
  void session.closed.then(() => process.exit(exitCode));
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
    process.on(sig, () => void session.close(`received ${sig}`));
  }
  process.on("uncaughtException", (e) => {
    log(`gatehouse agent: internal error: ${e.stack ?? e.message}`);
    exitCode = 1;
    void session.close("internal error");
  });
  session.start();
}
function stdoutSink() {
  try {
    return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    return process.stdout;
  }
}
//# sourceMappingURL=main-4UW4UQTT.js.map
