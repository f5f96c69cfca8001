import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../../server/store/store';
import { OFFLINE_REMOVAL_REASON, removeTarget, sweepAgentTargets, type RemovalDeps } from '../../../../server/targets/target-removal';
import type { AuditEvent } from '../../../../server/audit/types';
import type { AgentHub } from '../../../../gateway/agent/agent-hub';
import type { SessionBroker } from '../../../../gateway/session-broker';

let dir: string;
let store: Store;
let events: AuditEvent[];
let removedFromHub: string[];
let closed: { id: string; reason: string }[];
let onlineIds: Set<string>;
let live: { spec: { id: string; target: { id: string } }; close(reason: string): void; closed: Promise<void> }[];

function deps(): RemovalDeps {
  const hub = {
    online: () => [...onlineIds],
    isOnline: (id: string) => onlineIds.has(id),
    remove: (id: string) => void removedFromHub.push(id),
  } as unknown as AgentHub;
  const broker = {
    list: () => live,
    closeTarget: (id: string, reason: string) => live.filter((c) => c.spec.target.id === id).forEach((c) => c.close(reason)),
  } as unknown as SessionBroker;
  return { store, audit: { emit: (e) => void events.push(e), flush: async () => undefined, takeRequest: () => 0 }, broker, agents: hub, log: () => undefined };
}

function liveConn(id: string, targetId: string) {
  let done!: () => void;
  const closedP = new Promise<void>((r) => (done = r));
  return { spec: { id, target: { id: targetId } }, closed: closedP, close: (reason: string) => (closed.push({ id, reason }), done()) };
}

const ago = (s: number, now: number) => new Date(now - s * 1000).toISOString();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-removal-'));
  store = await openStore(join(dir, 'gatehouse.db'));
  events = [];
  removedFromHub = [];
  closed = [];
  onlineIds = new Set();
  live = [];
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('removeTarget', () => {
  it('closes the live connections of that target only, refuses its agent, deletes the row and audits', async () => {
    await store.targets.ensureEnvironment('default');
    const t = await store.targets.create({ name: 'web-1', kind: 'agent', environment: 'default', agentPublicKey: 'k', registeredWith: 'gk_x' });
    const other = await store.targets.create({ name: 'web-2', kind: 'agent', environment: 'default' });
    live = [liveConn('c1', t.id), liveConn('c2', other.id), liveConn('c3', t.id)];
    expect(await removeTarget(deps(), t, 'target deleted', { actor: 'admin@x', source: '1.2.3.4' })).toBe(2);
    expect(closed).toEqual([{ id: 'c1', reason: 'target deleted' }, { id: 'c3', reason: 'target deleted' }]);
    expect(removedFromHub).toEqual([t.id]);
    expect(await store.targets.byName('web-1')).toBeUndefined();
    expect(await store.targets.byName('web-2')).toBeDefined();
    expect(events).toEqual([{ type: 'target.delete', v: 1, outcome: 'success', target: 'web-1', targetId: t.id, reason: 'target deleted', connectionsClosed: 2 }]);
  });
});

describe('sweepAgentTargets', () => {
  it('deletes agents offline longer than their environment allows, and refreshes last_seen_at of online ones', async () => {
    const now = Date.parse('2030-01-01T12:00:00Z');
    await store.environments.setOfflineRemoval('prod', 3600);
    await store.targets.ensureEnvironment('keep');
    const mk = async (name: string, env: string, lastSeen: string | null) => {
      const t = await store.targets.create({ name, kind: 'agent', environment: env });
      if (lastSeen) await store.targets.setLastSeen([t.id], lastSeen);
      return t;
    };
    const gone = await mk('gone', 'prod', ago(7200, now));
    const recent = await mk('recent', 'prod', ago(1800, now));
    const online = await mk('online', 'prod', ago(99_999, now));
    await mk('never-removed', 'keep', ago(99_999, now));
    const neverSeen = await store.targets.create({ name: 'never-seen', kind: 'agent', environment: 'prod' });
    onlineIds.add(online.id);
    live = [liveConn('c1', gone.id)];

    // never-seen was created just now (real clock), so against `now` (2030) it is old too.
    const removed = await sweepAgentTargets(deps(), now);
    expect(removed.sort()).toEqual(['gone', 'never-seen']);
    expect(closed).toEqual([{ id: 'c1', reason: OFFLINE_REMOVAL_REASON }]);
    expect(removedFromHub.sort()).toEqual([gone.id, neverSeen.id].sort());
    expect((await store.targets.list()).map((t) => t.name).sort()).toEqual(['never-removed', 'online', 'recent']);
    expect((await store.targets.byId(online.id))!.last_seen_at).toBe(new Date(now).toISOString());
    expect((await store.targets.byId(recent.id))!.last_seen_at).toBe(ago(1800, now));
    expect(events.filter((e) => e.type === 'target.delete').map((e) => (e as { reason: string }).reason)).toEqual([OFFLINE_REMOVAL_REASON, OFFLINE_REMOVAL_REASON]);
  });
});
