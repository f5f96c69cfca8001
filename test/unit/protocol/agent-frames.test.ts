import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import {
  agentAuthMessage, decodeFrame, encodeFrame, FrameSplitter, FrameType, MAX_DATA_BYTES, MAX_FRAME_BYTES, MAX_JSON_BYTES,
  type Frame,
} from '../../../protocol/agent-frames';

const CHALLENGE = randomBytes(32).toString('base64url');
const SIGNATURE = randomBytes(64).toString('base64url');

const samples: Frame[] = [
  { type: 'hello', stream: 0, body: { role: 'agent', v: 1, name: 'web-1', hostname: 'web-1.example', agentVersion: '0.1.0' } },
  { type: 'hello', stream: 0, body: { role: 'gateway', v: 1 } },
  { type: 'hello', stream: 0, body: { role: 'gateway', v: 1, challenge: CHALLENGE } },
  { type: 'hello', stream: 0, body: { role: 'agent', v: 1, name: 'web-1', hostname: 'web-1', agentVersion: '0.1.0', signature: SIGNATURE } },
  { type: 'open', stream: 1, body: { spec: { kind: 'shell', targetUser: 'alice', pty: { cols: 80, rows: 24, term: 'xterm-256color' }, lang: 'C.UTF-8' }, window: 65536 } },
  { type: 'open', stream: 2, body: { spec: { kind: 'exec', targetUser: 'deploy', command: 'ls -la | wc -l', pty: { cols: 100, rows: 30, term: 'xterm' } }, window: 0 } },
  { type: 'open', stream: 3, body: { spec: { kind: 'exec', targetUser: 'bob', command: 'true' }, window: 1 } },
  { type: 'open', stream: 4, body: { spec: { kind: 'tcp', host: '127.0.0.1', port: 5432 }, window: 262144 } },
  { type: 'opened', stream: 1, body: { window: 262144, shell: '/bin/bash' } },
  { type: 'opened', stream: 3, body: { window: 1024 } },
  { type: 'open_failed', stream: 7, body: { code: 'TARGET_USER_UNKNOWN', message: 'no user "x" on this host' } },
  { type: 'data', stream: 1, data: new Uint8Array([0, 1, 2, 255]) },
  { type: 'data', stream: 1, data: new Uint8Array(0) },
  { type: 'stderr', stream: 9, data: new TextEncoder().encode('oops\n') },
  { type: 'credit', stream: 1, bytes: 4096 },
  { type: 'resize', stream: 1, body: { cols: 132, rows: 43 } },
  { type: 'eof', stream: 1 },
  { type: 'exit', stream: 1, body: { code: 3 } },
  { type: 'exit', stream: 1, body: { code: null, signal: 'SIGKILL' } },
  { type: 'close', stream: 1, body: { reason: 'closed by admin' } },
  { type: 'ping', stream: 0, nonce: 0xdeadbeef },
  { type: 'pong', stream: 0, nonce: 7 },
];

/** Builds a raw frame: type, stream and payload as given, length field correct unless overridden. */
function raw(type: number, stream: number, payload: Uint8Array | string, len?: number): Uint8Array {
  const p = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const buf = new Uint8Array(9 + p.length);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, len ?? 5 + p.length);
  dv.setUint8(4, type);
  dv.setUint32(5, stream);
  buf.set(p, 9);
  return buf;
}

function expectError(buf: Uint8Array, pattern: RegExp): void {
  const r = decodeFrame(buf);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(pattern);
}

/** Deterministic PRNG (mulberry32) so a failing fuzz round can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('encodeFrame / decodeFrame', () => {
  it('covers every frame type in the samples', () => {
    expect(new Set(samples.map((f) => f.type))).toEqual(new Set(Object.keys(FrameType)));
  });

  it.each(samples.map((f, i) => [`${i}: ${f.type}`, f] as const))('round-trips %s', (_name, frame) => {
    const bytes = encodeFrame(frame);
    const r = decodeFrame(bytes);
    expect(r).toEqual({ ok: true, frame });
    // A frame inside a larger buffer (a websocket message is often a view) decodes the same.
    const host = new Uint8Array(bytes.length + 7);
    host.set(bytes, 3);
    expect(decodeFrame(host.subarray(3, 3 + bytes.length))).toEqual({ ok: true, frame });
  });

  it('accepts the largest data payload and refuses to encode a larger one', () => {
    const big = encodeFrame({ type: 'data', stream: 1, data: new Uint8Array(MAX_DATA_BYTES) });
    expect(big.length).toBe(MAX_FRAME_BYTES + 4);
    expect(decodeFrame(big).ok).toBe(true);
    expect(() => encodeFrame({ type: 'data', stream: 1, data: new Uint8Array(MAX_DATA_BYTES + 1) })).toThrow(RangeError);
  });

  it('carries an exec command of the longest valid length', () => {
    const frame: Frame = { type: 'open', stream: 5, body: { spec: { kind: 'exec', targetUser: 'a', command: 'x'.repeat(64 * 1024 - 1024) }, window: 1 } };
    expect(decodeFrame(encodeFrame(frame))).toEqual({ ok: true, frame });
  });

  it('rejects truncated frames', () => {
    expectError(new Uint8Array(0), /shorter than its header/);
    expectError(new Uint8Array([0, 0, 0, 5, 12, 0, 0]), /shorter than its header/);
    const ok = encodeFrame({ type: 'resize', stream: 1, body: { cols: 80, rows: 24 } });
    expectError(ok.subarray(0, ok.length - 1), /length field does not match/);
    expectError(raw(FrameType.credit, 1, new Uint8Array([0, 0, 1])), /credit payload must be 4 bytes/);
    expectError(raw(FrameType.ping, 0, new Uint8Array([1])), /ping payload must be 4 bytes/);
  });

  it('rejects oversized frames', () => {
    expectError(raw(FrameType.data, 1, new Uint8Array(0), MAX_FRAME_BYTES + 1), /exceeds/);
    expectError(raw(FrameType.close, 1, JSON.stringify({ reason: 'x'.repeat(MAX_JSON_BYTES) })), /body exceeds/);
  });

  it('rejects unknown frame types', () => {
    expectError(raw(0, 1, ''), /unknown frame type 0/);
    expectError(raw(99, 1, ''), /unknown frame type 99/);
  });

  it('rejects frames on the wrong stream', () => {
    expectError(raw(FrameType.hello, 3, JSON.stringify({ role: 'gateway', v: 1 })), /hello frame on wrong stream 3/);
    expectError(raw(FrameType.ping, 1, new Uint8Array(4)), /ping frame on wrong stream 1/);
    expectError(raw(FrameType.data, 0, 'x'), /data frame on wrong stream 0/);
    expectError(raw(FrameType.open, 0, '{}'), /open frame on wrong stream 0/);
  });

  it('rejects unknown fields', () => {
    expectError(raw(FrameType.opened, 1, JSON.stringify({ window: 1, extra: true })), /opened has unknown fields/);
    expectError(raw(FrameType.hello, 0, JSON.stringify({ role: 'gateway', v: 1, admin: true })), /hello fields invalid/);
    expectError(raw(FrameType.open, 1, JSON.stringify({ spec: { kind: 'tcp', host: 'h', port: 1, via: 'x' }, window: 1 })), /open.spec has unknown fields/);
    expectError(raw(FrameType.exit, 1, JSON.stringify({ code: 0, core: true })), /exit has unknown fields/);
  });

  it('rejects bad JSON and bad bodies', () => {
    expectError(raw(FrameType.close, 1, '{"reason":'), /not valid UTF-8 JSON/);
    expectError(raw(FrameType.close, 1, new Uint8Array([0x7b, 0xff, 0x7d])), /not valid UTF-8 JSON/);
    expectError(raw(FrameType.close, 1, '[]'), /body must be an object/);
    expectError(raw(FrameType.open, 1, JSON.stringify({ spec: { kind: 'shell', targetUser: '../etc', pty: { cols: 80, rows: 24, term: 'x' } }, window: 1 })), /targetUser is invalid/);
    expectError(raw(FrameType.open, 1, JSON.stringify({ spec: { kind: 'tcp', host: 'h', port: 70000 }, window: 1 })), /port is invalid/);
    expectError(raw(FrameType.open, 1, JSON.stringify({ spec: { kind: 'sftp' }, window: 1 })), /kind is unknown/);
    expectError(raw(FrameType.open, 1, JSON.stringify({ spec: { kind: 'tcp', host: 'h', port: 1 }, window: 2 ** 30 })), /window is invalid/);
    expectError(raw(FrameType.open_failed, 1, JSON.stringify({ code: 'NOPE', message: 'x' })), /code is unknown/);
    expectError(raw(FrameType.exit, 1, JSON.stringify({ code: 256 })), /exit.code is invalid/);
    expectError(raw(FrameType.resize, 1, JSON.stringify({ cols: 0, rows: 24 })), /resize fields invalid/);
    expectError(raw(FrameType.credit, 1, new Uint8Array(4)), /credit out of range/);
    expectError(raw(FrameType.eof, 1, 'x'), /eof carries a payload/);
  });
});

describe('hello authentication fields', () => {
  const gw = (body: object) => raw(FrameType.hello, 0, JSON.stringify({ role: 'gateway', v: 1, ...body }));
  const ag = (body: object) => raw(FrameType.hello, 0, JSON.stringify({ role: 'agent', v: 1, name: 'n', hostname: 'h', agentVersion: '1', ...body }));

  it('accepts only a base64url challenge of 32 bytes', () => {
    expect(decodeFrame(gw({ challenge: CHALLENGE })).ok).toBe(true);
    expectError(gw({ challenge: randomBytes(31).toString('base64url') }), /hello.challenge is invalid/);
    expectError(gw({ challenge: randomBytes(33).toString('base64url') }), /hello.challenge is invalid/);
    expectError(gw({ challenge: randomBytes(32).toString('base64') }), /hello.challenge is invalid/);
    expectError(gw({ challenge: 42 }), /hello.challenge is invalid/);
    expectError(gw({ challenge: '' }), /hello.challenge is invalid/);
  });

  it('accepts only a base64url signature of 64 bytes', () => {
    expect(decodeFrame(ag({ signature: SIGNATURE })).ok).toBe(true);
    expectError(ag({ signature: randomBytes(63).toString('base64url') }), /hello.signature is invalid/);
    expectError(ag({ signature: SIGNATURE + 'A' }), /hello.signature is invalid/);
    expectError(ag({ signature: null }), /hello.signature is invalid/);
  });

  it('keeps each field on its own side', () => {
    expectError(gw({ signature: SIGNATURE }), /hello fields invalid/);
    expectError(ag({ challenge: CHALLENGE }), /hello has unknown fields/);
  });

  it('signs a message that binds the challenge to the name', () => {
    expect(agentAuthMessage('abc', 'web-1')).toBe('gatehouse-agent-auth-v1\nabc\nweb-1');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const sig = sign(null, Buffer.from(agentAuthMessage(CHALLENGE, 'web-1')), privateKey).toString('base64url');
    expect(decodeFrame(ag({ signature: sig })).ok).toBe(true);
    expect(verify(null, Buffer.from(agentAuthMessage(CHALLENGE, 'web-1')), publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verify(null, Buffer.from(agentAuthMessage(CHALLENGE, 'web-2')), publicKey, Buffer.from(sig, 'base64url'))).toBe(false);
  });
});

describe('FrameSplitter', () => {
  const frames = samples.map(encodeFrame);
  const total = frames.reduce((n, f) => n + f.length, 0);
  const stream = new Uint8Array(total);
  let off = 0;
  for (const f of frames) {
    stream.set(f, off);
    off += f.length;
  }

  it('reassembles frames split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new FrameSplitter();
      const a = s.push(stream.subarray(0, cut));
      const b = s.push(stream.subarray(cut));
      expect(a.error ?? b.error).toBeUndefined();
      const got = [...a.frames, ...b.frames];
      // Byte comparison (not toEqual) keeps a thousand cut points fast.
      expect(got.length).toBe(frames.length);
      got.forEach((f, i) => expect(Buffer.compare(f, frames[i]!), `cut ${cut}, frame ${i}`).toBe(0));
    }
  });

  it('reassembles frames fed one byte at a time', () => {
    const s = new FrameSplitter();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...s.push(stream.subarray(i, i + 1)).frames);
    expect(out).toEqual(frames);
    expect(out.map((f) => decodeFrame(f).ok)).toEqual(frames.map(() => true));
  });

  it('returns copies that later input cannot change', () => {
    const s = new FrameSplitter();
    const input = encodeFrame({ type: 'data', stream: 1, data: new Uint8Array([1, 2, 3]) });
    const [frame] = s.push(input).frames;
    input.fill(0);
    expect(decodeFrame(frame!)).toMatchObject({ ok: true, frame: { data: new Uint8Array([1, 2, 3]) } });
    // Also when the frame was assembled from several chunks.
    const again = encodeFrame({ type: 'data', stream: 1, data: new Uint8Array([4, 5, 6]) });
    const head = again.slice(0, 6);
    const tail = again.slice(6);
    s.push(head);
    const [joined] = s.push(tail).frames;
    head.fill(0);
    tail.fill(0);
    expect(decodeFrame(joined!)).toMatchObject({ ok: true, frame: { data: new Uint8Array([4, 5, 6]) } });
  });

  it('reports an oversized length as an unrecoverable error', () => {
    const s = new FrameSplitter();
    const r = s.push(raw(FrameType.data, 1, new Uint8Array(0), MAX_FRAME_BYTES + 1));
    expect(r.frames).toEqual([]);
    expect(r.error).toMatch(/exceeds/);
  });
});

describe('fuzz', () => {
  it('never throws on 200 rounds of random and mutated bytes', () => {
    const rand = prng(20240601);
    const valid = samples.map(encodeFrame);
    for (let round = 0; round < 200; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = new Uint8Array(Math.floor(rand() * 300));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
        // Make some random buffers pass the length check so the type and body checks run.
        if (bytes.length >= 9 && round % 4 === 0) new DataView(bytes.buffer).setUint32(0, bytes.length - 4);
      } else {
        bytes = valid[Math.floor(rand() * valid.length)]!.slice();
        for (let k = 0; k < 3; k++) bytes[4 + Math.floor(rand() * (bytes.length - 4))] = Math.floor(rand() * 256);
      }
      expect(() => decodeFrame(bytes)).not.toThrow();
      const s = new FrameSplitter();
      expect(() => {
        for (let i = 0; i < bytes.length; i += 1 + Math.floor(rand() * 16)) {
          const r = s.push(bytes.subarray(i, i + 1 + Math.floor(rand() * 16)));
          for (const f of r.frames) decodeFrame(f);
          if (r.error) break;
        }
      }).not.toThrow();
    }
  });
});
