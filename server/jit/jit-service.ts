/**
 * Just-in-time access (SPEC §3, §5): the approval broker. Requests are created, decided and
 * expired here and nowhere else; the web/CLI routes and the Slack channel only call in.
 *
 * What must stay true:
 * - A request is allowed only by a `just_in_time` policy (the governing one by precedence:
 *   manual beats auto, then the shorter duration), never for access the requester already has,
 *   and never twice for the same access while a request for it is pending or its grant is live.
 * - A decision happens once: `approve`/`deny` move a pending request with a conditional update,
 *   so a duplicate click, a redelivered Slack envelope or two approvers at once change nothing
 *   the second time (they get the current state back, `changed: false`).
 * - The requester never decides their own request; only the policy's approvers (users, groups;
 *   default every admin) do. A refused attempt is audited and changes nothing.
 * - An approval creates one `JIT-xxxxxxxx` target-access policy granting exactly what was asked,
 *   with `expiresAt`. At expiry the policy is deleted and every connection that depended on it
 *   is closed with reason `jit expired` (the broker's permit timers close shells on the dot;
 *   the sweep catches tunnels and anything else). Pending requests lapse after 1 h.
 */
import { randomBytes } from 'node:crypto';
import { GatehouseError } from '../../protocol/errors';
import type { AccessRequestInfo, CreateAccessRequest, RequestableTarget } from '../../protocol/api-types';
import type { Services } from '../services';
import type { AuthState } from '../plugins/auth-hook';
import type { RequestRow } from '../store/requests-repo';
import type { UserRow } from '../store/users-repo';
import type { AuditContext } from '../audit/types';
import { decide, governingJit, requestableOn } from '../access/policy-decider';
import { subjectOf } from '../access/access-service';
import { reevaluateAccess } from '../access/reevaluate';
import { JIT_GRANT_PREFIX } from '../access/policy-validate';
import { GRANT_EXPIRED } from '../../gateway/live-connection';
import { durationSeconds, formatSeconds } from './durations';
import { parseDuration } from '../config';

export const PENDING_TTL_SECONDS = 3600;
const MAX_REASON = 500;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
/** The sweep never sleeps longer than this, so a changed clock or a missed timer heals. */
const MAX_SWEEP_MS = 60_000;

const randomId = (n: number) => Array.from(randomBytes(n), (b) => ALPHABET[b % ALPHABET.length]).join('');

/** Who decides: a person (from the API or Slack), or the policy itself (`auto`). */
export type Decider = { kind: 'user'; user: UserRow; groups: string[] } | { kind: 'auto' };
export type Via = 'api' | 'slack' | 'auto';

/** Somewhere requests are announced and decisions shown (Slack); web and CLI just read. */
export interface ApprovalChannel {
  readonly name: string;
  /** A new manual request: tell its approvers. */
  announce(req: AccessRequestInfo, approvers: UserRow[]): Promise<void>;
  /** A request was decided or expired: update what was announced, tell the requester. */
  settled(req: AccessRequestInfo): Promise<void>;
}

export interface Decided {
  request: AccessRequestInfo;
  /** False when the request had already been decided (idempotent replay). */
  changed: boolean;
}

export function createJitService(s: Services) {
  const channels: ApprovalChannel[] = [];
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> = Promise.resolve();
  let stopped = false;

  const approversOf = (row: RequestRow) => JSON.parse(row.approvers) as { users: string[]; groups: string[] };

  /** The policy's approvers, or every admin when it names none. */
  function isApprover(row: RequestRow, user: UserRow, groups: string[]): boolean {
    const a = approversOf(row);
    const named = a.users.length > 0 || a.groups.length > 0;
    return named ? a.users.includes(user.email) || a.groups.some((g) => groups.includes(g)) : user.role === 'admin';
  }

  /** Who may see a request: admins, its requester, its approvers. */
  const visibleTo = (row: RequestRow, user: UserRow, groups: string[]): boolean =>
    user.role === 'admin' || row.requester_id === user.id || isApprover(row, user, groups);

  function mayDecide(row: RequestRow, user: UserRow, groups: string[]): string | null {
    if (row.state !== 'pending') return `the request is already ${row.state}`;
    if (user.id === row.requester_id) return 'you cannot decide your own request';
    if (isApprover(row, user, groups)) return null;
    const named = JSON.parse(row.approvers) as { users: string[]; groups: string[] };
    return `you are not an approver of this request (${named.users.length + named.groups.length > 0 ? 'the policy names its approvers' : 'approvers are the admins'})`;
  }

  function info(row: RequestRow, canDecide = false): AccessRequestInfo {
    return {
      id: row.id,
      requester: row.requester_email,
      target: row.target_name,
      targetUser: row.target_user,
      action: row.action,
      reason: row.reason,
      durationSeconds: row.duration_seconds,
      policy: row.policy,
      approval: row.approval,
      state: row.state,
      createdAt: row.created_at,
      decidedAt: row.decided_at,
      decidedBy: row.decided_by,
      decisionReason: row.decision_reason,
      expiresAt: row.expires_at,
      grantPolicy: row.grant_policy,
      grantEnded: row.grant_ended === 1,
      canDecide,
    };
  }

  /** Every approver as a user row: named users and group members, or every admin. */
  async function approverUsers(row: RequestRow): Promise<UserRow[]> {
    const a = approversOf(row);
    const all = await s.store.users.list();
    if (a.users.length === 0 && a.groups.length === 0) return all.filter((u) => u.role === 'admin' && u.id !== row.requester_id);
    const members = new Set((await s.store.users.groupMembers()).filter((m) => a.groups.includes(m.group_name)).map((m) => m.email));
    return all.filter((u) => (a.users.includes(u.email) || members.has(u.email)) && u.id !== row.requester_id);
  }

  function notify(row: RequestRow, what: 'announce' | 'settled', approvers: UserRow[] = []): void {
    const req = info(row);
    for (const ch of channels) {
      const p = what === 'announce' ? ch.announce(req, approvers) : ch.settled(req);
      p.catch((e: Error) => s.log(`jit: ${ch.name} could not ${what} request ${row.id}: ${e.message}`));
    }
  }

  function arm(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = null;
    void s.store.requests
      .nextDeadline()
      .then((next) => {
        if (stopped) return;
        const ms = next === null ? MAX_SWEEP_MS : Math.min(MAX_SWEEP_MS, Math.max(0, Date.parse(next) - Date.now()));
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void sweep(), ms);
        timer.unref();
      })
      .catch((e: Error) => s.log(`jit: could not schedule the sweep: ${e.message}`));
  }

  /** Ends what is due: lapsed pending requests and ended grants. Serialized; re-arms itself. */
  function sweep(): Promise<void> {
    sweeping = sweeping
      .then(async () => {
        const now = new Date().toISOString();
        for (const row of await s.store.requests.due(now)) {
          const sys: AuditContext = { actor: 'system', source: null };
          if (row.state === 'pending') {
            if (!(await s.store.requests.decide(row.id, { state: 'expired', at: now, by: null, reason: 'nobody answered in time' }))) continue;
            s.audit.emit({ type: 'jit.expire', v: 1, outcome: 'success', requestId: row.id, what: 'request' }, sys);
            notify((await s.store.requests.byId(row.id))!, 'settled');
          } else if (await s.store.requests.endGrant(row.id)) {
            if (row.grant_policy) await s.store.policies.remove(row.grant_policy);
            const closed = await reevaluateAccess(s, `${row.grant_policy ?? 'JIT grant'} expired`, 'system', GRANT_EXPIRED);
            s.audit.emit({ type: 'jit.expire', v: 1, outcome: 'success', requestId: row.id, what: 'grant', ...(row.grant_policy ? { grantPolicy: row.grant_policy } : {}), connectionsClosed: closed }, sys);
          }
        }
      })
      .catch((e: Error) => s.log(`jit: sweep failed: ${e.message}`))
      .finally(arm);
    return sweeping;
  }

  async function settle(row: RequestRow, decider: Decider, decision: 'approved' | 'denied', reason: string | null, via: Via, ctx: AuditContext): Promise<Decided> {
    if (decider.kind === 'user') {
      const refused = mayDecide(row, decider.user, decider.groups);
      if (refused) {
        s.audit.emit({ type: 'jit.decision', v: 1, outcome: 'denied', requestId: row.id, decision, via, reason: refused }, ctx);
        if (row.state !== 'pending') return { request: info(row), changed: false };
        throw new GatehouseError('FORBIDDEN', refused);
      }
    }
    const now = new Date();
    const by = decider.kind === 'user' ? decider.user.email : 'auto';
    let grantPolicy: string | undefined;
    let expiresAt: string | undefined;
    if (decision === 'approved') {
      grantPolicy = `${JIT_GRANT_PREFIX}${randomId(8)}`;
      expiresAt = new Date(now.getTime() + row.duration_seconds * 1000).toISOString();
    }
    if (!(await s.store.requests.decide(row.id, { state: decision, at: now.toISOString(), by, reason, ...(expiresAt ? { expiresAt } : {}), ...(grantPolicy ? { grantPolicy } : {}) }))) {
      // Someone else decided first (or a duplicate delivery): report, change nothing.
      return { request: info((await s.store.requests.byId(row.id))!), changed: false };
    }
    if (grantPolicy && expiresAt) {
      await s.store.policies.put({
        name: grantPolicy,
        kind: 'target_access',
        subjects: { users: [row.requester_email] },
        targets: [row.target_name],
        actions: [row.action],
        targetUsers: [row.target_user],
        expiresAt,
        request: row.id,
      });
    }
    s.audit.emit({ type: 'jit.decision', v: 1, outcome: 'success', requestId: row.id, decision, via, ...(grantPolicy ? { grantPolicy } : {}), ...(reason ? { reason } : {}) }, ctx);
    const after = (await s.store.requests.byId(row.id))!;
    notify(after, 'settled');
    arm();
    return { request: info(after), changed: true };
  }

  async function byId(id: string): Promise<RequestRow> {
    const row = /^req_[a-z0-9]{10}$/.test(id) ? await s.store.requests.byId(id) : undefined;
    if (!row) throw new GatehouseError('NOT_FOUND', `no request ${id.slice(0, 40)}`);
    return row;
  }

  const service = {
    addChannel(ch: ApprovalChannel): void {
      channels.push(ch);
    },

    start(): void {
      void sweep();
    },

    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await sweeping;
    },

    /** Runs the sweep now (tests, and after a clock change). */
    sweep,

    /** What the caller may request, per target, with the governing policy's terms. */
    async requestable(a: AuthState): Promise<RequestableTarget[]> {
      const policies = await s.store.policies.list();
      const subject = subjectOf(a);
      const out: RequestableTarget[] = [];
      for (const t of await s.store.targets.list()) {
        const facts = { id: t.id, name: t.name, environment: t.environment, kind: t.kind };
        const now = Date.now();
        // What the caller already holds (standing or a live grant) is not offered: asking would be refused.
        const options = requestableOn(policies, subject, facts, durationSeconds).filter(
          (o) => decide(policies, { subject, target: facts, action: o.action, targetUser: o.targetUser, now }).effect !== 'allow',
        );
        if (options.length === 0) continue;
        const grouped = new Map<string, RequestableTarget['options'][number]>();
        for (const o of options) {
          const key = `${o.action}|${o.terms.policy}`;
          const g = grouped.get(key) ?? { action: o.action, targetUsers: [], approval: o.terms.approval, maxDurationSeconds: o.terms.maxDurationSeconds, policy: o.terms.policy };
          g.targetUsers.push(o.targetUser);
          grouped.set(key, g);
        }
        out.push({ target: t.name, environment: t.environment, options: [...grouped.values()] });
      }
      return out;
    },

    /** Creates a request; auto-approved ones come back approved. */
    async create(a: AuthState, body: CreateAccessRequest, via: Via, ctx: AuditContext): Promise<AccessRequestInfo> {
      const refuse = (code: 'BAD_REQUEST' | 'CONFLICT' | 'FORBIDDEN' | 'NOT_FOUND', msg: string): never => {
        s.audit.emit({ type: 'jit.request', v: 1, outcome: 'denied', target: body.target, targetUser: body.targetUser, action: body.action, reason: msg }, ctx);
        throw new GatehouseError(code, msg);
      };
      if (a.apiKey) refuse('FORBIDDEN', 'API keys cannot request access; a person must');
      const reason = body.reason.trim();
      if (!reason) refuse('BAD_REQUEST', 'reason: say why you need this access');
      if (reason.length > MAX_REASON) refuse('BAD_REQUEST', `reason: at most ${MAX_REASON} characters`);
      const target = await s.store.targets.byName(body.target);
      if (!target) refuse('NOT_FOUND', `no target named ${body.target}`);
      const facts = { id: target!.id, name: target!.name, environment: target!.environment, kind: target!.kind };
      const subject = subjectOf(a);
      const policies = await s.store.policies.list();
      const now = Date.now();
      if (decide(policies, { subject, target: facts, action: body.action, targetUser: body.targetUser, now }).effect === 'allow') {
        refuse('CONFLICT', `you already have ${body.action} on ${body.target} as ${body.targetUser}; no request needed`);
      }
      const terms = governingJit(policies, subject, facts, body.action, body.targetUser, durationSeconds);
      if (!terms) refuse('FORBIDDEN', `no just-in-time policy lets you request ${body.action} on ${body.target} as ${body.targetUser}`);
      let seconds = terms!.maxDurationSeconds;
      if (body.duration !== undefined) {
        const d = parseDuration(body.duration);
        if (d === null || d <= 0) refuse('BAD_REQUEST', `duration: not a duration like 30m or 2h: ${JSON.stringify(body.duration).slice(0, 30)}`);
        if (d! > seconds) refuse('BAD_REQUEST', `duration: at most ${formatSeconds(seconds)} by policy ${terms!.policy}`);
        seconds = d!;
      }
      const nowIso = new Date(now).toISOString();
      const live = await s.store.requests.live(a.user.id, body.target, body.targetUser, body.action, nowIso);
      const pending = live.find((r) => r.state === 'pending');
      if (pending) refuse('CONFLICT', `request ${pending.id} for this access is still pending`);
      if (live[0]) refuse('CONFLICT', `a grant for this access is live until ${live[0].expires_at} (${live[0].grant_policy})`);

      const row: RequestRow = {
        id: `req_${randomId(10)}`,
        requester_id: a.user.id,
        requester_email: a.user.email,
        target_name: target!.name,
        target_user: body.targetUser,
        action: body.action,
        reason,
        duration_seconds: seconds,
        policy: terms!.policy,
        approval: terms!.approval,
        approvers: JSON.stringify(terms!.approvers),
        state: 'pending',
        created_at: nowIso,
        decided_at: null,
        decided_by: null,
        decision_reason: null,
        expires_at: new Date(now + PENDING_TTL_SECONDS * 1000).toISOString(),
        grant_policy: null,
        grant_ended: 0,
        announcements: '[]',
      };
      await s.store.requests.create(row);
      s.audit.emit(
        { type: 'jit.request', v: 1, outcome: 'success', requestId: row.id, target: row.target_name, targetUser: row.target_user, action: row.action, durationSeconds: seconds, approval: row.approval, policy: row.policy },
        ctx,
      );
      if (row.approval === 'auto') return (await settle(row, { kind: 'auto' }, 'approved', null, 'auto', { actor: 'system', source: null })).request;
      notify(row, 'announce', await approverUsers(row));
      arm();
      return info(row);
    },

    /** Requests the caller may see: their own, those they may decide; admins all. */
    async list(a: AuthState): Promise<AccessRequestInfo[]> {
      return (await s.store.requests.list()).filter((r) => visibleTo(r, a.user, a.groups)).map((r) => info(r, mayDecide(r, a.user, a.groups) === null));
    },

    async get(a: AuthState, id: string): Promise<AccessRequestInfo> {
      const row = await byId(id);
      if (!visibleTo(row, a.user, a.groups)) throw new GatehouseError('NOT_FOUND', `no request ${id}`);
      return info(row, mayDecide(row, a.user, a.groups) === null);
    },

    async approve(id: string, decider: Decider, via: Via, ctx: AuditContext): Promise<Decided> {
      return settle(await byId(id), decider, 'approved', null, via, ctx);
    },

    async deny(id: string, decider: Decider, reason: string | null, via: Via, ctx: AuditContext): Promise<Decided> {
      return settle(await byId(id), decider, 'denied', reason?.trim() || null, via, ctx);
    },

    /** Records where a request was announced (Slack messages to update later). */
    async setAnnouncements(id: string, list: unknown[]): Promise<void> {
      await s.store.requests.setAnnouncements(id, JSON.stringify(list));
    },
    async announcements<T>(id: string): Promise<T[]> {
      const row = await s.store.requests.byId(id);
      return row ? (JSON.parse(row.announcements) as T[]) : [];
    },
  };
  return service;
}
export type JitService = ReturnType<typeof createJitService>;
