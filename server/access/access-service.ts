/**
 * Glue between stored state and the pure decider: loads the policies and the target, builds
 * the subject from an authenticated caller, and maps decisions to errors. Targets the caller
 * has no policy for are invisible (404), not forbidden.
 */
import { GatehouseError } from '../../protocol/errors';
import type { Action } from '../../protocol/permit';
import type { TargetInfo } from '../../protocol/api-types';
import type { Store } from '../store/store';
import type { TargetRow } from '../store/targets-repo';
import type { AuthState } from '../plugins/auth-hook';
import { allowedTargetUsers, decide, decideTunnel, requestableOn } from './policy-decider';
import { durationSeconds } from '../jit/durations';
import type { Decision, Subject } from './types';

const ACTIONS: Action[] = ['shell', 'tunnel', 'copy'];

export const subjectOf = (a: AuthState): Subject => ({
  userId: a.user.id,
  email: a.user.email,
  username: a.username,
  groups: a.groups,
  ...(a.apiKey ? { apiKeyId: a.apiKey.id } : {}),
});

/** Presence of a target; `local` is the bastion itself and always online. */
export type PresenceOf = (t: TargetRow) => 'online' | 'offline';

export function accessService(store: Store, presence: PresenceOf) {
  async function targetInfo(t: TargetRow, subject: Subject): Promise<TargetInfo> {
    const policies = await store.policies.list();
    const users = new Set<string>();
    const actions: Action[] = [];
    for (const a of ACTIONS) {
      const allowed = allowedTargetUsers(policies, subject, { id: t.id, name: t.name, environment: t.environment, kind: t.kind }, a, Date.now());
      if (allowed.size > 0) actions.push(a);
      for (const u of allowed.keys()) users.add(u);
    }
    return { id: t.id, name: t.name, kind: t.kind, status: presence(t), environment: t.environment, targetUsers: [...users].sort(), actions };
  }

  return {
    /** Targets the caller may use; admins see every target (with their own permissions). */
    async visibleTargets(a: AuthState): Promise<TargetInfo[]> {
      const subject = subjectOf(a);
      const infos = await Promise.all((await store.targets.list()).map((t) => targetInfo(t, subject)));
      return a.user.role === 'admin' ? infos : infos.filter((i) => i.actions.length > 0);
    },

    /** Decides one access; throws NOT_FOUND for targets the caller may not see, FORBIDDEN otherwise. */
    async decide(a: AuthState, targetName: string, action: Action, targetUser: string | null): Promise<Extract<Decision, { effect: 'allow' }> & { target: TargetRow }> {
      const target = await store.targets.byName(targetName);
      if (!target) throw new GatehouseError('NOT_FOUND', `no target named ${targetName}`);
      const facts = { id: target.id, name: target.name, environment: target.environment, kind: target.kind };
      const subject = subjectOf(a);
      const policies = await store.policies.list();
      const now = Date.now();
      const decision = action === 'tunnel' && targetUser === null
        ? decideTunnel(policies, { subject, target: facts, now })
        : decide(policies, { subject, target: facts, action, targetUser, now });
      if (decision.effect === 'allow') return { ...decision, target };
      // Access that may be requested is worth saying so (SPEC: a JIT hint on deny).
      const requestable = requestableOn(policies, subject, facts, durationSeconds).filter((r) => r.action === action && (targetUser === null || r.targetUser === targetUser));
      if (decision.code === 'NO_POLICY' && a.user.role !== 'admin' && requestable.length === 0) {
        const info = await targetInfo(target, subject);
        if (info.actions.length === 0) throw new GatehouseError('NOT_FOUND', `no target named ${targetName}`);
      }
      const hint = requestable[0] ? `; you may request it: gate request ${targetName} --user ${requestable[0].targetUser} --action ${action} --reason "…"` : '';
      throw new GatehouseError('FORBIDDEN', decision.reason + hint);
    },
  };
}
export type AccessService = ReturnType<typeof accessService>;
