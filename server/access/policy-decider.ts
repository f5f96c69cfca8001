/**
 * The policy decision point. Pure and synchronous: same policies and request, same Decision.
 * Deny by default: without a policy naming the subject (user, group or API key), the target
 * (by name or environment), the action and the target user, the answer is deny.
 *
 * What grants what:
 * - `target_access` grants its actions × target users on agent, ssh and local targets;
 * - `proxy` grants `tunnel` × its target users (database or web users) on proxy targets, and
 *   nothing else; target-access policies grant nothing on proxy targets;
 * - `session_recording` grants nothing; it only asks for input to be recorded.
 */
import type { Action, Permit } from '../../protocol/permit';
import type { AccessRequest, Decision, PolicyDocument, Subject, Subjects, TargetFacts } from './types';

export const ACTIONS: readonly Action[] = ['shell', 'tunnel', 'copy'];

/** `{username}`: the part of the user's email before `@` (an API key's name). */
export function expandTargetUser(pattern: string, username: string): string {
  return pattern.replaceAll('{username}', username);
}

/** The local part of an email: what `{username}` means for a user. */
export const usernameOf = (email: string): string => email.split('@')[0] ?? '';

export function appliesTo(s: Subjects, subject: Subject): boolean {
  if (subject.apiKeyId !== undefined) return (s.apiKeys ?? []).includes(subject.apiKeyId);
  return (
    (s.users ?? []).some((u) => u.toLowerCase() === subject.email.toLowerCase()) ||
    (s.groups ?? []).some((g) => subject.groups.includes(g))
  );
}

function coversTarget(p: { targets?: string[]; environments?: string[] }, t: TargetFacts): boolean {
  return (p.targets ?? []).includes(t.name) || (p.environments ?? []).includes(t.environment);
}

/** The action and target users one policy grants the subject on the target, or null. */
function grants(p: PolicyDocument, subject: Subject, target: TargetFacts, action: Action): string[] | null {
  if (!appliesTo(p.subjects, subject)) return null;
  const isProxy = target.kind === 'proxy';
  if (p.kind === 'target_access' && !isProxy && coversTarget(p, target) && p.actions.includes(action)) return p.targetUsers;
  if (p.kind === 'proxy' && isProxy && action === 'tunnel' && coversTarget(p, target)) return p.targetUsers;
  return null;
}

/** Target users the subject may use on the target for the action, with the policies granting each. */
export function allowedTargetUsers(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of policies) {
    for (const pattern of grants(p, subject, target, action) ?? []) {
      const u = expandTargetUser(pattern, subject.username);
      if (!u) continue;
      out.set(u, [...(out.get(u) ?? []), p.name]);
    }
  }
  return out;
}

export function recordsInput(policies: PolicyDocument[], subject: Subject): boolean {
  return policies.some((p) => p.kind === 'session_recording' && p.recordInput && appliesTo(p.subjects, subject));
}

function permitFor(policies: PolicyDocument[], req: Omit<AccessRequest, 'action' | 'targetUser'>, targetUser: string, actions: Action[], grantedBy: string[]): Permit {
  return {
    userId: req.subject.userId,
    email: req.subject.email,
    targetId: req.target.id,
    targetName: req.target.name,
    environment: req.target.environment,
    targetUser,
    actions,
    recordInput: recordsInput(policies, req.subject),
    notAfter: null,
    policies: [...new Set(grantedBy)].sort(),
  };
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
  const actions = ACTIONS.filter((a) => allowedTargetUsers(policies, req.subject, req.target, a).has(targetUser!));
  return { effect: 'allow', permit: permitFor(policies, req, targetUser, actions, grantedBy) };
}

/**
 * A TCP tunnel carries no login, so it needs only a policy granting `tunnel` on the target;
 * the permit's target user is empty.
 */
export function decideTunnel(policies: PolicyDocument[], req: Omit<AccessRequest, 'action' | 'targetUser'>): Decision {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, 'tunnel');
  if (allowed.size === 0) return { effect: 'deny', code: 'NO_POLICY', reason: `no policy allows tunnel on ${req.target.name}` };
  return { effect: 'allow', permit: permitFor(policies, req, '', ['tunnel'], [...allowed.values()].flat()) };
}

/**
 * Re-decides a live connection's permit against changed policies or facts: still allowed only
 * if the same target user is still granted for the connection's action.
 */
export function stillAllowed(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action, targetUser: string): boolean {
  if (action === 'tunnel' && targetUser === '') return decideTunnel(policies, { subject, target }).effect === 'allow';
  return allowedTargetUsers(policies, subject, target, action).has(targetUser);
}
