import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { AgentSession, type AgentSessionOptions } from '../../../agent/agent-session';
import { AGENT_PROTOCOL_VERSION, agentAuthMessage, type OpenSpec } from '../../../protocol/agent-frames';
import { ScriptedPeer, tick } from '../gateway/frame-peer';

const isRoot = process.getuid?.() === 0;
const sessions: AgentSession[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close('test over')));
  for (const s of servers.splice(0)) s.close();
});

function setup(opts: { uid?: number; window?: number; hello?: boolean } = {}) {
  const gw = new ScriptedPeer();
  const logs: string[] = [];
  const session = new AgentSession(gw.transport, {
    name: 'test', hostname: 'host', agentVersion: '0.0.0',
    identity: { uid: opts.uid ?? 0 },
    log: (l) => logs.push(l),
    ...(opts.window ? { window: opts.window } : {}),
  });
  sessions.push(session);
  session.start();
  if (opts.hello !== false) gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION } });
  return { gw, session, logs };
}

async function echoServer(): Promise<number> {
  const server = createServer((s) => s.pipe(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const text = (s: string) => new TextEncoder().encode(s);
/** Polls `cond` (the machine may be busy running other suites); fails after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${cond.toString()}`);
    await tick(10);
  }
}
const running = (pattern: string) => execFileSync('/bin/sh', ['-c', `pgrep -f "${pattern}" || true`], { encoding: 'utf8' }).trim();

describe('AgentSession link handling', () => {
  it('says hello first and answers pings', async () => {
    const { gw } = setup();
    expect(gw.received[0]).toEqual({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name: 'test', hostname: 'host', agentVersion: '0.0.0' } });
    gw.send({ type: 'ping', stream: 0, nonce: 99 });
    expect(await gw.next('pong')).toEqual({ type: 'pong', stream: 0, nonce: 99 });
  });

  it.each([
    ['a frame before hello', false, (g: ScriptedPeer) => g.send({ type: 'ping', stream: 0, nonce: 1 }), /expected hello, got ping/],
    ['a malformed frame', true, (g: ScriptedPeer) => g.sendRaw(new Uint8Array([0, 0, 0, 6, 11, 0, 0, 0, 1, 0x7b])), /close body is not valid UTF-8 JSON/],
    ['a frame only agents send', true, (g: ScriptedPeer) => g.send({ type: 'exit', stream: 1, body: { code: 0 } }), /may not send exit/],
    ['data before opened', true, (g: ScriptedPeer) => {
      g.send({ type: 'open', stream: 1, body: { spec: { kind: 'tcp', host: '127.0.0.1', port: 9 }, window: 10 } });
      g.send({ type: 'data', stream: 1, data: text('x') });
    }, /before it was opened/],
  ])('logs one line and ends the link on %s', async (_name, hello, misbehave, pattern) => {
    const { gw, session, logs } = setup({ hello });
    misbehave(gw);
    expect(await session.closed).toMatch(pattern);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^gatehouse agent: protocol error: /);
    expect(gw.endReason).toMatch(pattern);
  });

  it('rejects a gateway speaking another protocol version', async () => {
    const { gw, session } = setup({ hello: false });
    gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: 2 } });
    expect(await session.closed).toMatch(/unsupported protocol version 2/);
  });
});

describe('AgentSession tcp streams', () => {
  it('relays a TCP connection with credit both ways and half-close', async () => {
    const port = await echoServer();
    const { gw } = setup({ window: 1000 });
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'tcp', host: '127.0.0.1', port }, window: 65536 } });
    expect(await gw.next('opened', 1)).toEqual({ type: 'opened', stream: 1, body: { window: 1000 } });
    gw.send({ type: 'data', stream: 1, data: new Uint8Array(1000).fill(0x78) });
    // Credit comes back once the socket took the bytes.
    expect((await gw.next('credit', 1)).bytes).toBe(1000);
    await gw.next('data', 1);
    while (gw.dataBytes(1) < 1000) await tick(5);
    gw.send({ type: 'eof', stream: 1 });
    await gw.next('eof', 1);
    expect(await gw.next('exit', 1)).toEqual({ type: 'exit', stream: 1, body: { code: 0 } });
  });

  it('answers open_failed CONNECT_FAILED when nothing listens', async () => {
    const port = await echoServer();
    servers.pop()!.close();
    await tick(20);
    const { gw } = setup();
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'tcp', host: '127.0.0.1', port }, window: 100 } });
    const failed = await gw.next('open_failed', 1);
    expect(failed.body.code).toBe('CONNECT_FAILED');
    expect(failed.body.message).toContain(`127.0.0.1:${port}`);
  });

  it('treats a reused stream id as a protocol error', async () => {
    const port = await echoServer();
    const { gw, session } = setup();
    const open = { type: 'open', stream: 4, body: { spec: { kind: 'tcp', host: '127.0.0.1', port } as OpenSpec, window: 100 } } as const;
    gw.send(open);
    await gw.next('opened', 4);
    gw.send(open);
    expect(await session.closed).toMatch(/stream 4 is already open/);
  });
});

describe.skipIf(!isRoot)('AgentSession processes', () => {
  it('answers open_failed for an unknown user and NOT_PERMITTED for another user when not root', async () => {
    const { gw } = setup();
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'gh-nobody-x', command: 'true' }, window: 10 } });
    expect(await gw.next('open_failed', 1)).toMatchObject({ body: { code: 'TARGET_USER_UNKNOWN', message: expect.stringContaining('gh-nobody-x') } });
    const notRoot = setup({ uid: 4242 });
    notRoot.gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'root', command: 'true' }, window: 10 } });
    expect(await notRoot.gw.next('open_failed', 1)).toMatchObject({ body: { code: 'NOT_PERMITTED' } });
  });

  it('never sends output beyond the granted credit, and exits after the last byte', async () => {
    const { gw } = setup();
    const total = 1_000_000;
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'root', command: `head -c ${total} /dev/zero; echo warn >&2` }, window: 65536 } });
    await gw.next('opened', 1);
    // Wait for the window to fill (the machine may be busy), then check it stays full.
    await until(() => gw.dataBytes(1) >= 65536);
    await tick(300);
    expect(gw.dataBytes(1)).toBe(65536);
    gw.send({ type: 'credit', stream: 1, bytes: 100_000 });
    await until(() => gw.dataBytes(1) >= 165_536);
    await tick(200);
    expect(gw.dataBytes(1)).toBe(165_536);
    expect(gw.all('exit', 1)).toEqual([]);
    for (let granted = 165_536; granted < total + 5; granted += 200_000) gw.send({ type: 'credit', stream: 1, bytes: 200_000 });
    expect(await gw.next('exit', 1)).toMatchObject({ body: { code: 0 } });
    expect(gw.dataBytes(1)).toBe(total);
    expect(new TextDecoder().decode(gw.all('stderr', 1)[0]!.data)).toBe('warn\n');
    const exitIndex = gw.received.findIndex((f) => f.type === 'exit');
    expect(gw.received.slice(exitIndex + 1).filter((f) => f.stream === 1)).toEqual([]);
  });

  it('feeds stdin, grants input credit as it drains, and ends it on eof', async () => {
    const { gw } = setup({ window: 4096 });
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'root', command: 'wc -c' }, window: 65536 } });
    expect((await gw.next('opened', 1)).body.window).toBe(4096);
    gw.send({ type: 'data', stream: 1, data: new Uint8Array(4096) });
    expect((await gw.next('credit', 1)).bytes).toBe(4096);
    gw.send({ type: 'data', stream: 1, data: new Uint8Array(100) });
    gw.send({ type: 'eof', stream: 1 });
    await gw.next('exit', 1);
    expect(new TextDecoder().decode(gw.all('data', 1)[0]!.data).trim()).toBe('4196');
  });

  it('reports a shell killed by a signal, with resize applied before', async () => {
    const { gw } = setup();
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'shell', targetUser: 'root', pty: { cols: 80, rows: 24, term: 'xterm' } }, window: 65536 }, });
    expect((await gw.next('opened', 1)).body.shell).toMatch(/^\//);
    gw.send({ type: 'resize', stream: 1, body: { cols: 99, rows: 33 } });
    gw.send({ type: 'data', stream: 1, data: text('stty size; kill -9 $$\r') });
    expect(await gw.next('exit', 1, 10_000)).toEqual({ type: 'exit', stream: 1, body: { code: null, signal: 'SIGKILL' } });
    const out = gw.all('data', 1).map((f) => new TextDecoder().decode(f.data)).join('');
    expect(out).toMatch(/33 99/);
  });

  it('treats input beyond the granted credit as a protocol error', async () => {
    const { gw, session } = setup({ window: 10 });
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'root', command: 'cat' }, window: 10 } });
    await gw.next('opened', 1);
    gw.send({ type: 'data', stream: 1, data: new Uint8Array(11) });
    expect(await session.closed).toMatch(/sent 11 bytes beyond its credit/);
  });

  it('kills the runner on close, and every runner when the link ends', async () => {
    const { gw, session } = setup();
    gw.send({ type: 'open', stream: 1, body: { spec: { kind: 'exec', targetUser: 'root', command: 'sleep 8765431' }, window: 10 } });
    gw.send({ type: 'open', stream: 2, body: { spec: { kind: 'exec', targetUser: 'root', command: 'sleep 8765432' }, window: 10 } });
    const shellSpec: OpenSpec = { kind: 'shell', targetUser: 'root', pty: { cols: 80, rows: 24, term: 'xterm' } };
    gw.send({ type: 'open', stream: 3, body: { spec: shellSpec, window: 65536 } });
    await gw.next('opened', 1);
    await gw.next('opened', 2);
    expect((await gw.next('opened', 3)).body.shell).toBeTruthy();
    gw.send({ type: 'data', stream: 3, data: text('exec sleep 8765433\r') });
    await until(() => running('sleep 876543[1]') !== '' && running('sleep 876543[2]') !== '' && running('sleep 876543[3]') !== '');
    gw.send({ type: 'close', stream: 1, body: { reason: 'user left' } });
    await until(() => running('sleep 876543[1]') === '');
    expect(running('sleep 876543[2]')).not.toBe('');
    expect(running('sleep 876543[3]')).not.toBe('');
    gw.hangUp();
    await session.closed;
    expect(running('sleep 876543[23]')).toBe('');
    expect(session.streamCount).toBe(0);
  });
});

describe('AgentSession as a remote agent (challenge–response)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const CHALLENGE = randomBytes(32).toString('base64url');

  function remote(extra: Partial<AgentSessionOptions> = {}) {
    const gw = new ScriptedPeer();
    const logs: string[] = [];
    let accepted = 0;
    const session = new AgentSession(gw.transport, {
      name: 'web-1', hostname: 'host', agentVersion: '0.0.0', identity: { uid: 0 },
      log: (l) => logs.push(l),
      sign: (m) => sign(null, Buffer.from(m), privateKey).toString('base64url'),
      onAccepted: () => accepted++,
      ...extra,
    });
    sessions.push(session);
    session.start();
    return { gw, session, logs, accepted: () => accepted };
  }

  it('waits for the challenge, answers with a signature over it, and is accepted by the first frame after', async () => {
    const { gw, accepted } = remote();
    await tick(20);
    expect(gw.received).toEqual([]);
    gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION, challenge: CHALLENGE } });
    const hello = await gw.next('hello');
    expect(hello.body).toMatchObject({ role: 'agent', name: 'web-1', signature: expect.any(String) });
    const sig = Buffer.from((hello.body as { signature: string }).signature, 'base64url');
    expect(verify(null, Buffer.from(agentAuthMessage(CHALLENGE, 'web-1')), publicKey, sig)).toBe(true);
    expect(accepted()).toBe(0);
    gw.send({ type: 'ping', stream: 0, nonce: 5 });
    expect(await gw.next('pong')).toMatchObject({ nonce: 5 });
    expect(accepted()).toBe(1);
  });

  it('refuses a gateway that sends no challenge', async () => {
    const { gw, session } = remote();
    gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION } });
    expect(await session.closed).toMatch(/sent no challenge/);
    expect(gw.all('hello')).toEqual([]);
  });

  it('as the stdio agent, refuses a challenge it cannot answer', async () => {
    const { gw, session } = setup({ hello: false });
    gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION, challenge: CHALLENGE } });
    expect(await session.closed).toMatch(/no identity to answer it/);
  });

  it('pings once accepted and ends a link on which nothing arrives', async () => {
    const { gw, session, logs } = remote({ keepalive: { intervalMs: 20, timeoutMs: 100 } });
    gw.send({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION, challenge: CHALLENGE } });
    await gw.next('hello');
    gw.send({ type: 'ping', stream: 0, nonce: 1 });
    await gw.next('ping');
    expect(await session.closed).toMatch(/no frame from the service/);
    expect(logs.join('\n')).toMatch(/nothing from the service/);
  });
});
