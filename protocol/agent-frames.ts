/**
 * The agent link: one byte stream (a websocket, or the stdio pipes of the embedded `local`
 * agent) carrying many multiplexed streams (shells, exec, tcp).
 *
 * Wire layout of one frame (big-endian):
 *   u32 length   — bytes that follow this field (type + stream + payload), ≤ MAX_FRAME_BYTES
 *   u8  type     — FrameType
 *   u32 stream   — stream id; 0 for link-level frames (hello, ping, pong)
 *   payload      — raw bytes for `data`/`stderr`, u32 for `credit`, UTF-8 JSON otherwise
 *
 * Over a websocket each message holds exactly one frame, and its length field must match.
 * Stream ids are chosen by the side that sends `open` (the gateway); the agent never opens.
 *
 * Flow control is credit-based per stream and per direction, like SSH windows: a side may send
 * `data`/`stderr` payload bytes on a stream only up to the credit the other side has granted
 * (`window` in open/opened, then `credit` frames). Receivers grant credit only as their
 * consumer drains, so a fast producer can never fill the other side's memory. Sending beyond
 * the granted credit is a protocol error that closes the link.
 *
 * Any malformed, oversized or unknown frame is a protocol error: the receiver closes that link
 * (never the process) with the reason. Version negotiation happens in `hello`.
 *
 * Authentication of remote agents (challenge–response, SPEC §7): the gateway's hello carries
 * `challenge` (base64url of 32 random bytes) and the agent, which waits for it before saying
 * hello, answers with `signature`: base64url of its Ed25519 signature over
 * `agentAuthMessage(challenge, name)`. The gateway sends nothing else until it verified the
 * signature against the key registered for `name`; its first frame after that is a `ping`, so
 * the agent learns it was accepted. A refused agent's websocket is closed with 4401. The
 * embedded stdio agent is not challenged and sends no signature.
 */

export const AGENT_PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 1 << 20; // 1 MiB including the 5 header bytes after length
export const MAX_DATA_BYTES = MAX_FRAME_BYTES - 5;
// Must hold an `open` frame with the longest command validSpec accepts (it was 16 KiB, which
// made commands between 16 and 63 KiB valid but undeliverable).
export const MAX_JSON_BYTES = 64 * 1024;
export const DEFAULT_WINDOW = 256 * 1024;
export const MAX_WINDOW = 16 * 1024 * 1024;

export const FrameType = {
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
  pong: 13,
} as const;
export type FrameTypeName = keyof typeof FrameType;

export interface TermSpec {
  cols: number;
  rows: number;
  term: string;
}

/**
 * What the gateway asks the agent to open.
 *
 * `markerNonce` (shells only, optional): a per-shell secret for shell integration (see "Shell
 * integration markers" below). An agent that does not know the field rejects the frame, so the
 * gateway sends it only to agents that understand it; an agent given none starts the plain login
 * shell, exactly as before.
 */
export type OpenSpec =
  | { kind: 'shell'; targetUser: string; pty: TermSpec; lang?: string; markerNonce?: string }
  | { kind: 'exec'; targetUser: string; command: string; pty?: TermSpec; lang?: string }
  | { kind: 'tcp'; host: string; port: number };

export type OpenFailCode = 'TARGET_USER_UNKNOWN' | 'SPAWN_FAILED' | 'CONNECT_FAILED' | 'NOT_PERMITTED' | 'BAD_REQUEST';

export type AgentHello = { role: 'agent'; v: number; name: string; hostname: string; agentVersion: string; signature?: string };
export type GatewayHello = { role: 'gateway'; v: number; challenge?: string };
export type HelloBody = AgentHello | GatewayHello;

/** base64url (no padding) of 32 bytes. */
export const CHALLENGE_RE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** base64url (no padding) of a 64-byte Ed25519 signature. */
export const SIGNATURE_RE = /^[A-Za-z0-9_-]{85}[AQgw]$/;
/** What a remote agent signs to answer the gateway's challenge. */
export function agentAuthMessage(challenge: string, name: string): string {
  return `gatehouse-agent-auth-v1\n${challenge}\n${name}`;
}

export type Frame =
  | { type: 'hello'; stream: 0; body: HelloBody }
  | { type: 'open'; stream: number; body: { spec: OpenSpec; window: number } }
  | { type: 'opened'; stream: number; body: { window: number; shell?: string } }
  | { type: 'open_failed'; stream: number; body: { code: OpenFailCode; message: string } }
  | { type: 'data'; stream: number; data: Uint8Array }
  | { type: 'stderr'; stream: number; data: Uint8Array }
  | { type: 'credit'; stream: number; bytes: number }
  | { type: 'resize'; stream: number; body: { cols: number; rows: number } }
  | { type: 'eof'; stream: number }
  | { type: 'exit'; stream: number; body: { code: number | null; signal?: string } }
  | { type: 'close'; stream: number; body: { reason: string } }
  | { type: 'ping'; stream: 0; nonce: number }
  | { type: 'pong'; stream: 0; nonce: number };

const TYPE_BY_CODE: Record<number, FrameTypeName> = Object.fromEntries(
  Object.entries(FrameType).map(([k, v]) => [v, k as FrameTypeName]),
);

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function header(type: number, stream: number, payloadLen: number): Uint8Array {
  const buf = new Uint8Array(9 + payloadLen);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, 5 + payloadLen);
  dv.setUint8(4, type);
  dv.setUint32(5, stream);
  return buf;
}

/** Encodes one frame, length prefix included. Throws only on programmer error (oversize). */
export function encodeFrame(f: Frame): Uint8Array {
  let payload: Uint8Array;
  switch (f.type) {
    case 'data':
    case 'stderr':
      payload = f.data;
      break;
    case 'credit':
    case 'ping':
    case 'pong': {
      payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, f.type === 'credit' ? f.bytes : f.nonce);
      break;
    }
    case 'eof':
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

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const onlyKeys = (o: Record<string, unknown>, allowed: string[]) => Object.keys(o).every((k) => allowed.includes(k));
/** POSIX-portable user names (useradd's default pattern, plus upper case and dots). */
export const TARGET_USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const TERM_RE = /^[A-Za-z0-9_.+-]{1,64}$/;
/** base64url (no padding) of 32 random bytes, like the hello challenge. */
export const MARKER_NONCE_RE = CHALLENGE_RE;
const LANG_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

function validTerm(v: unknown): v is TermSpec {
  return (
    isObj(v) && onlyKeys(v, ['cols', 'rows', 'term']) &&
    isU32(v.cols) && v.cols >= 1 && v.cols <= 1000 &&
    isU32(v.rows) && v.rows >= 1 && v.rows <= 500 &&
    typeof v.term === 'string' && TERM_RE.test(v.term)
  );
}

function validSpec(v: unknown): string | null {
  if (!isObj(v)) return 'open.spec must be an object';
  const lang = v.lang === undefined || (typeof v.lang === 'string' && LANG_RE.test(v.lang));
  switch (v.kind) {
    case 'shell':
      if (!onlyKeys(v, ['kind', 'targetUser', 'pty', 'lang', 'markerNonce'])) return 'open.spec has unknown fields';
      if (typeof v.targetUser !== 'string' || !TARGET_USER_RE.test(v.targetUser)) return 'open.spec.targetUser is invalid';
      if (!validTerm(v.pty)) return 'open.spec.pty is invalid';
      if (v.markerNonce !== undefined && !(typeof v.markerNonce === 'string' && MARKER_NONCE_RE.test(v.markerNonce))) return 'open.spec.markerNonce is invalid';
      return lang ? null : 'open.spec.lang is invalid';
    case 'exec':
      if (!onlyKeys(v, ['kind', 'targetUser', 'command', 'pty', 'lang'])) return 'open.spec has unknown fields';
      if (typeof v.targetUser !== 'string' || !TARGET_USER_RE.test(v.targetUser)) return 'open.spec.targetUser is invalid';
      if (!isStr(v.command, 64 * 1024 - 1024)) return 'open.spec.command is invalid';
      if (v.pty !== undefined && !validTerm(v.pty)) return 'open.spec.pty is invalid';
      return lang ? null : 'open.spec.lang is invalid';
    case 'tcp':
      if (!onlyKeys(v, ['kind', 'host', 'port'])) return 'open.spec has unknown fields';
      if (!isStr(v.host, 253)) return 'open.spec.host is invalid';
      if (!isU32(v.port) || v.port < 1 || v.port > 65535) return 'open.spec.port is invalid';
      return null;
    default:
      return 'open.spec.kind is unknown';
  }
}

/** Validates a JSON body for its frame type; returns an error message or null. */
function validBody(type: FrameTypeName, b: unknown): string | null {
  if (!isObj(b)) return `${type} body must be an object`;
  switch (type) {
    case 'hello':
      if (b.role === 'agent') {
        if (!onlyKeys(b, ['role', 'v', 'name', 'hostname', 'agentVersion', 'signature'])) return 'hello has unknown fields';
        if (!isU32(b.v) || !isStr(b.name, 128) || !isStr(b.hostname, 255) || !isStr(b.agentVersion, 64)) return 'hello fields invalid';
        if (b.signature !== undefined && !(typeof b.signature === 'string' && SIGNATURE_RE.test(b.signature))) return 'hello.signature is invalid';
        return null;
      }
      if (b.role === 'gateway') {
        if (!onlyKeys(b, ['role', 'v', 'challenge']) || !isU32(b.v)) return 'hello fields invalid';
        if (b.challenge !== undefined && !(typeof b.challenge === 'string' && CHALLENGE_RE.test(b.challenge))) return 'hello.challenge is invalid';
        return null;
      }
      return 'hello.role is unknown';
    case 'open':
      if (!onlyKeys(b, ['spec', 'window'])) return 'open has unknown fields';
      if (!isU32(b.window) || b.window > MAX_WINDOW) return 'open.window is invalid';
      return validSpec(b.spec);
    case 'opened':
      if (!onlyKeys(b, ['window', 'shell'])) return 'opened has unknown fields';
      if (!isU32(b.window) || b.window > MAX_WINDOW) return 'opened.window is invalid';
      return b.shell === undefined || isStr(b.shell, 4096) ? null : 'opened.shell is invalid';
    case 'open_failed':
      if (!onlyKeys(b, ['code', 'message'])) return 'open_failed has unknown fields';
      if (!['TARGET_USER_UNKNOWN', 'SPAWN_FAILED', 'CONNECT_FAILED', 'NOT_PERMITTED', 'BAD_REQUEST'].includes(b.code as string)) return 'open_failed.code is unknown';
      return isStr(b.message, 1024) ? null : 'open_failed.message is invalid';
    case 'resize':
      return onlyKeys(b, ['cols', 'rows']) && isU32(b.cols) && b.cols >= 1 && b.cols <= 1000 && isU32(b.rows) && b.rows >= 1 && b.rows <= 500
        ? null : 'resize fields invalid';
    case 'exit':
      if (!onlyKeys(b, ['code', 'signal'])) return 'exit has unknown fields';
      if (!(b.code === null || (Number.isInteger(b.code) && (b.code as number) >= 0 && (b.code as number) <= 255))) return 'exit.code is invalid';
      return b.signal === undefined || isStr(b.signal, 32) ? null : 'exit.signal is invalid';
    case 'close':
      return onlyKeys(b, ['reason']) && typeof b.reason === 'string' && b.reason.length <= 1024 ? null : 'close fields invalid';
    default:
      return `${type} takes no JSON body`;
  }
}

/**
 * Decodes one complete frame (length prefix included) and validates it fully. Never throws.
 */
export function decodeFrame(buf: Uint8Array): DecodeResult {
  if (buf.length < 9) return { ok: false, error: 'frame shorter than its header' };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = dv.getUint32(0);
  if (len > MAX_FRAME_BYTES) return { ok: false, error: `frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}` };
  if (len + 4 !== buf.length) return { ok: false, error: 'frame length field does not match its size' };
  const type = TYPE_BY_CODE[dv.getUint8(4)];
  if (!type) return { ok: false, error: `unknown frame type ${dv.getUint8(4)}` };
  const stream = dv.getUint32(5);
  const payload = buf.subarray(9);
  const linkLevel = type === 'hello' || type === 'ping' || type === 'pong';
  if (linkLevel !== (stream === 0)) return { ok: false, error: `${type} frame on wrong stream ${stream}` };
  switch (type) {
    case 'data':
    case 'stderr':
      return { ok: true, frame: { type, stream, data: payload } };
    case 'eof':
      return payload.length === 0 ? { ok: true, frame: { type, stream } } : { ok: false, error: 'eof carries a payload' };
    case 'credit':
    case 'ping':
    case 'pong': {
      if (payload.length !== 4) return { ok: false, error: `${type} payload must be 4 bytes` };
      const n = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
      if (type === 'credit') {
        if (n === 0 || n > MAX_WINDOW) return { ok: false, error: 'credit out of range' };
        return { ok: true, frame: { type, stream, bytes: n } };
      }
      return { ok: true, frame: { type, stream: 0, nonce: n } };
    }
  }
  if (payload.length > MAX_JSON_BYTES) return { ok: false, error: `${type} body exceeds ${MAX_JSON_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(dec.decode(payload));
  } catch {
    return { ok: false, error: `${type} body is not valid UTF-8 JSON` };
  }
  const err = validBody(type, body);
  if (err) return { ok: false, error: err };
  return { ok: true, frame: { type, stream, body } as Frame };
}

/**
 * Splits a byte stream (stdio pipes) into whole frames. Feed chunks with `push`; it returns the
 * complete frames' bytes (to pass to decodeFrame) or an error once the stream is unrecoverable
 * (oversized length). Holds at most one frame's bytes.
 */
export class FrameSplitter {
  private parts: Uint8Array[] = [];
  private have = 0;

  push(chunk: Uint8Array): { frames: Uint8Array[]; error?: string } {
    this.parts.push(chunk);
    this.have += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.have < 4) break;
      const head = this.peek(4);
      const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (len > MAX_FRAME_BYTES) return { frames, error: `frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}` };
      if (this.have < 4 + len) break;
      frames.push(this.take(4 + len));
    }
    return { frames };
  }

  private peek(n: number): Uint8Array {
    const first = this.parts[0]!;
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

  private take(n: number): Uint8Array {
    // One copy either way: peek() already returns a fresh array when the frame spans parts.
    const first0 = this.parts[0]!;
    const out = first0.length >= n ? first0.slice(0, n) : this.peek(n);
    let left = n;
    while (left > 0) {
      const first = this.parts[0]!;
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
}

/*
 * Shell integration markers (issue 5). When a shell is opened with a `markerNonce`, the agent
 * starts bash with hooks that print private OSC sequences carrying the nonce; the agent checks
 * the nonce, strips those sequences from the output and puts in their place a "wire marker"
 * that carries no nonce but a MAC keyed with it, so the nonce never reaches the gateway's
 * clients or recordings while the gateway's command detector, which knows the nonce, can
 * authenticate each marker. Every other sequence of this OSC number coming out of the pty is
 * dropped by the agent.
 *
 *   ESC ] 6973 ; gh1 ; SEQ ; KIND [; FIELD]... ; MAC BEL
 *
 * SEQ counts the markers of one shell from 0 (the detector accepts only increasing values, so a
 * replayed marker is refused); MAC is the first MARKER_MAC_CHARS characters of base64url
 * HMAC-SHA256(nonce, markerMacInput(SEQ, KIND, FIELDs)). Kinds and fields:
 *   P;STATUS            PROMPT_COMMAND ran: the previous command's exit status, a prompt follows
 *   B                   end of PS1: the user's input starts at this cursor position
 *   K                   end of PS2: a continuation line starts here
 *   C;PREV;FRESH;TEXT   PS0: a command was read and is about to run. PREV is `$?` then (the
 *                       status of the command before it); FRESH is 1 when TEXT (base64url of the
 *                       bytes) is the history entry of this very command, 0 when history did not
 *                       record it (HISTCONTROL, `set +o history`) and TEXT is empty.
 */
export const MARKER_OSC = 6973;
export const MARKER_TAG = 'gh1';
export const MARKER_MAC_CHARS = 22; // 132 bits
export type MarkerKind = 'P' | 'B' | 'K' | 'C';
export function markerMacInput(seq: number, kind: MarkerKind, fields: readonly string[]): string {
  return [MARKER_TAG, String(seq), kind, ...fields].join(';');
}
