import type { Db } from './db';
import { nowIso } from './time';

export interface RecordingRow {
  connection_id: string;
  path: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  size_bytes: number;
  records_input: number;
  state: 'live' | 'complete' | 'repaired';
}

export interface RecordingListRow extends RecordingRow {
  user_id: string;
  user_email: string;
  target_name: string;
  target_user: string;
}

export function recordingsRepo(db: Db) {
  return {
    async create(r: { connectionId: string; path: string; recordsInput: boolean }): Promise<void> {
      await db.run(
        "INSERT INTO recordings (connection_id, path, started_at, records_input, state) VALUES (?, ?, ?, ?, 'live')",
        [r.connectionId, r.path, nowIso(), r.recordsInput ? 1 : 0],
      );
    },
    async finish(connectionId: string, f: { sizeBytes: number; durationSeconds: number; state: 'complete' | 'repaired' }): Promise<void> {
      await db.run('UPDATE recordings SET ended_at = ?, size_bytes = ?, duration_seconds = ?, state = ? WHERE connection_id = ?', [
        nowIso(), f.sizeBytes, f.durationSeconds, f.state, connectionId,
      ]);
    },
    byConnection: (id: string) =>
      db.get<RecordingListRow>(
        `SELECT r.*, c.user_id, c.user_email, c.target_name, c.target_user FROM recordings r
         JOIN connections c ON c.id = r.connection_id WHERE r.connection_id = ?`,
        [id],
      ),
    /** Newest first; `connectionIds`: only these connections' recordings (from a command search). */
    list: (filter: { userId?: string; userEmail?: string; targetName?: string; since?: string; connectionIds?: string[]; limit?: number }) => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.userId) (where.push('c.user_id = ?'), params.push(filter.userId));
      if (filter.userEmail) (where.push('c.user_email = ?'), params.push(filter.userEmail.toLowerCase()));
      if (filter.targetName) (where.push('c.target_name = ?'), params.push(filter.targetName));
      if (filter.since) (where.push('r.started_at >= ?'), params.push(filter.since));
      if (filter.connectionIds) (where.push('r.connection_id IN (SELECT value FROM json_each(?))'), params.push(JSON.stringify(filter.connectionIds)));
      params.push(filter.limit ?? 500);
      return db.all<RecordingListRow>(
        `SELECT r.*, c.user_id, c.user_email, c.target_name, c.target_user FROM recordings r
         JOIN connections c ON c.id = r.connection_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY r.started_at DESC LIMIT ?`,
        params,
      );
    },
    live: () => db.all<RecordingRow>("SELECT * FROM recordings WHERE state = 'live'"),
  };
}
export type RecordingsRepo = ReturnType<typeof recordingsRepo>;
