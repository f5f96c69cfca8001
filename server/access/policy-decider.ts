/**
 * The policy decision point. Pure and synchronous: same policies and request, same Decision.
 * Deny by default: without a policy naming the subject (user, group or API key), the target
 * (by name or environment), the action and the target user, the answer is deny.
 *
 * What grants what:
 * - `target_access` grants its actions × target users on agent, ssh and local targets;
 * - `proxy` grants `tunnel` × its target users (database or web users) on proxy targets, and
 *   nothing else; target-access policies grant nothing on proxy targets;
 * - `session_recording` grants nothing; it only asks for input to be recorded;
 * - `just_in_time` grants nothing by itself: it says what may be *requested* (`governingJit`);
 *   an approved request adds a `JIT-…` target-access policy with `expiresAt`, which grants
 *   until then (a permit it alone allows carries that time as `notAfter`).
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
function grants(p: PolicyDocument, subject: Subject, target: TargetFacts, action: Action, now?: number): string[] | null {
  if (!appliesTo(p.subjects, subject)) return null;
  if (p.kind === 'target_access' && p.expiresAt !== undefined && now !== undefined && Date.parse(p.expiresAt) <= now) return null;
  const isProxy = target.kind === 'proxy';
  if (p.kind === 'target_access' && !isProxy && coversTarget(p, target) && p.actions.includes(action)) return p.targetUsers;
  if (p.kind === 'proxy' && isProxy && action === 'tunnel' && coversTarget(p, target)) return p.targetUsers;
  return null;
}

/** Target users the subject may use on the target for the action, with the policies granting each. */
export function allowedTargetUsers(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action, now?: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of policies) {
    for (const pattern of grants(p, subject, target, action, now) ?? []) {
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

/** When the grant ends: null if any granting policy is standing, else the latest JIT expiry. */
function notAfterOf(policies: PolicyDocument[], grantedBy: string[]): string | null {
  let latest: string | null = null;
  for (const name of new Set(grantedBy)) {
    const p = policies.find((x) => x.name === name);
    if (!p || p.kind !== 'target_access' || p.expiresAt === undefined) return null;
    if (latest === null || p.expiresAt > latest) latest = p.expiresAt;
  }
  return latest;
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
    notAfter: notAfterOf(policies, grantedBy),
    policies: [...new Set(grantedBy)].sort(),
  };
}

export function decide(policies: PolicyDocument[], req: AccessRequest): Decision {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, req.action, req.now);
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
  const actions = ACTIONS.filter((a) => allowedTargetUsers(policies, req.subject, req.target, a, req.now).has(targetUser!));
  return { effect: 'allow', permit: permitFor(policies, req, targetUser, actions, grantedBy) };
}

/**
 * A TCP tunnel carries no login, so it needs only a policy granting `tunnel` on the target;
 * the permit's target user is empty.
 */
export function decideTunnel(policies: PolicyDocument[], req: Omit<AccessRequest, 'action' | 'targetUser'>): Decision {
  const allowed = allowedTargetUsers(policies, req.subject, req.target, 'tunnel', req.now);
  if (allowed.size === 0) return { effect: 'deny', code: 'NO_POLICY', reason: `no policy allows tunnel on ${req.target.name}` };
  return { effect: 'allow', permit: permitFor(policies, req, '', ['tunnel'], [...allowed.values()].flat()) };
}

/**
 * Re-decides a live connection's permit against changed policies or facts: still allowed only
 * if the same target user is still granted for the connection's action.
 */
export function stillAllowed(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action, targetUser: string, now?: number): boolean {
  if (action === 'tunnel' && targetUser === '') return decideTunnel(policies, { subject, target, ...(now !== undefined ? { now } : {}) }).effect === 'allow';
  return allowedTargetUsers(policies, subject, target, action, now).has(targetUser);
}

type JitPolicy = Extract<PolicyDocument, { kind: 'just_in_time' }>;

export interface JitTerms {
  policy: string;
  approval: 'auto' | 'manual';
  maxDurationSeconds: number;
  approvers: { users: string[]; groups: string[] };
}

/**
 * The JIT policy that governs a request for (target, action, target user), or null if none
 * lets the subject ask. Precedence (SPEC §3): manual beats auto, then the shorter duration wins,
 * then the name (so the answer never depends on storage order).
 */
export function governingJit(policies: PolicyDocument[], subject: Subject, target: TargetFacts, action: Action, targetUser: string, seconds: (d: string) => number): JitTerms | null {
  const candidates = policies.filter(
    (p): p is JitPolicy =>
      p.kind === 'just_in_time' &&
      target.kind !== 'proxy' &&
      appliesTo(p.subjects, subject) &&
      coversTarget(p, target) &&
      p.actions.includes(action) &&
      p.targetUsers.some((u) => expandTargetUser(u, subject.username) === targetUser),
  );
  candidates.sort((a, b) => (a.approval === b.approval ? 0 : a.approval === 'manual' ? -1 : 1) || seconds(a.duration) - seconds(b.duration) || a.name.localeCompare(b.name));
  const p = candidates[0];
  if (!p) return null;
  return { policy: p.name, approval: p.approval, maxDurationSeconds: seconds(p.duration), approvers: { users: p.approvers?.users ?? [], groups: p.approvers?.groups ?? [] } };
}

/** Every (action, target user) the subject may request on the target, with the governing terms. */
export function requestableOn(policies: PolicyDocument[], subject: Subject, target: TargetFacts, seconds: (d: string) => number): { action: Action; targetUser: string; terms: JitTerms }[] {
  const out: { action: Action; targetUser: string; terms: JitTerms }[] = [];
  for (const action of ACTIONS) {
    const users = new Set<string>();
    for (const p of policies) {
      if (p.kind !== 'just_in_time' || !appliesTo(p.subjects, subject) || !coversTarget(p, target) || !p.actions.includes(action)) continue;
      for (const u of p.targetUsers) users.add(expandTargetUser(u, subject.username));
    }
    for (const u of [...users].filter(Boolean).sort()) {
      const terms = governingJit(policies, subject, target, action, u, seconds);
      if (terms) out.push({ action, targetUser: u, terms });
    }
  }
  return out;
}
