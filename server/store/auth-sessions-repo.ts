import { randomUUID } from 'node:crypto';
import type { Db } from './db';
import { nowIso } from './time';

/** A login session. Only the SHA-256 of the bearer token is stored. */
export interface AuthSessionRow {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  source: string | null;
}

export function authSessionsRepo(db: Db) {
  return {
    async create(s: { tokenHash: string; userId: string; csrfToken: string; expiresAt: string; source: string }): Promise<AuthSessionRow> {
      const row: AuthSessionRow = {
        id: randomUUID(),
        token_hash: s.tokenHash,
        user_id: s.userId,
        csrf_token: s.csrfToken,
        created_at: nowIso(),
        expires_at: s.expiresAt,
        source: s.source,
      };
      await db.run('INSERT INTO auth_sessions (id, token_hash, user_id, csrf_token, created_at, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        row.id, row.token_hash, row.user_id, row.csrf_token, row.created_at, row.expires_at, row.source,
      ]);
      return row;
    },
    /** Looks up by token hash; expired sessions are treated as absent. */
    byTokenHash: (hash: string) =>
      db.get<AuthSessionRow>('SELECT * FROM auth_sessions WHERE token_hash = ? AND expires_at > ?', [hash, nowIso()]),
    async remove(id: string): Promise<void> {
      await db.run('DELETE FROM auth_sessions WHERE id = ?', [id]);
    },
    async removeOthersOfUser(userId: string, keepId: string): Promise<void> {
      await db.run('DELETE FROM auth_sessions WHERE user_id = ? AND id <> ?', [userId, keepId]);
    },
    async pruneExpired(): Promise<void> {
      await db.run('DELETE FROM auth_sessions WHERE expires_at <= ?', [nowIso()]);
    },
  };
}
export type AuthSessionsRepo = ReturnType<typeof authSessionsRepo>;
