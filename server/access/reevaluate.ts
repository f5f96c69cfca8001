/**
 * Re-decides every live connection and tunnel after access changed (a policy put or deleted, a
 * group membership removed, a target moved to another environment, an API key or user
 * deleted) and closes those whose permit no longer holds, with a reason that says why. The
 * same pure decider decides; a connection stays only if its own target user is still granted
 * for its own action. Recording-policy changes apply to new connections only: a running
 * recording is never switched.
 */
import type { Action, Permit } from '../../protocol/permit';
import type { Services } from '../services';
import { stillAllowed, usernameOf } from './policy-decider';
import type { PolicyDocument, Subject } from './types';

interface Live {
  permit: Permit;
  action: Action;
  close(reason: string, actor: string | null): void;
}

/** The subject behind a permit now, or null if it no longer exists. */
async function subjectNow(s: Services, permit: Permit): Promise<Subject | null> {
  if (permit.email.startsWith('apikey:')) {
    const key = await s.store.apiKeys.byId(permit.userId);
    return key && !key.registration ? { userId: key.id, email: permit.email, username: key.name, groups: [], apiKeyId: key.id } : null;
  }
  const user = await s.store.users.byId(permit.userId);
  if (!user) return null;
  return { userId: user.id, email: user.email, username: usernameOf(user.email), groups: await s.store.users.groupsOf(user.id) };
}

/**
 * Returns how many connections and tunnels were closed. They are closed with
 * `access revoked: WHY`, or with exactly `reason` when given (`jit expired`).
 */
export async function reevaluateAccess(s: Services, why: string, actor: string | null, reason?: string): Promise<number> {
  const live: Live[] = [
    ...s.broker.list().map((c) => ({ permit: c.spec.permit, action: 'shell' as const, close: (r: string, a: string | null) => c.close(r, a) })),
    ...s.broker.listTunnels().map((t) => ({ permit: t.permit, action: 'tunnel' as const, close: (r: string) => t.channel.close(r) })),
  ];
  if (live.length === 0) return 0;
  const policies: PolicyDocument[] = await s.store.policies.list();
  let closed = 0;
  for (const c of live) {
    const target = await s.store.targets.byId(c.permit.targetId);
    const subject = await subjectNow(s, c.permit);
    const ok =
      target !== undefined &&
      subject !== null &&
      stillAllowed(policies, subject, { id: target.id, name: target.name, environment: target.environment, kind: target.kind }, c.action, c.permit.targetUser, Date.now());
    if (!ok) {
      c.close(reason ?? `access revoked: ${why}`, actor);
      closed++;
    }
  }
  return closed;
}
