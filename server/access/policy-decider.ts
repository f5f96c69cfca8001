/**
 * The policy decision point. Pure and synchronous: same policies and request, same Decision.
 * Deny by default: without a target-access policy naming the subject, the target (by name or
 * environment), the action and the target user, the answer is deny.
 */
import type { Action, Permit } from '../../protocol/permit';
import type { AccessRequest, Decision, PolicyDocument, Subject, Subjects, TargetFacts } from './types';

/** `{username}` = the part of the user's email before `@`. */
export function expandTargetUser(pattern: string, email: string): string {
  return pattern.replaceAll('{username}', email.split('@')[0] ?? '');
}

function appliesTo(s: Subjects, subject: Subject): boolean {
  return (
    (s.users ?? []).some((u) => u.toLowerCase() === subject.email.toLowerCase()) ||
    (s.groups ?? []).some((g) => subject.groups.includes(g))
  );
}

function coversTarget(p: { targets?: string[]; environments?: string[] }, t: TargetFacts): boolean {
  return (p.targets ?? []).includes(t.name) || (p.environments ?? []).includes(t.environment);
}

/** Target users the subject may use on the target for the action, with the policies granting each. */
export function allowedTargetUsers(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of policies) {
    if (p.kind !== 'target_access' || !appliesTo(p.subjects, subject) || !coversTarget(p, target) || !p.actions.includes(action)) continue;
    for (const pattern of p.targetUsers) {
      const u = expandTargetUser(pattern, subject.email);
      if (!u) continue;
      out.set(u, [...(out.get(u) ?? []), p.name]);
    }
  }
  return out;
}

export function decide(policies: PolicyDocument[], req: AccessRequest): Decision {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, req.action);
  if (allowed.size === 0) return { effect: 'deny', code: 'NO_POLICY', reason: `no policy allows ${req.action} on ${req.target.name}` };
  let targetUser = req.targetUser;
  if (targetUser === null) {
    if (allowed.size > 1) {
      const choices = [...allowed.keys()].sort();
      return { effect: 'deny', code: 'TARGET_USER_AMBIGUOUS', reason: `choose a target user: ${choices.join(', ')}`, choices };
    }
    targetUser = [...allowed.keys()][0]!;
  }
  const grantedBy = allowed.get(targetUser);
  if (!grantedBy) {
    return { effect: 'deny', code: 'TARGET_USER_NOT_ALLOWED', reason: `no policy allows ${targetUser} on ${req.target.name}`, choices: [...allowed.keys()].sort() };
  }
  const actions = (['shell', 'tunnel', 'copy'] as const).filter((a) => allowedTargetUsers(policies, req.subject, req.target, a).has(targetUser!));
  const recordInput = policies.some((p) => p.kind === 'session_recording' && p.recordInput && appliesTo(p.subjects, req.subject));
  const permit: Permit = {
    userId: req.subject.userId,
    email: req.subject.email,
    targetId: req.target.id,
    targetName: req.target.name,
    environment: req.target.environment,
    targetUser,
    actions,
    recordInput,
    notAfter: null,
    policies: grantedBy,
  };
  return { effect: 'allow', permit };
}

/**
 * A TCP tunnel carries no login, so it needs only a policy granting `tunnel` on the target;
 * the permit's target user is empty.
 */
export function decideTunnel(policies: PolicyDocument[], req: Omit<AccessRequest, 'action' | 'targetUser'>): Decision {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, 'tunnel');
  if (allowed.size === 0) return { effect: 'deny', code: 'NO_POLICY', reason: `no policy allows tunnel on ${req.target.name}` };
  return {
    effect: 'allow',
    permit: {
      userId: req.subject.userId,
      email: req.subject.email,
      targetId: req.target.id,
      targetName: req.target.name,
      environment: req.target.environment,
      targetUser: '',
      actions: ['tunnel'],
      recordInput: false,
      notAfter: null,
      policies: [...new Set([...allowed.values()].flat())].sort(),
    },
  };
}
