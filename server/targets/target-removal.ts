/**
 * Deleting a target, by an admin (`DELETE /api/v1/targets/:name`) or by the offline-removal
 * sweep, always the same way:
 *   1. its live connections and tunnels are closed with the reason (before the link goes, so
 *      they do not end as "target offline");
 *   2. its agent's link is closed and the agent refused from then on (AgentHub.remove), even
 *      one whose handshake is under way;
 *   3. the row is deleted, so the agent's next connect is refused (4401) and audited.
 * Connection rows and recordings of the target are kept: they are evidence.
 */
import type { AgentHub } from '../../gateway/agent/agent-hub';
import type { SessionBroker } from '../../gateway/session-broker';
import type { AuditContext, AuditLog } from '../audit/types';
import type { Store } from '../store/store';
import type { TargetRow } from '../store/targets-repo';

export const OFFLINE_REMOVAL_REASON = 'target removed after offline period';

export interface RemovalDeps {
  store: Store;
  audit: AuditLog;
  broker: SessionBroker;
  agents: AgentHub;
  log(msg: string): void;
}

/** Removes the target; resolves with the number of live connections it closed. */
export async function removeTarget(d: RemovalDeps, target: TargetRow, reason: string, ctx: AuditContext): Promise<number> {
  const live = d.broker.list().filter((c) => c.spec.target.id === target.id);
  d.broker.closeTarget(target.id, reason, ctx.actor); // its shells, execs and tunnels
  d.agents.remove(target.id, reason);
  await d.store.targets.remove(target.id);
  await Promise.all(live.map((c) => c.closed));
  d.audit.emit({ type: 'target.delete', v: 1, outcome: 'success', target: target.name, targetId: target.id, reason, connectionsClosed: live.length }, ctx);
  d.log(`target ${target.name} deleted (${reason}); ${live.length} live connection(s) closed`);
  return live.length;
}

/**
 * One pass of the periodic sweep: refreshes `last_seen_at` of the agents that are online (so
 * it is at most one sweep old), and removes agent targets that have been offline for longer
 * than their environment's offline-removal period. Resolves with the names removed.
 */
export async function sweepAgentTargets(d: RemovalDeps, now = Date.now()): Promise<string[]> {
  const online = d.agents.online();
  await d.store.targets.setLastSeen(online, new Date(now).toISOString());
  const removed: string[] = [];
  for (const t of await d.store.targets.listAgents()) {
    if (t.offline_removal_seconds === null || d.agents.isOnline(t.id)) continue;
    const since = Date.parse(t.last_seen_at ?? t.created_at);
    if (now - since < t.offline_removal_seconds * 1000) continue;
    await removeTarget(d, t, OFFLINE_REMOVAL_REASON, { actor: 'system', source: null });
    removed.push(t.name);
  }
  return removed;
}
