import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, DEFAULT_WINDOW, type OpenSpec } from '../../../protocol/agent-frames';
import { GatehouseError } from '../../../protocol/errors';
import { AgentLink, type AgentLinkOptions } from '../../../gateway/agent/agent-link';
import type { Channel } from '../../../gateway/types';
import { ScriptedPeer, tick } from './frame-peer';

const shell: OpenSpec = { kind: 'shell', targetUser: 'alice', pty: { cols: 80, rows: 24, term: 'xterm' } };
const exec: OpenSpec = { kind: 'exec', targetUser: 'alice', command: 'make' };

const links: AgentLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.close('test over');
});

function setup(opts: AgentLinkOptions = {}, hello = true) {
  const agent = new ScriptedPeer();
  const logs: string[] = [];
  const link = new AgentLink(agent.transport, { log: (l) => logs.push(l), ...opts });
  links.push(link);
  if (hello) agent.send({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name: 'web-1', hostname: 'web-1', agentVersion: '0.1.0' } });
  return { agent, link, logs };
}

/** Opens a stream and answers it from the fake agent. */
async function opened(agent: ScriptedPeer, link: AgentLink, spec: OpenSpec, window = DEFAULT_WINDOW, shellPath?: string): Promise<{ ch: Channel; id: number }> {
  const p = link.open(spec);
  const open = await agent.next('open');
  agent.send({ type: 'opened', stream: open.stream, body: { window, ...(shellPath ? { shell: shellPath } : {}) } });
  return { ch: await p, id: open.stream };
}

const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);

describe('AgentLink handshake and open', () => {
  it('says hello, waits for the agent hello, then opens with a fresh stream id', async () => {
    const { agent, link } = setup({}, false);
    expect(agent.received[0]).toEqual({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION } });
    const p = link.open(shell);
    await tick(20);
    expect(agent.all('open')).toEqual([]);
    agent.send({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name: 'n', hostname: 'h', agentVersion: '1' } });
    const open = await agent.next('open');
    expect(open).toEqual({ type: 'open', stream: 1, body: { spec: shell, window: DEFAULT_WINDOW } });
    agent.send({ type: 'opened', stream: 1, body: { window: 1000, shell: '/bin/zsh' } });
    const ch = await p;
    expect(ch.kind).toBe('shell');
    expect(ch.shell).toBe('/bin/zsh');
    expect(ch.stderr).toBeUndefined();
    expect(link.agent).toEqual({ name: 'n', hostname: 'h', agentVersion: '1' });
    const second = await opened(agent, link, exec);
    expect(second.id).toBe(2);
    expect(second.ch.stderr).toBeDefined();
  });

  it.each([
    ['TARGET_USER_UNKNOWN', 'TARGET_USER_UNKNOWN'],
    ['NOT_PERMITTED', 'FORBIDDEN'],
    ['SPAWN_FAILED', 'TARGET_UNAVAILABLE'],
    ['CONNECT_FAILED', 'TARGET_UNAVAILABLE'],
  ] as const)('maps open_failed %s to %s with the agent message', async (code, mapped) => {
    const { agent, link } = setup();
    const p = link.open(shell);
    const open = await agent.next('open');
    agent.send({ type: 'open_failed', stream: open.stream, body: { code, message: `agent says ${code}` } });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toMatchObject({ code: mapped, message: `agent says ${code}` });
  });

  it('rejects an invalid request as BAD_REQUEST without touching the link', async () => {
    const { agent, link } = setup();
    await expect(link.open({ ...shell, targetUser: 'bad user' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(link.open({ ...shell, pty: { cols: 5000, rows: 1, term: 'x' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await opened(agent, link, shell);
    expect(link.isClosed).toBe(false);
  });

  it('honours an abort before the hello (nothing sent) and after the open was sent (close sent)', async () => {
    const { agent, link } = setup({}, false);
    const early = new AbortController();
    const p1 = link.open(shell, early.signal);
    early.abort(new GatehouseError('TARGET_UNAVAILABLE', 'early abort'));
    await expect(p1).rejects.toThrow('early abort');
    agent.send({ type: 'hello', stream: 0, body: { role: 'agent', v: 1, name: 'n', hostname: 'h', agentVersion: '1' } });
    const late = new AbortController();
    const p2 = link.open(shell, late.signal);
    const open = await agent.next('open');
    late.abort();
    await expect(p2).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE' });
    expect(await agent.next('close', open.stream)).toMatchObject({ body: { reason: 'open aborted' } });
    expect(agent.all('open')).toHaveLength(1);
    // The agent's answer crossing the abort is ignored, not a protocol error.
    agent.send({ type: 'opened', stream: open.stream, body: { window: 10 } });
    await tick(20);
    expect(link.isClosed).toBe(false);
  });

  it('fails opens and settles channels when the link ends', async () => {
    const { agent, link } = setup();
    const { ch } = await opened(agent, link, shell);
    const pending = link.open(exec);
    await agent.next('open', 2);
    link.close('agent went offline');
    await expect(pending).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE', message: expect.stringContaining('agent went offline') });
    expect(await ch.exit).toEqual({ code: null, error: 'agent went offline' });
    expect(await link.closed).toBe('agent went offline');
    await expect(link.open(shell)).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE' });
  });

  it('ends the link when the agent does not say hello in time', async () => {
    const { link, logs } = setup({ helloTimeoutMs: 50 }, false);
    await expect(link.open(shell)).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE', message: expect.stringContaining('no hello') });
    expect(logs.join('\n')).toMatch(/no hello within 50 ms/);
  });
});

describe('AgentLink protocol errors', () => {
  it.each([
    ['garbage bytes', (a: ScriptedPeer) => a.sendRaw(new Uint8Array([0, 0, 0, 5, 99, 0, 0, 0, 1])), /unknown frame type 99/],
    ['a frame on a stream never opened', (a: ScriptedPeer) => a.send({ type: 'data', stream: 77, data: bytes(1) }), /stream 77, which was never opened/],
    ['a second hello', (a: ScriptedPeer) => a.send({ type: 'hello', stream: 0, body: { role: 'agent', v: 1, name: 'n', hostname: 'h', agentVersion: '1' } }), /may not send hello/],
    ['an open from the agent', (a: ScriptedPeer) => a.send({ type: 'open', stream: 9, body: { spec: { kind: 'tcp', host: 'h', port: 1 }, window: 1 } }), /may not send open/],
    ['data beyond credit', (a: ScriptedPeer) => a.send({ type: 'data', stream: 1, data: bytes(2000) }), /beyond the granted credit/],
  ])('closes only that link on %s, with a logged reason', async (_name, misbehave, pattern) => {
    const { agent, link, logs } = setup({ window: 1000 });
    const other = setup();
    const { ch } = await opened(agent, link, shell);
    const { ch: otherCh } = await opened(other.agent, other.link, shell);
    misbehave(agent);
    const exit = await ch.exit;
    expect(exit.code).toBeNull();
    expect(exit.error).toMatch(pattern);
    expect(logs.join('\n')).toMatch(pattern);
    expect(agent.endReason).toMatch(pattern);
    expect(other.link.isClosed).toBe(false);
    otherCh.close('done');
  });

  it('rejects a wrong protocol version in hello', async () => {
    const { agent, link, logs } = setup({}, false);
    agent.send({ type: 'hello', stream: 0, body: { role: 'agent', v: 99, name: 'n', hostname: 'h', agentVersion: '1' } });
    expect(await link.closed).toMatch(/unsupported protocol version 99/);
    expect(logs).toHaveLength(1);
  });

  it('answers pings and measures its own', async () => {
    const { agent, link } = setup();
    agent.send({ type: 'ping', stream: 0, nonce: 42 });
    expect(await agent.next('pong')).toEqual({ type: 'pong', stream: 0, nonce: 42 });
    const rtt = link.ping(1000);
    const ping = await agent.next('ping');
    agent.send({ type: 'pong', stream: 0, nonce: ping.nonce });
    expect(await rtt).toBeGreaterThanOrEqual(0);
    await expect(link.ping(30)).rejects.toThrow(/no pong/);
  });

  it('ends the link when keepalive pings go unanswered', async () => {
    const { link } = setup({ keepalive: { intervalMs: 20, timeoutMs: 30 } });
    expect(await link.closed).toMatch(/keepalive: no pong within 30 ms/);
  });
});

describe('AgentChannel flow control', () => {
  it('grants credit only as the consumer reads', async () => {
    const { agent, link } = setup({ window: 4096 });
    const { ch, id } = await opened(agent, link, shell);
    agent.send({ type: 'data', stream: id, data: bytes(4096) });
    await tick(30);
    expect(agent.all('credit')).toEqual([]);
    // Nobody read: more data now is beyond credit, which the agent would never do. Read instead.
    const got = ch.io.read() as Buffer;
    expect(got.length).toBe(4096);
    const credit = await agent.next('credit', id);
    expect(credit.bytes).toBe(4096);
    agent.send({ type: 'data', stream: id, data: bytes(4096) });
    await tick(20);
    expect(link.isClosed).toBe(false);
  });

  it('grants credit for stderr as it is read, separately from stdout', async () => {
    const { agent, link } = setup({ window: 1000 });
    const { ch, id } = await opened(agent, link, exec);
    agent.send({ type: 'data', stream: id, data: bytes(500, 0x6f) });
    agent.send({ type: 'stderr', stream: id, data: bytes(500, 0x65) });
    await tick(20);
    expect((ch.io.read() as Buffer).toString()).toBe('o'.repeat(500));
    await tick(20);
    // 500 drained, threshold 250: one credit; stderr still unread.
    expect(agent.all('credit').reduce((n, c) => n + c.bytes, 0)).toBe(500);
    expect(((ch.stderr as NodeJS.ReadableStream).read() as Buffer).toString()).toBe('e'.repeat(500));
    await tick(20);
    expect(agent.all('credit').reduce((n, c) => n + c.bytes, 0)).toBe(1000);
  });

  it('writes only within the agent credit, in frames of at most 64 KiB, and calls back once sent', async () => {
    const { agent, link } = setup();
    const { ch, id } = await opened(agent, link, shell, 100_000);
    let written = false;
    ch.io.write(Buffer.alloc(150_000, 1), () => (written = true));
    await tick(20);
    expect(agent.dataBytes(id)).toBe(100_000);
    expect(Math.max(...agent.all('data', id).map((f) => f.data.length))).toBeLessThanOrEqual(64 * 1024);
    expect(written).toBe(false);
    agent.send({ type: 'credit', stream: id, bytes: 50_000 });
    await tick(20);
    expect(agent.dataBytes(id)).toBe(150_000);
    expect(written).toBe(true);
    ch.io.end();
    await agent.next('eof', id);
  });

  it('settles exit once, ends io after the buffered output, then drops writes', async () => {
    const { agent, link } = setup();
    const { ch, id } = await opened(agent, link, shell);
    let out = '';
    ch.io.on('data', (b: Buffer) => (out += b));
    const ended = new Promise((r) => ch.io.once('end', r));
    agent.send({ type: 'data', stream: id, data: new TextEncoder().encode('bye\r\n') });
    agent.send({ type: 'exit', stream: id, body: { code: null, signal: 'SIGHUP' } });
    expect(await ch.exit).toEqual({ code: null, signal: 'SIGHUP' });
    await ended;
    expect(out).toBe('bye\r\n');
    ch.close('after exit');
    ch.io.write('late keystroke');
    ch.resize({ cols: 1, rows: 1 });
    await tick(20);
    expect(agent.all('close', id)).toEqual([]);
    expect(agent.all('resize', id)).toEqual([]);
    // A late frame for the finished stream is not a protocol error.
    agent.send({ type: 'credit', stream: id, bytes: 10 });
    await tick(20);
    expect(link.isClosed).toBe(false);
  });

  it('close is idempotent and settles exit with the reason; the agent close frame does too', async () => {
    const { agent, link } = setup();
    const { ch, id } = await opened(agent, link, shell);
    ch.close('closed by admin');
    ch.close('again');
    expect(await ch.exit).toEqual({ code: null, error: 'closed by admin' });
    await tick(20);
    expect(agent.all('close', id)).toEqual([{ type: 'close', stream: id, body: { reason: 'closed by admin' } }]);
    const second = await opened(agent, link, exec);
    agent.send({ type: 'close', stream: second.id, body: { reason: 'runner failed' } });
    expect(await second.ch.exit).toEqual({ code: null, error: 'runner failed' });
  });

  it('sends clamped resizes for terminals only', async () => {
    const { agent, link } = setup();
    const { ch, id } = await opened(agent, link, shell);
    ch.resize({ cols: 5000, rows: 0 });
    expect(await agent.next('resize', id)).toMatchObject({ body: { cols: 1000, rows: 1 } });
    const e = await opened(agent, link, exec);
    e.ch.resize({ cols: 80, rows: 24 });
    await tick(20);
    expect(agent.all('resize', e.id)).toEqual([]);
  });

  it('treats the channel being destroyed by its consumer as a close', async () => {
    const { agent, link } = setup();
    const { ch, id } = await opened(agent, link, shell);
    ch.io.destroy();
    expect((await ch.exit).error).toMatch(/destroyed/);
    await agent.next('close', id);
  });

});

describe('AgentLink authentication (remote agents)', () => {
  const CHALLENGE = 'c'.repeat(42) + 'A';
  const SIG = 's'.repeat(85) + 'A';
  const hello = (signature?: string) =>
    ({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name: 'web-1', hostname: 'h', agentVersion: '1', ...(signature ? { signature } : {}) } }) as const;

  function authSetup(verify: (h: unknown) => Promise<boolean>, extra: AgentLinkOptions = {}) {
    const agent = new ScriptedPeer();
    const logs: string[] = [];
    const link = new AgentLink(agent.transport, { log: (l) => logs.push(l), auth: { challenge: CHALLENGE, verify }, ...extra });
    links.push(link);
    return { agent, link, logs };
  }

  it('sends the challenge, verifies the signed hello, then pings and serves opens', async () => {
    const seen: unknown[] = [];
    const { agent, link } = authSetup(async (h) => (seen.push(h), true));
    expect(agent.received[0]).toEqual({ type: 'hello', stream: 0, body: { role: 'gateway', v: AGENT_PROTOCOL_VERSION, challenge: CHALLENGE } });
    const p = link.open(shell);
    agent.send(hello(SIG));
    expect(await link.ready()).toEqual({ name: 'web-1', hostname: 'h', agentVersion: '1' });
    expect(seen).toEqual([hello(SIG).body]);
    // The first frame after the hellos is a ping: it tells the agent it was accepted.
    const ping = await agent.next('ping');
    expect(agent.received.indexOf(ping)).toBe(1);
    const open = await agent.next('open');
    agent.send({ type: 'opened', stream: open.stream, body: { window: 100 } });
    await p;
  });

  it.each([
    ['a refused signature', async () => false],
    ['a verifier that fails', async () => { throw new Error('db down'); }],
  ])('closes with 4401 "agent authentication failed" on %s, and never opens', async (_name, verify) => {
    const { agent, link } = authSetup(verify);
    const p = link.open(shell);
    agent.send(hello(SIG));
    expect(await link.closed).toBe('agent authentication failed');
    expect(agent.endCode).toBe(4401);
    await expect(p).rejects.toMatchObject({ code: 'TARGET_UNAVAILABLE' });
    expect(agent.all('open')).toEqual([]);
    expect(agent.all('ping')).toEqual([]);
  });

  it('refuses frames while the hello is being verified', async () => {
    let approve!: (ok: boolean) => void;
    const { agent, link } = authSetup(() => new Promise((r) => (approve = r)));
    agent.send(hello(SIG));
    await tick(10);
    agent.send({ type: 'ping', stream: 0, nonce: 1 });
    expect(await link.closed).toMatch(/ping before authentication completed/);
    expect(agent.endCode).toBe(1002);
    approve(true);
  });

  it('without auth, a hello carrying a signature is a protocol error', async () => {
    const { agent, link } = setup({}, false);
    agent.send(hello(SIG));
    expect(await link.closed).toMatch(/signature, but no challenge was sent/);
  });
});

describe('AgentLink presence', () => {
  it('counts any frame as alive, and ends a silent link with deadReason', async () => {
    // Margins are wide (a 1 s timeout, data every 20 ms) so a loaded machine's timer delays
    // cannot fake a silence; what is tested is that data counts as alive and silence does not.
    const { agent, link, logs } = setup({ keepalive: { intervalMs: 50, timeoutMs: 1000, deadReason: 'target offline' } });
    // Data flowing (no pongs at all) keeps the link up past several timeouts.
    const { ch, id } = await opened(agent, link, shell);
    const feeder = setInterval(() => agent.send({ type: 'data', stream: id, data: bytes(1) }), 20);
    ch.io.resume();
    await tick(3000);
    clearInterval(feeder);
    expect(link.isClosed).toBe(false);
    expect(agent.all('ping').length).toBeGreaterThan(5);
    const started = Date.now();
    expect(await link.closed).toBe('target offline');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(agent.endCode).toBe(4408);
    expect(logs.join('\n')).toMatch(/no frame for 1000 ms/);
  });

  it('settles channels with channelEndReason, while closed keeps the detail', async () => {
    const { agent, link } = setup({ channelEndReason: 'target offline' });
    const { ch } = await opened(agent, link, shell);
    agent.hangUp('the agent closed the link (1006)');
    expect(await ch.exit).toEqual({ code: null, error: 'target offline' });
    expect(await link.closed).toBe('the agent closed the link (1006)');
  });
});
