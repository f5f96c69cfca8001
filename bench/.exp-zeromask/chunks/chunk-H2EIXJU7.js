#!/usr/bin/env node

// protocol/agent-frames.ts
var AGENT_PROTOCOL_VERSION = 1;
var MAX_FRAME_BYTES = 1 << 20;
var MAX_DATA_BYTES = MAX_FRAME_BYTES - 5;
var MAX_JSON_BYTES = 64 * 1024;
var DEFAULT_WINDOW = 256 * 1024;
var MAX_WINDOW = 16 * 1024 * 1024;
var FrameType = {
  hello: 1,
  open: 2,
  opened: 3,
  open_failed: 4,
  data: 5,
  stderr: 6,
  credit: 7,
  resize: 8,
  eof: 9,
  exit: 10,
  close: 11,
  ping: 12,
  pong: 13
};
var TYPE_BY_CODE = Object.fromEntries(
  Object.entries(FrameType).map(([k, v]) => [v, k])
);
var enc = new TextEncoder();
var dec = new TextDecoder("utf-8", { fatal: true });
function header(type, stream, payloadLen) {
  const buf = new Uint8Array(9 + payloadLen);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, 5 + payloadLen);
  dv.setUint8(4, type);
  dv.setUint32(5, stream);
  return buf;
}
function encodeFrame(f) {
  let payload;
  switch (f.type) {
    case "data":
    case "stderr":
      payload = f.data;
      break;
    case "credit":
    case "ping":
    case "pong": {
      payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, f.type === "credit" ? f.bytes : f.nonce);
      break;
    }
    case "eof":
      payload = new Uint8Array(0);
      break;
    default:
      payload = enc.encode(JSON.stringify(f.body));
  }
  if (payload.length > MAX_DATA_BYTES) throw new RangeError(`frame payload ${payload.length} exceeds ${MAX_DATA_BYTES}`);
  const buf = header(FrameType[f.type], f.stream, payload.length);
  buf.set(payload, 9);
  return buf;
}
var isObj = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
var isU32 = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 4294967295;
var isStr = (v, max) => typeof v === "string" && v.length > 0 && v.length <= max;
var onlyKeys = (o, allowed) => Object.keys(o).every((k) => allowed.includes(k));
var TARGET_USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
var TERM_RE = /^[A-Za-z0-9_.+-]{1,64}$/;
var LANG_RE = /^[A-Za-z0-9_.@-]{1,64}$/;
function validTerm(v) {
  return isObj(v) && onlyKeys(v, ["cols", "rows", "term"]) && isU32(v.cols) && v.cols >= 1 && v.cols <= 1e3 && isU32(v.rows) && v.rows >= 1 && v.rows <= 500 && typeof v.term === "string" && TERM_RE.test(v.term);
}
function validSpec(v) {
  if (!isObj(v)) return "open.spec must be an object";
  const lang = v.lang === void 0 || typeof v.lang === "string" && LANG_RE.test(v.lang);
  switch (v.kind) {
    case "shell":
      if (!onlyKeys(v, ["kind", "targetUser", "pty", "lang"])) return "open.spec has unknown fields";
      if (typeof v.targetUser !== "string" || !TARGET_USER_RE.test(v.targetUser)) return "open.spec.targetUser is invalid";
      if (!validTerm(v.pty)) return "open.spec.pty is invalid";
      return lang ? null : "open.spec.lang is invalid";
    case "exec":
      if (!onlyKeys(v, ["kind", "targetUser", "command", "pty", "lang"])) return "open.spec has unknown fields";
      if (typeof v.targetUser !== "string" || !TARGET_USER_RE.test(v.targetUser)) return "open.spec.targetUser is invalid";
      if (!isStr(v.command, 64 * 1024 - 1024)) return "open.spec.command is invalid";
      if (v.pty !== void 0 && !validTerm(v.pty)) return "open.spec.pty is invalid";
      return lang ? null : "open.spec.lang is invalid";
    case "tcp":
      if (!onlyKeys(v, ["kind", "host", "port"])) return "open.spec has unknown fields";
      if (!isStr(v.host, 253)) return "open.spec.host is invalid";
      if (!isU32(v.port) || v.port < 1 || v.port > 65535) return "open.spec.port is invalid";
      return null;
    default:
      return "open.spec.kind is unknown";
  }
}
function validBody(type, b) {
  if (!isObj(b)) return `${type} body must be an object`;
  switch (type) {
    case "hello":
      if (b.role === "agent") {
        if (!onlyKeys(b, ["role", "v", "name", "hostname", "agentVersion"])) return "hello has unknown fields";
        if (!isU32(b.v) || !isStr(b.name, 128) || !isStr(b.hostname, 255) || !isStr(b.agentVersion, 64)) return "hello fields invalid";
        return null;
      }
      if (b.role === "gateway") return onlyKeys(b, ["role", "v"]) && isU32(b.v) ? null : "hello fields invalid";
      return "hello.role is unknown";
    case "open":
      if (!onlyKeys(b, ["spec", "window"])) return "open has unknown fields";
      if (!isU32(b.window) || b.window > MAX_WINDOW) return "open.window is invalid";
      return validSpec(b.spec);
    case "opened":
      if (!onlyKeys(b, ["window", "shell"])) return "opened has unknown fields";
      if (!isU32(b.window) || b.window > MAX_WINDOW) return "opened.window is invalid";
      return b.shell === void 0 || isStr(b.shell, 4096) ? null : "opened.shell is invalid";
    case "open_failed":
      if (!onlyKeys(b, ["code", "message"])) return "open_failed has unknown fields";
      if (!["TARGET_USER_UNKNOWN", "SPAWN_FAILED", "CONNECT_FAILED", "NOT_PERMITTED", "BAD_REQUEST"].includes(b.code)) return "open_failed.code is unknown";
      return isStr(b.message, 1024) ? null : "open_failed.message is invalid";
    case "resize":
      return onlyKeys(b, ["cols", "rows"]) && isU32(b.cols) && b.cols >= 1 && b.cols <= 1e3 && isU32(b.rows) && b.rows >= 1 && b.rows <= 500 ? null : "resize fields invalid";
    case "exit":
      if (!onlyKeys(b, ["code", "signal"])) return "exit has unknown fields";
      if (!(b.code === null || Number.isInteger(b.code) && b.code >= 0 && b.code <= 255)) return "exit.code is invalid";
      return b.signal === void 0 || isStr(b.signal, 32) ? null : "exit.signal is invalid";
    case "close":
      return onlyKeys(b, ["reason"]) && typeof b.reason === "string" && b.reason.length <= 1024 ? null : "close fields invalid";
    default:
      return `${type} takes no JSON body`;
  }
}
function decodeFrame(buf) {
  if (buf.length < 9) return { ok: false, error: "frame shorter than its header" };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = dv.getUint32(0);
  if (len > MAX_FRAME_BYTES) return { ok: false, error: `frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}` };
  if (len + 4 !== buf.length) return { ok: false, error: "frame length field does not match its size" };
  const type = TYPE_BY_CODE[dv.getUint8(4)];
  if (!type) return { ok: false, error: `unknown frame type ${dv.getUint8(4)}` };
  const stream = dv.getUint32(5);
  const payload = buf.subarray(9);
  const linkLevel = type === "hello" || type === "ping" || type === "pong";
  if (linkLevel !== (stream === 0)) return { ok: false, error: `${type} frame on wrong stream ${stream}` };
  switch (type) {
    case "data":
    case "stderr":
      return { ok: true, frame: { type, stream, data: payload } };
    case "eof":
      return payload.length === 0 ? { ok: true, frame: { type, stream } } : { ok: false, error: "eof carries a payload" };
    case "credit":
    case "ping":
    case "pong": {
      if (payload.length !== 4) return { ok: false, error: `${type} payload must be 4 bytes` };
      const n = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
      if (type === "credit") {
        if (n === 0 || n > MAX_WINDOW) return { ok: false, error: "credit out of range" };
        return { ok: true, frame: { type, stream, bytes: n } };
      }
      return { ok: true, frame: { type, stream: 0, nonce: n } };
    }
  }
  if (payload.length > MAX_JSON_BYTES) return { ok: false, error: `${type} body exceeds ${MAX_JSON_BYTES} bytes` };
  let body;
  try {
    body = JSON.parse(dec.decode(payload));
  } catch {
    return { ok: false, error: `${type} body is not valid UTF-8 JSON` };
  }
  const err = validBody(type, body);
  if (err) return { ok: false, error: err };
  return { ok: true, frame: { type, stream, body } };
}
var FrameSplitter = class {
  parts = [];
  have = 0;
  push(chunk) {
    this.parts.push(chunk);
    this.have += chunk.length;
    const frames = [];
    for (; ; ) {
      if (this.have < 4) break;
      const head = this.peek(4);
      const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (len > MAX_FRAME_BYTES) return { frames, error: `frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}` };
      if (this.have < 4 + len) break;
      frames.push(this.take(4 + len));
    }
    return { frames };
  }
  peek(n) {
    const first = this.parts[0];
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of this.parts) {
      const k = Math.min(p.length, n - off);
      out.set(p.subarray(0, k), off);
      off += k;
      if (off === n) break;
    }
    return out;
  }
  take(n) {
    const first0 = this.parts[0];
    const out = first0.length >= n ? first0.slice(0, n) : this.peek(n);
    let left = n;
    while (left > 0) {
      const first = this.parts[0];
      if (first.length <= left) {
        this.parts.shift();
        left -= first.length;
      } else {
        this.parts[0] = first.subarray(left);
        left = 0;
      }
    }
    this.have -= n;
    return out;
  }
};

// protocol/frame-transport.ts
function byteStreamTransport(input, output) {
  const splitter = new FrameSplitter();
  let handlers = null;
  let ended = false;
  let broken = false;
  const finish = (reason) => {
    if (ended) return;
    ended = true;
    try {
      output.end();
    } catch {
    }
    input.pause?.();
    handlers?.end(reason);
  };
  return {
    start(h) {
      handlers = h;
      input.on("data", (chunk) => {
        if (ended || broken) return;
        const r = splitter.push(chunk);
        for (const f of r.frames) {
          if (ended) return;
          h.frame(f);
        }
        if (r.error && !ended) {
          broken = true;
          h.invalid(r.error);
          finish(`protocol error: ${r.error}`);
        }
      });
      input.on("end", () => finish("the peer closed the link"));
      input.on("close", () => finish("the peer closed the link"));
      input.on("error", (e) => finish(`link read error: ${e.message}`));
      output.on("error", (e) => finish(`link write error: ${e.message}`));
    },
    send(frame) {
      if (!ended) output.write(frame);
    },
    close(reason) {
      finish(reason);
    }
  };
}

// protocol/credit.ts
var PREFERRED_FRAME_BYTES = 64 * 1024;
var RecvWindow = class {
  /** Bytes the peer may still send before it must wait for credit. */
  remaining;
  /** Bytes our consumer drained that were not granted back yet. */
  pending = 0;
  threshold;
  /**
   * @param window the credit granted in open/opened.
   * @param threshold grant back once this many bytes were drained. Must be ≤ window, so a
   *   peer that used its whole window always gets credit once everything was drained (no
   *   deadlock); a quarter of the window keeps the pipe full without a credit frame per read.
   */
  constructor(window, threshold = Math.max(1, Math.floor(window / 4))) {
    this.remaining = window;
    this.threshold = Math.min(Math.max(1, threshold), Math.max(1, window));
  }
  /** Accounts bytes the peer sent. False when it exceeded its credit (a protocol error). */
  receive(bytes) {
    if (bytes > this.remaining) return false;
    this.remaining -= bytes;
    return true;
  }
  /** Accounts bytes our consumer drained; returns the credit to grant now (0: not yet). */
  drained(bytes) {
    this.pending += bytes;
    if (this.pending < this.threshold) return 0;
    const grant = Math.min(this.pending, MAX_WINDOW);
    this.pending -= grant;
    this.remaining += grant;
    return grant;
  }
  get available() {
    return this.remaining;
  }
};
var CreditedSender = class {
  /**
   * @param window the credit the peer granted in open/opened.
   * @param emit sends one data/stderr frame; called only within credit, never re-entrantly
   *   with a frame of the same chunk out of order.
   */
  constructor(window, emit, maxFrame = PREFERRED_FRAME_BYTES) {
    this.emit = emit;
    this.maxFrame = maxFrame;
    this.credit = window;
    this.maxFrame = Math.min(Math.max(1, maxFrame), MAX_DATA_BYTES);
  }
  emit;
  maxFrame;
  credit;
  queue = [];
  queued = 0;
  closed = false;
  /** Queues bytes; `done` runs once they are all handed to `emit` (a zero-length chunk: once everything queued before it was). */
  enqueue(kind, bytes, done) {
    if (this.closed) {
      done?.();
      return;
    }
    this.queue.push({ kind, bytes, done });
    this.queued += bytes.length;
    this.flush();
  }
  /**
   * Adds credit from the peer. Returns an error message when the peer's total credit would
   * exceed MAX_WINDOW (a receiver only returns what it was sent, so that is a protocol error).
   */
  grant(bytes) {
    if (this.credit + bytes > MAX_WINDOW) return `credit of ${this.credit + bytes} bytes exceeds the maximum window`;
    this.credit += bytes;
    this.flush();
    return null;
  }
  /** Bytes waiting for credit. */
  get backlog() {
    return this.queued;
  }
  get available() {
    return this.credit;
  }
  /** Drops everything still queued (the stream ended) but still runs every `done`, so no writer waits forever. */
  close() {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.queue.splice(0);
    this.queued = 0;
    for (const p of dropped) p.done?.();
  }
  flush() {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0];
      if (head.bytes.length > 0) {
        if (this.credit === 0) return;
        const n = Math.min(head.bytes.length, this.credit, this.maxFrame);
        const chunk = head.bytes.subarray(0, n);
        head.bytes = head.bytes.subarray(n);
        this.credit -= n;
        this.queued -= n;
        this.emit(head.kind, chunk);
        if (head.bytes.length > 0) continue;
      }
      this.queue.shift();
      head.done?.();
    }
  }
};

export {
  AGENT_PROTOCOL_VERSION,
  DEFAULT_WINDOW,
  MAX_WINDOW,
  encodeFrame,
  TARGET_USER_RE,
  decodeFrame,
  RecvWindow,
  CreditedSender,
  byteStreamTransport
};
//# sourceMappingURL=chunk-H2EIXJU7.js.map
