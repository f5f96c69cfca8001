#!/usr/bin/env node
import {
  AGENT_PROTOCOL_VERSION,
  CreditedSender,
  DEFAULT_WINDOW,
  MAX_FRAME_BYTES,
  RecvWindow,
  TARGET_USER_RE,
  agentAuthMessage,
  byteStreamTransport,
  decodeFrame,
  encodeFrame,
  webSocketTransport
} from "./chunk-QCJBM2DP.js";
import {
  normalizeFingerprint
} from "./chunk-ZDDZ32MX.js";
import {
  AGENT_CLOSE
} from "./chunk-KULFBB7O.js";

// agent/main.ts
import { Socket } from "node:net";
import { hostname as hostname2 } from "node:os";

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
  accepted = false;
  lastFrameAt = 0;
  keepaliveTimer = null;
  ended = false;
  maxStreams;
  window;
  start() {
    this.transport.start({ frame: (b) => this.onFrame(b), invalid: (r) => this.protocolError(r), end: (r) => this.onEnd(r) });
    if (!this.opts.sign) this.sayHello();
  }
  sayHello(signature) {
    this.send({
      type: "hello",
      stream: 0,
      body: { role: "agent", v: AGENT_PROTOCOL_VERSION, name: this.opts.name, hostname: this.opts.hostname, agentVersion: this.opts.agentVersion, ...signature ? { signature } : {} }
    });
  }
  accept() {
    this.accepted = true;
    this.opts.onAccepted?.();
    const k = this.opts.keepalive;
    if (!k || this.ended) return;
    let nonce = 0;
    this.keepaliveTimer = setInterval(() => {
      if (performance.now() - this.lastFrameAt >= k.timeoutMs) {
        this.opts.log(`gatehouse agent: nothing from the service for ${k.timeoutMs / 1e3}s; closing the link`);
        return this.transport.close(`no frame from the service for ${k.timeoutMs / 1e3}s`);
      }
      nonce = nonce + 1 >>> 0;
      this.send({ type: "ping", stream: 0, nonce });
    }, Math.min(k.intervalMs, k.timeoutMs / 2));
    this.keepaliveTimer.unref();
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
    this.transport.close(`protocol error: ${reason}`, 1002);
  }
  onEnd(reason) {
    if (this.ended) return;
    this.ended = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
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
    this.lastFrameAt = performance.now();
    const r = decodeFrame(bytes);
    if (!r.ok) return this.protocolError(r.error);
    const f = r.frame;
    if (!this.helloSeen) {
      if (f.type !== "hello") return this.protocolError(`expected hello, got ${f.type}`);
      if (f.body.role !== "gateway") return this.protocolError("hello from a peer that is not a gateway");
      if (f.body.v !== AGENT_PROTOCOL_VERSION) return this.protocolError(`unsupported protocol version ${f.body.v} (this agent speaks ${AGENT_PROTOCOL_VERSION})`);
      this.helloSeen = true;
      const challenge = f.body.challenge;
      if (this.opts.sign) {
        if (challenge === void 0) return this.protocolError("the gateway sent no challenge; refusing to serve an unauthenticated link");
        let signature;
        try {
          signature = this.opts.sign(agentAuthMessage(challenge, this.opts.name));
        } catch (e) {
          this.opts.log(`gatehouse agent: cannot sign the challenge: ${e.message}`);
          return this.transport.close("cannot sign the challenge");
        }
        return this.sayHello(signature);
      }
      if (challenge !== void 0) return this.protocolError("the gateway sent a challenge, but this agent has no identity to answer it");
      return this.accept();
    }
    if (!this.accepted) this.accept();
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

// agent/server-mode.ts
import { hostname } from "node:os";

// agent/agent-state.ts
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, stat as stat2 } from "node:fs/promises";
import { join } from "node:path";
var DEFAULT_STATE_DIR = "/var/lib/gatehouse-agent";
var IDENTITY = "identity.pem";
var SERVER = "server.json";
var StateError = class extends Error {
};
async function ensureStateDir(dir) {
  await mkdir(dir, { recursive: true, mode: 448 });
  const st = await stat2(dir);
  if (!st.isDirectory()) throw new StateError(`state dir ${dir} is not a directory`);
  if ((st.mode & 63) !== 0) await chmod(dir, 448);
}
async function readIfExists(path) {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw e;
  }
}
async function writePrivate(path, text) {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 384);
  try {
    await fh.chmod(384);
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
function identityOf(key) {
  if (key.asymmetricKeyType !== "ed25519") throw new StateError("identity.pem is not an Ed25519 key");
  return {
    publicKeyPem: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
    sign: (message) => sign(null, Buffer.from(message, "utf8"), key).toString("base64url")
  };
}
async function loadOrCreateIdentity(dir) {
  const path = join(dir, IDENTITY);
  const pem = await readIfExists(path);
  if (pem !== null) {
    let key;
    try {
      key = createPrivateKey(pem);
    } catch (e) {
      throw new StateError(`cannot read ${path}: ${e.message}`);
    }
    if (((await stat2(path)).mode & 63) !== 0) await chmod(path, 384);
    return { identity: identityOf(key), created: false };
  }
  const { privateKey } = generateKeyPairSync("ed25519");
  await writePrivate(path, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  return { identity: identityOf(privateKey), created: true };
}
async function loadServerState(dir) {
  const path = join(dir, SERVER);
  const text = await readIfExists(path);
  if (text === null) return null;
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new StateError(`${path} is not valid JSON: ${e.message}`);
  }
  if (typeof v.server !== "string" || typeof v.name !== "string" || typeof v.targetId !== "string") throw new StateError(`${path} is incomplete; remove it and register again`);
  return {
    server: v.server,
    name: v.name,
    targetId: v.targetId,
    environment: typeof v.environment === "string" ? v.environment : null,
    fingerprint: typeof v.fingerprint === "string" ? v.fingerprint : null,
    certPem: typeof v.certPem === "string" ? v.certPem : null,
    registeredAt: typeof v.registeredAt === "string" ? v.registeredAt : ""
  };
}
async function saveServerState(dir, s) {
  await writePrivate(join(dir, SERVER), JSON.stringify(s, null, 2) + "\n");
}

// agent/registration.ts
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
var MAX_REPLY = 64 * 1024;
var TIMEOUT_MS = 2e4;
var RegistrationError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "RegistrationError";
  }
  status;
  /** A refusal that trying again will not change (bad key, name taken, bad request). */
  get permanent() {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
};
function registerAgent(e, trust, key, body) {
  const payload = JSON.stringify(body);
  const url = new URL("/api/v1/agents/register", e.origin);
  const request = e.secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), "x-api-key": key },
        timeout: TIMEOUT_MS,
        ...e.secure ? trust : {}
      },
      (res) => {
        const chunks = [];
        let size = 0;
        res.on("data", (c) => {
          size += c.length;
          if (size > MAX_REPLY) req.destroy(new Error("reply too large"));
          else chunks.push(c);
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          let json = null;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
          }
          if ((status === 200 || status === 201) && typeof json?.targetId === "string") {
            resolve({ targetId: json.targetId, name: json.name, created: status === 201 });
          } else {
            const msg = typeof json?.error?.message === "string" ? json.error.message : `HTTP ${status}`;
            reject(new RegistrationError(msg, status));
          }
        });
        res.on("error", (err) => reject(new RegistrationError(`cannot reach ${e.origin}: ${err.message}`, 0)));
      }
    );
    req.on("timeout", () => req.destroy(new Error(`no reply within ${TIMEOUT_MS / 1e3}s`)));
    req.on("error", (err) => reject(new RegistrationError(`cannot reach ${e.origin}: ${err.message}`, 0)));
    req.end(payload);
  });
}

// agent/remote-agent.ts
import WebSocket from "ws";
var DEFAULT_BACKOFF = { baseMs: 500, capMs: 3e4, resetAfterMs: 1e4 };
function backoffDelay(n, random, p = DEFAULT_BACKOFF) {
  const exp = Math.min(p.capMs, p.baseMs * 2 ** Math.min(n, 30));
  return Math.min(p.capMs, Math.round(exp * (0.8 + 0.4 * random())));
}
var RemoteAgent = class {
  constructor(opts) {
    this.opts = opts;
    this.policy = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.random = opts.random ?? Math.random;
  }
  opts;
  stopping = false;
  session = null;
  ws = null;
  wake = null;
  policy;
  random;
  /** Runs until stop(); resolves once the last link is gone and its runners are dead. */
  async run() {
    let failures = 0;
    while (!this.stopping) {
      const a = await this.connectOnce();
      if (this.stopping) break;
      if (a.accepted) this.opts.log(`gatehouse agent: disconnected: ${a.reason}`);
      else this.opts.log(`gatehouse agent: cannot connect to ${this.opts.origin}: ${a.reason}`);
      if (a.accepted && a.upMs >= this.policy.resetAfterMs) failures = 0;
      const delay = backoffDelay(failures++, this.random, this.policy);
      this.opts.log(`gatehouse agent: retrying in ${(delay / 1e3).toFixed(1)}s`);
      await this.sleep(delay);
    }
  }
  /** Ends the current link (killing everything it runs) and the loop. */
  async stop(reason) {
    this.stopping = true;
    this.wake?.();
    const session = this.session;
    if (session) await session.close(reason);
    else this.ws?.terminate();
  }
  sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
  connectOnce() {
    const o = this.opts;
    return new Promise((resolve) => {
      let settled = false;
      let session = null;
      let acceptedAt = 0;
      let closeCode = 0;
      let closeText = "";
      const finish = (reason) => {
        if (settled) return;
        settled = true;
        this.ws = null;
        this.session = null;
        resolve({ accepted: acceptedAt > 0, upMs: acceptedAt ? performance.now() - acceptedAt : 0, reason });
      };
      const ws = new WebSocket(o.wsUrl, { ...o.trust, maxPayload: MAX_FRAME_BYTES + 4, handshakeTimeout: 15e3 });
      this.ws = ws;
      ws.on("error", (e) => {
        if (!session) finish(e.message);
      });
      ws.on("close", (code, reason) => {
        closeCode = code;
        closeText = reason.toString("utf8");
        if (!session) finish(`closed before it opened (${code})`);
      });
      ws.once("open", () => {
        if (this.stopping) return ws.close(1e3, "agent stopping");
        const s = new AgentSession(webSocketTransport(ws, { peer: "the service" }), {
          name: o.name,
          hostname: o.hostname,
          agentVersion: o.agentVersion,
          identity: { uid: o.uid },
          log: o.log,
          sign: o.identity.sign,
          keepalive: { intervalMs: 15e3, timeoutMs: 45e3 },
          onAccepted: () => {
            acceptedAt = performance.now();
            clearTimeout(acceptTimer);
            o.log(`gatehouse agent: connected to ${o.origin} as ${o.name}`);
          }
        });
        session = s;
        this.session = s;
        const acceptMs = o.acceptTimeoutMs ?? 2e4;
        const acceptTimer = setTimeout(() => void s.close(`the service did not accept this agent within ${acceptMs / 1e3}s`), acceptMs);
        s.start();
        void s.closed.then((reason) => {
          clearTimeout(acceptTimer);
          if (closeCode === AGENT_CLOSE.AUTH_FAILED) {
            reason = `the service refused this agent (${closeText || "agent authentication failed"}): its target may have been deleted; an admin can register it again (run once with --registration-key)`;
          }
          finish(reason);
        });
      });
    });
  }
};

// agent/server-endpoint.ts
import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect as connect2 } from "node:tls";
function isLoopbackHost(host) {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
function parseServerUrl(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return { error: `--server must be a URL like https://bastion.example:8443, not ${JSON.stringify(text)}` };
  }
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  if (!secure && url.protocol !== "http:" && url.protocol !== "ws:") return { error: `--server must be an https:// (or wss://) URL, not ${url.protocol}` };
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!secure && !isLoopbackHost(host)) return { error: `plain ${url.protocol.slice(0, -1)}:// is accepted only for a service on a loopback address; use https://` };
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  return { origin: `${secure ? "https" : "http"}://${url.host}`, secure, host, port };
}
function wsUrlOf(e) {
  return `${e.secure ? "wss" : "ws"}${e.origin.slice(e.secure ? 5 : 4)}/ws/agent`;
}
function fingerprintOfDer(der) {
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}
function trustOptions(pin) {
  if (!pin) return {};
  return {
    ca: [pin.certPem],
    checkServerIdentity(_host, cert) {
      const seen = cert.raw ? fingerprintOfDer(cert.raw) : "unknown";
      if (seen === pin.fingerprint) return void 0;
      return new Error(`the service's certificate ${seen} is not the pinned ${pin.fingerprint}`);
    }
  };
}
function fetchServerCertificate(e, timeoutMs = 1e4) {
  return new Promise((resolve, reject) => {
    const socket = connect2({ host: e.host, port: e.port, ...isIP(e.host) ? {} : { servername: e.host }, rejectUnauthorized: false });
    const fail = (why) => {
      socket.destroy();
      reject(new Error(`cannot reach ${e.origin}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail("timed out during the TLS handshake"));
    socket.once("error", (err) => fail(err.message));
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.raw) return reject(new Error(`${e.origin} presented no certificate`));
      resolve({ fingerprint: fingerprintOfDer(cert.raw), certPem: new X509Certificate(cert.raw).toString() });
    });
  });
}

// agent/server-mode.ts
var NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
var KEY_RE = /^gk_[a-z0-9]{12}:[A-Za-z0-9_-]{43}$/;
var UsageError = class extends Error {
};
var FatalError = class extends Error {
};
async function runServerMode(args2, io) {
  try {
    return await run(args2, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.log(`gatehouse agent: ${e.message}`);
      return 2;
    }
    if (e instanceof FatalError || e instanceof StateError) {
      io.log(`gatehouse agent: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
async function run(args2, io) {
  const log = io.log;
  const endpoint = parseServerUrl(args2.server);
  if ("error" in endpoint) throw new UsageError(endpoint.error);
  const wantPin = args2.caFingerprint === void 0 ? null : normalizeFingerprint(args2.caFingerprint);
  if (args2.caFingerprint !== void 0 && !wantPin) throw new UsageError("--ca-fingerprint must look like sha256:HEX (64 hex digits), as gatehouse serve prints it");
  if (wantPin && !endpoint.secure) throw new UsageError("--ca-fingerprint needs an https:// service");
  if (args2.name !== void 0 && !NAME_RE.test(args2.name)) throw new UsageError("--name must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit");
  if (args2.environment !== void 0 && !NAME_RE.test(args2.environment)) throw new UsageError("--environment must be 1-64 letters, digits, dots, dashes or underscores");
  const key = args2.registrationKey;
  if (key !== void 0 && !KEY_RE.test(key)) throw new UsageError("--registration-key must be ID:SECRET as gatehouse keys create --registration printed it");
  const stateDir = args2.stateDir ?? DEFAULT_STATE_DIR;
  const stored = await loadServerState(stateDir);
  const sameServer = stored !== null && stored.server === endpoint.origin;
  if (key === void 0) {
    if (!stored) throw new UsageError("not registered yet: give --registration-key ID:SECRET");
    if (!sameServer) throw new UsageError(`registered with ${stored.server}, not ${endpoint.origin}: give --registration-key ID:SECRET to register with it`);
    if (args2.name !== void 0 && args2.name !== stored.name) throw new UsageError(`registered as ${stored.name}, not ${args2.name}: give --registration-key ID:SECRET to register under the new name`);
  }
  const name = args2.name ?? stored?.name;
  if (!name) throw new UsageError("--name NAME is required");
  let stopped = null;
  let wake = null;
  let agent = null;
  let stopping = Promise.resolve();
  io.onStop((why) => {
    if (stopped !== null) return;
    stopped = why;
    log(`gatehouse agent: ${why}; stopping`);
    wake?.();
    if (agent) stopping = agent.stop(`agent stopping (${why})`);
  });
  const sleep = (ms) => new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      wake = null;
      resolve();
    }
    wake = done;
  });
  await ensureStateDir(stateDir);
  const { identity, created } = await loadOrCreateIdentity(stateDir);
  if (created) log(`gatehouse agent: created a new identity in ${stateDir}/identity.pem`);
  let pin = sameServer && stored.fingerprint && stored.certPem ? { fingerprint: stored.fingerprint, certPem: stored.certPem } : null;
  const needFetch = wantPin !== null && pin?.fingerprint !== wantPin;
  let state = sameServer ? stored : null;
  for (let attempt = 0; needFetch || key !== void 0; attempt++) {
    if (stopped !== null) return 0;
    try {
      if (needFetch && pin?.fingerprint !== wantPin) {
        const seen = await fetchServerCertificate(endpoint);
        if (seen.fingerprint !== wantPin) throw new FatalError(`the service's certificate fingerprint ${seen.fingerprint} does not match --ca-fingerprint`);
        pin = seen;
      }
      if (key !== void 0) {
        const r = await registerAgent(endpoint, trustOptions(pin), key, {
          name,
          hostname: hostname(),
          publicKey: identity.publicKeyPem,
          ...args2.environment ? { environment: args2.environment } : {}
        });
        log(`gatehouse agent: ${r.created ? "registered" : "already registered"} as ${r.name} with ${endpoint.origin}`);
        state = { server: endpoint.origin, name, targetId: r.targetId, environment: args2.environment ?? null, fingerprint: null, certPem: null, registeredAt: (/* @__PURE__ */ new Date()).toISOString() };
      }
      state = { ...state, fingerprint: pin?.fingerprint ?? null, certPem: pin?.certPem ?? null };
      await saveServerState(stateDir, state);
      break;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      if (e instanceof RegistrationError && e.permanent) throw new FatalError(`registration refused: ${e.message}`);
      log(`gatehouse agent: cannot register with ${endpoint.origin}: ${e.message}`);
      const delay = backoffDelay(attempt, Math.random, DEFAULT_BACKOFF);
      log(`gatehouse agent: retrying in ${(delay / 1e3).toFixed(1)}s`);
      await sleep(delay);
    }
  }
  if (stopped !== null) return 0;
  agent = new RemoteAgent({
    origin: endpoint.origin,
    wsUrl: wsUrlOf(endpoint),
    trust: trustOptions(pin),
    name,
    hostname: hostname(),
    agentVersion: AGENT_VERSION,
    identity,
    uid: process.getuid?.() ?? -1,
    log
  });
  await agent.run();
  await stopping;
  return 0;
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
    runServer(args);
    break;
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
    hostname: hostname2(),
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
function runServer(args2) {
  const log = (line) => process.stderr.write(line + "\n");
  let stop = null;
  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => stop?.(`received ${sig}`));
  process.on("SIGHUP", () => void 0);
  process.on("uncaughtException", (e) => {
    log(`gatehouse agent: internal error: ${e.stack ?? e.message}`);
    process.exitCode = 1;
    stop?.("internal error");
    setTimeout(() => process.exit(1), 6e3).unref();
  });
  runServerMode(args2, { log, onStop: (fn) => stop = fn }).then(
    (code) => process.exit(process.exitCode || code),
    (e) => {
      log(`gatehouse agent: ${e.stack ?? e.message}`);
      process.exit(1);
    }
  );
}
function stdoutSink() {
  try {
    return new Socket({ fd: 1, readable: false, writable: true });
  } catch {
    return process.stdout;
  }
}
//# sourceMappingURL=main-QDXFLEEG.js.map
