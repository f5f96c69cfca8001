/** Just-in-time access requests. State changes are conditional updates: a decision happens once. */
import type { Db } from './db';
import type { Action } from '../../protocol/permit';
import type { RequestState } from '../../protocol/api-types';

export interface RequestRow {
  id: string;
  requester_id: string;
  requester_email: string;
  target_name: string;
  target_user: string;
  action: Action;
  reason: string;
  duration_seconds: number;
  policy: string;
  approval: 'auto' | 'manual';
  /** JSON {users, groups}. */
  approvers: string;
  state: RequestState;
  created_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  expires_at: string;
  grant_policy: string | null;
  grant_ended: number;
  /** JSON array of {channel, ts} (Slack messages to update). */
  announcements: string;
}

const COLUMNS = [
  'id', 'requester_id', 'requester_email', 'target_name', 'target_user', 'action', 'reason', 'duration_seconds', 'policy', 'approval', 'approvers',
  'state', 'created_at', 'decided_at', 'decided_by', 'decision_reason', 'expires_at', 'grant_policy', 'grant_ended', 'announcements',
] as const;

export function requestsRepo(db: Db) {
  return {
    async create(r: RequestRow): Promise<void> {
      await db.run(`INSERT INTO access_requests (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`, COLUMNS.map((c) => r[c]));
    },
    byId: (id: string) => db.get<RequestRow>('SELECT * FROM access_requests WHERE id = ?', [id]),
    list: (limit = 500) => db.all<RequestRow>('SELECT * FROM access_requests ORDER BY created_at DESC LIMIT ?', [limit]),
    /** Pending or still-granting requests of one requester for one access. */
    live: (requesterId: string, target: string, targetUser: string, action: Action, now: string) =>
      db.all<RequestRow>(
        `SELECT * FROM access_requests WHERE requester_id = ? AND target_name = ? AND target_user = ? AND action = ?
         AND (state = 'pending' OR (state = 'approved' AND grant_ended = 0)) AND expires_at > ?`,
        [requesterId, target, targetUser, action, now],
      ),
    /** Moves a pending request to a decision; false if it was no longer pending (someone else decided). */
    async decide(id: string, d: { state: 'approved' | 'denied' | 'expired'; at: string; by: string | null; reason: string | null; expiresAt?: string; grantPolicy?: string }): Promise<boolean> {
      const r = await db.run(
        `UPDATE access_requests SET state = ?, decided_at = ?, decided_by = ?, decision_reason = ?, expires_at = coalesce(?, expires_at), grant_policy = coalesce(?, grant_policy)
         WHERE id = ? AND state = 'pending'`,
        [d.state, d.at, d.by, d.reason, d.expiresAt ?? null, d.grantPolicy ?? null, id],
      );
      return r.changes > 0;
    },
    async setAnnouncements(id: string, json: string): Promise<void> {
      await db.run('UPDATE access_requests SET announcements = ? WHERE id = ?', [json, id]);
    },
    /** Pending requests whose deadline passed, and approved ones whose grant ended. */
    due: (now: string) =>
      db.all<RequestRow>("SELECT * FROM access_requests WHERE (state = 'pending' OR (state = 'approved' AND grant_ended = 0)) AND expires_at <= ? ORDER BY expires_at", [now]),
    nextDeadline: async (): Promise<string | null> =>
      (await db.get<{ t: string | null }>("SELECT min(expires_at) AS t FROM access_requests WHERE state = 'pending' OR (state = 'approved' AND grant_ended = 0)"))?.t ?? null,
    /** Marks an approved request's grant as ended; false if it already was (the sweep is idempotent). */
    async endGrant(id: string): Promise<boolean> {
      return (await db.run("UPDATE access_requests SET grant_ended = 1 WHERE id = ? AND state = 'approved' AND grant_ended = 0", [id])).changes > 0;
    },
  };
}
export type RequestsRepo = ReturnType<typeof requestsRepo>;
