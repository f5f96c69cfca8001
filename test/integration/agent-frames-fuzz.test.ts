/**
 * Hostile agents against the BUILT service: a raw websocket client that registered its own
 * Ed25519 key through the API, authenticates properly, and then sends malformed, truncated,
 * oversized, unknown-type and text frames, then 200 rounds of random bytes. Each closes only
 * that link, with a logged reason; another agent's link stays up, a shell on `local` keeps
 * working, and the service keeps serving HTTP.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType, MAX_FRAME_BYTES } from '../../protocol/agent-frames';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { apiLogin } from '../helpers/in-process-server';
import { openTerminal, type WsTerminal } from '../helpers/ws-terminal';
import { createRegistrationKey, rawAgent, type RawAgent } from '../helpers/agent-process';

const isRoot = process.getuid?.() === 0;
let server: ServerProcess;
let wsBase: string;
let token: string;
let shell: WsTerminal;
let bystander: RawAgent;
const keys = new Map<string, KeyObject>();

async function until<T>(fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function register(name: string, regKey: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const r = await fetch(`${server.url}/api/v1/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': regKey },
    body: JSON.stringify({ name, hostname: 'fuzzer', publicKey: publicKey.export({ type: 'spki', format: 'pem' }) }),
  });
  expect(r.status).toBe(201);
  keys.set(name, privateKey);
}

/** An authenticated link as `name` (the gateway's first ping arrived). */
async function authed(name = 'fuzz-1'): Promise<RawAgent> {
  const a = await rawAgent(`${wsBase}/ws/agent`, name, keys.get(name)!);
  await Promise.race([a.accepted, a.closed.then((c) => Promise.reject(new Error(`closed before accepted: ${c.code} ${c.reason}`)))]);
  return a;
}

async function shellStillWorks(tag: string): Promise<void> {
  shell.send(`echo alive-${tag}-$((40+2))\r`);
  await shell.waitFor(`alive-${tag}-42`);
}

const stderrText = () => server.stderr.join('\n');

/** Raw frame bytes with a chosen type, stream and payload (length field correct unless given). */
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

/** mulberry32: a failing round can be replayed from its seed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!isRoot)('agent link fuzzing against the built service', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer({ extraArgs: ['--no-tls'] });
    wsBase = server.url.replace(/^http/, 'ws');
    const first = await apiLogin(server.url, 'admin@localhost', server.password!);
    const ch = await fetch(`${server.url}/api/v1/auth/password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: server.password, newPassword: 'correct horse battery staple' }),
    });
    expect(ch.status).toBe(204);
    token = first.token;
    const regKey = createRegistrationKey(server.dataDir, 'fuzz-reg');
    await register('fuzz-1', regKey);
    await register('fuzz-2', regKey);
    const c = await fetch(`${server.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'local', targetUser: 'root' }),
    });
    expect(c.status).toBe(201);
    shell = await openTerminal(`${wsBase}${((await c.json()) as { wsPath: string }).wsPath}`, { authorization: `Bearer ${token}` });
    await shellStillWorks('start');
    bystander = await authed('fuzz-2');
  }, 120_000);

  afterAll(async () => {
    shell?.close();
    bystander?.ws.close();
    await server?.stop();
  });

  const cases: [string, () => Uint8Array | string, number, RegExp][] = [
    ['a malformed JSON body', () => raw(FrameType.close, 1, '{"reason":'), 1002, /close body is not valid UTF-8 JSON/],
    ['a truncated frame', () => encodeFrame({ type: 'exit', stream: 1, body: { code: 0 } }).subarray(0, 12), 1002, /carries a frame length field/],
    ['a length field larger than the message', () => raw(FrameType.data, 1, 'x', 0x7fffffff), 1002, /carries a frame length field of 2147483647/],
    ['an unknown frame type', () => raw(99, 1, ''), 1002, /unknown frame type 99/],
    ['a frame on a stream never opened', () => encodeFrame({ type: 'data', stream: 7, data: new Uint8Array(3) }), 1002, /data on stream 7, which was never opened/],
    ['an open sent by the agent', () => encodeFrame({ type: 'open', stream: 3, body: { spec: { kind: 'tcp', host: '127.0.0.1', port: 22 }, window: 10 } }), 1002, /the agent may not send open/],
    ['a text message', () => 'hello?', 1002, /text message on the agent link/],
    ['an oversized message', () => new Uint8Array(MAX_FRAME_BYTES + 64), 1009, /Max payload size exceeded/],
  ];
  it.each(cases)('%s closes only that link, with a logged reason', async (_name, bytes, code, pattern) => {
    const a = await authed();
    a.sendRaw(bytes());
    const closed = await a.closed;
    expect(closed.code).toBe(code);
    await until(() => server.stderr.some((l) => /agent fuzz-1 disconnected: /.test(l) && pattern.test(l)), `a log line matching ${pattern}`);
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
    await shellStillWorks(String(code));
  });

  it('garbage before the hello closes the link too', async () => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${wsBase}/ws/agent`);
    const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
    ws.on('open', () => ws.send(raw(FrameType.ping, 0, new Uint8Array(4))));
    expect(await closed).toBe(1002);
    await until(() => /agent link: protocol error: expected hello, got ping/.test(stderrText()), 'the expected-hello log line');
  });

  it('survives 200 rounds of random bytes, each closing only its own link', async () => {
    const rand = prng(20261121);
    const before = server.stderr.filter((l) => /agent fuzz-1 disconnected: /.test(l)).length;
    for (let round = 0; round < 200; round++) {
      const n = Math.floor(rand() * 2000);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = Math.floor(rand() * 256);
      // Half the rounds pass the length check, so the type, stream and body checks run.
      if (n >= 9 && round % 2 === 0) new DataView(bytes.buffer).setUint32(0, n - 4);
      const a = await authed();
      a.sendRaw(bytes);
      const closed = await a.closed;
      expect(closed.code, `round ${round}`).toBe(1002);
    }
    const ends = await until(() => {
      const lines = server.stderr.filter((l) => /agent fuzz-1 disconnected: /.test(l)).slice(before);
      return lines.length >= 200 && lines;
    }, '200 logged link ends');
    expect(ends.every((l) => /protocol error: /.test(l))).toBe(true);
    // Nothing else was touched.
    expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
    await shellStillWorks('after-fuzz');
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const targets = (await (await fetch(`${server.url}/api/v1/targets`, { headers: { authorization: `Bearer ${token}` } })).json()) as { name: string; status: string }[];
    expect(targets.find((t) => t.name === 'fuzz-2')?.status).toBe('online');
    expect(server.child.exitCode).toBeNull();
  }, 120_000);
});
