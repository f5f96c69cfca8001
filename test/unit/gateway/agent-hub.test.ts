import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, CHALLENGE_RE, type AgentHello, type OpenSpec } from '../../../protocol/agent-frames';
import { AgentHub, type HubChange } from '../../../gateway/agent/agent-hub';
import { createAgentDialer } from '../../../gateway/agent/agent-dialer';
import type { TargetRef } from '../../../gateway/types';
import { ScriptedPeer, tick } from './frame-peer';

const SIG = 's'.repeat(85) + 'A';
const shell: OpenSpec = { kind: 'shell', targetUser: 'alice', pty: { cols: 80, rows: 24, term: 'xterm' } };
const hubs: AgentHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close('test over')));
});

function makeHub(opts: { heartbeatMs?: number; offlineAfterMs?: number; maxPending?: number } = {}) {
  const logs: string[] = [];
  const changes: HubChange[] = [];
  const hub = new AgentHub({ heartbeatMs: opts.heartbeatMs ?? 1000, offlineAfterMs: opts.offlineAfterMs ?? 5000, log: (l) => logs.push(l), ...(opts.maxPending ? { maxPending: opts.maxPending } : {}) });
  hub.onChange((c) => changes.push(c));
  hubs.push(hub);
  return { hub, logs, changes };
}

/** Dials the hub as an agent named `name`; `decide` plays the server's signature check. */
function dial(hub: AgentHub, name: string, decide: (h: AgentHello, challenge: string) => string | null = () => name) {
  const agent = new ScriptedPeer();
  const seen: { hello: AgentHello; challenge: string }[] = [];
  const link = hub.accept(agent.transport, {
    label: 'agent link',
    source: '127.0.0.1',
    authenticate: async (hello, challenge) => (seen.push({ hello, challenge }), decide(hello, challenge)),
  });
  agent.send({ type: 'hello', stream: 0, body: { role: 'agent', v: AGENT_PROTOCOL_VERSION, name, hostname: `${name}.example`, agentVersion: '1', signature: SIG } });
  return { agent, link, seen };
}

/** Answers the hub's pings and opens like a live agent would. */
function liveAgent(agent: ScriptedPeer): () => void {
  let taken = 0;
  const t = setInterval(() => {
    for (const f of agent.received.slice(taken)) {
      if (f.type === 'ping') agent.send({ type: 'pong', stream: 0, nonce: f.nonce });
      if (f.type === 'open') agent.send({ type: 'opened', stream: f.stream, body: { window: 1000 } });
    }
    taken = agent.received.length;
  }, 5);
  return () => clearInterval(t);
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met: ${cond.toString()}`);
    await tick(5);
  }
}

describe('AgentHub', () => {
  it('registers a verified link under its target, with a fresh challenge per link', async () => {
    const { hub, changes } = makeHub();
    const a = dial(hub, 'web-1', () => 't1');
    await a.link.ready();
    expect(hub.isOnline('t1')).toBe(true);
    expect(hub.get('t1')).toBe(a.link);
    expect(hub.online()).toEqual(['t1']);
    expect(changes).toEqual([{ type: 'online', targetId: 't1', agent: { name: 'web-1', hostname: 'web-1.example', agentVersion: '1' }, replaced: false }]);
    const b = dial(hub, 'web-2', () => 't2');
    await b.link.ready();
    expect(a.seen[0]!.challenge).toMatch(CHALLENGE_RE);
    expect(b.seen[0]!.challenge).not.toBe(a.seen[0]!.challenge);
    expect(a.agent.received[0]).toMatchObject({ type: 'hello', body: { challenge: a.seen[0]!.challenge } });
  });

  it('refuses an agent the server does not recognise with 4401, and reports nothing', async () => {
    const { hub, changes } = makeHub();
    const a = dial(hub, 'ghost', () => null);
    expect(await a.link.closed).toBe('agent authentication failed');
    expect(a.agent.endCode).toBe(4401);
    expect(hub.isOnline('ghost')).toBe(false);
    expect(changes).toEqual([]);
    expect(hub.pendingCount).toBe(0);
  });

  it('replaces the older link of a target; only the newest counts', async () => {
    const { hub, changes } = makeHub();
    const first = dial(hub, 'web-1', () => 't1');
    await first.link.ready();
    const second = dial(hub, 'web-1', () => 't1');
    await second.link.ready();
    expect(await first.link.closed).toBe('replaced by a new connection');
    expect(first.agent.endCode).toBe(4409);
    await tick(10);
    expect(hub.get('t1')).toBe(second.link);
    expect(changes.map((c) => c.type)).toEqual(['online', 'online']);
    expect(changes[1]).toMatchObject({ replaced: true });
  });

  it('takes a silent agent offline after offlineAfter: its channels end with "target offline"', async () => {
    // Wide margins (1 s offline, pings every 50 ms) so a loaded machine's timer delays cannot
    // fake a silence; the behaviour under test is the same.
    const { hub, changes } = makeHub({ heartbeatMs: 50, offlineAfterMs: 1000 });
    const a = dial(hub, 'web-1', () => 't1');
    const stop = liveAgent(a.agent);
    const dialer = createAgentDialer(hub);
    await a.link.ready();
    const target: TargetRef = { id: 't1', name: 'web-1', kind: 'agent' };
    const ch = await dialer.open(target, { kind: 'shell', targetUser: 'alice', size: { cols: 80, rows: 24 }, term: 'xterm' }, new AbortController().signal);
    // Answering pings keeps it online well past offlineAfter.
    await tick(2500);
    expect(hub.isOnline('t1')).toBe(true);
    stop();
    const silentFrom = Date.now();
    expect(await ch.exit).toEqual({ code: null, error: 'target offline' });
    expect(Date.now() - silentFrom).toBeLessThan(3000);
    expect(a.agent.endCode).toBe(4408);
    await until(() => changes.length === 2);
    expect(changes[1]).toMatchObject({ type: 'offline', targetId: 't1', reason: 'target offline' });
    expect((changes[1] as { lastSeen: Date }).lastSeen.getTime()).toBeLessThanOrEqual(silentFrom + 30);
    expect(hub.isOnline('t1')).toBe(false);
    await expect(dialer.open(target, { kind: 'exec', targetUser: 'alice', command: 'true' }, new AbortController().signal)).rejects.toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      message: 'target offline',
    });
  });

  it('ends channels with "target offline" when the agent hangs up, whatever the detail', async () => {
    const { hub, changes } = makeHub();
    const a = dial(hub, 'web-1', () => 't1');
    const stop = liveAgent(a.agent);
    await a.link.ready();
    const link = hub.get('t1')!;
    const ch = await link.open(shell);
    stop();
    a.agent.hangUp('the agent closed the link (1006)');
    expect(await ch.exit).toEqual({ code: null, error: 'target offline' });
    await until(() => changes.length === 2);
    expect(changes[1]).toMatchObject({ type: 'offline', reason: 'the agent closed the link (1006)' });
  });

  it('removes a target: closes its link and refuses it from then on, even mid-handshake', async () => {
    const { hub } = makeHub();
    const a = dial(hub, 'web-1', () => 't1');
    await a.link.ready();
    hub.remove('t1', 'target deleted');
    expect(await a.link.closed).toBe('target deleted');
    expect(a.agent.endCode).toBe(4401);
    const again = dial(hub, 'web-1', () => 't1');
    expect(await again.link.closed).toBe('agent authentication failed');
    // A handshake whose verification was under way when the target went.
    let approve!: (id: string) => void;
    const slow = new ScriptedPeer();
    const link = hub.accept(slow.transport, { label: 'l', source: 's', authenticate: () => new Promise((r) => (approve = r)) });
    slow.send({ type: 'hello', stream: 0, body: { role: 'agent', v: 1, name: 'db-1', hostname: 'h', agentVersion: '1', signature: SIG } });
    await tick(10);
    hub.remove('t2', 'target deleted');
    approve('t2');
    expect(await link.closed).toBe('agent authentication failed');
    expect(hub.isOnline('t2')).toBe(false);
  });

  it('caps handshakes in progress', async () => {
    const { hub } = makeHub({ maxPending: 2 });
    const idle = () => {
      const p = new ScriptedPeer();
      return { p, link: hub.accept(p.transport, { label: 'l', source: 's', authenticate: async () => null }) };
    };
    const a = idle();
    const b = idle();
    const c = idle();
    expect(await c.link.closed).toBe('too many agent handshakes in progress');
    expect(c.p.endCode).toBe(1013);
    expect(a.link.isClosed || b.link.isClosed).toBe(false);
    expect(hub.pendingCount).toBe(2);
  });
});
