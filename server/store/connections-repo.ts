import type { Db } from './db';
import { nowIso } from './time';
import type { Permit } from '../../protocol/permit';
import type { ConnectionState } from '../../protocol/api-types';

export interface ConnectionRow {
  id: string;
  user_id: string;
  user_email: string;
  target_id: string;
  target_name: string;
  target_user: string;
  environment: string;
  kind: 'shell' | 'exec' | 'tunnel';
  command: string | null;
  pty: number;
  state: ConnectionState;
  permit: string;
  created_at: string;
  closed_at: string | null;
  close_reason: string | null;
  closed_by: string | null;
  exit_code: number | null;
}

/** Connections and their state log (open / connected / disconnected / closed, who and why). */
export function connectionsRepo(db: Db) {
  const logState = (id: string, state: ConnectionState, actor: string | null, reason: string | null) =>
    db.run('INSERT INTO connection_events (connection_id, at, state, actor, reason) VALUES (?, ?, ?, ?, ?)', [id, nowIso(), state, actor, reason]);
  return {
    async create(c: { id: string; permit: Permit; kind: 'shell' | 'exec' | 'tunnel'; command: string | null; pty: boolean }): Promise<ConnectionRow> {
      const p = c.permit;
      const row: ConnectionRow = {
        id: c.id, user_id: p.userId, user_email: p.email, target_id: p.targetId, target_name: p.targetName,
        target_user: p.targetUser, environment: p.environment, kind: c.kind, command: c.command, pty: c.pty ? 1 : 0, state: 'open', permit: JSON.stringify(p),
        created_at: nowIso(), closed_at: null, close_reason: null, closed_by: null, exit_code: null,
      };
      await db.run(
        `INSERT INTO connections (id, user_id, user_email, target_id, target_name, target_user, environment, kind, command, pty, state, permit, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [row.id, row.user_id, row.user_email, row.target_id, row.target_name, row.target_user, row.environment, row.kind, row.command, row.pty, row.state, row.permit, row.created_at],
      );
      await logState(row.id, 'open', p.email, null);
      return row;
    },
    async setState(id: string, state: Exclude<ConnectionState, 'open' | 'closed'>, actor: string | null, reason: string | null): Promise<void> {
      await db.run("UPDATE connections SET state = ? WHERE id = ? AND state <> 'closed'", [state, id]);
      await logState(id, state, actor, reason);
    },
    async close(id: string, reason: string, by: string | null, exitCode: number | null): Promise<void> {
      const r = await db.run(
        "UPDATE connections SET state = 'closed', closed_at = ?, close_reason = ?, closed_by = ?, exit_code = ? WHERE id = ? AND state <> 'closed'",
        [nowIso(), reason, by, exitCode, id],
      );
      if (r.changes > 0) await logState(id, 'closed', by, reason);
    },
    byId: (id: string) => db.get<ConnectionRow>('SELECT * FROM connections WHERE id = ?', [id]),
    list: (filter: { userId?: string; openOnly?: boolean; limit?: number }) => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (filter.userId) {
        where.push('user_id = ?');
        params.push(filter.userId);
      }
      if (filter.openOnly) where.push("state <> 'closed'");
      params.push(filter.limit ?? 200);
      return db.all<ConnectionRow>(
        `SELECT * FROM connections ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC LIMIT ?`,
        params,
      );
    },
    /**
     * The connection log joined with who/where, oldest first: the newest `limit` rows, or with
     * `after` the first `limit` rows after that row id (to follow the log). `grep` is a
     * case-insensitive substring of the reason, actor, connection id, user, target or target user.
     */
    log(f: { userEmail?: string; targetName?: string; since?: string; until?: string; grep?: string; after?: number; limit?: number }) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (f.userEmail) (where.push('c.user_email = ?'), params.push(f.userEmail.toLowerCase()));
      if (f.targetName) (where.push('c.target_name = ?'), params.push(f.targetName));
      if (f.since) (where.push('e.at >= ?'), params.push(f.since));
      if (f.until) (where.push('e.at < ?'), params.push(f.until));
      if (f.after !== undefined) (where.push('e.id > ?'), params.push(f.after));
      if (f.grep) {
        const fields = ['e.reason', 'e.actor', 'e.connection_id', 'c.user_email', 'c.target_name', 'c.target_user'];
        where.push(`(${fields.map((x) => `instr(lower(${x}), ?) > 0`).join(' OR ')})`);
        for (let i = 0; i < fields.length; i++) params.push(f.grep.toLowerCase());
      }
      params.push(f.limit ?? 1000);
      const rows = `SELECT e.id, e.at, e.connection_id, e.state, e.actor, e.reason, c.user_email, c.target_name, c.target_user
           FROM connection_events e JOIN connections c ON c.id = e.connection_id
           ${where.length ? 'WHERE ' + where.join(' AND ') : ''}`;
      return db.all<{ id: number; at: string; connection_id: string; state: ConnectionState; actor: string | null; reason: string | null; user_email: string; target_name: string; target_user: string }>(
        f.after !== undefined ? `${rows} ORDER BY e.id LIMIT ?` : `SELECT * FROM (${rows} ORDER BY e.id DESC LIMIT ?) ORDER BY id`,
        params,
      );
    },
    /** Connections a previous run left unclosed (the process died under them). */
    unclosed: () => db.all<ConnectionRow>("SELECT * FROM connections WHERE state <> 'closed'"),
  };
}
export type ConnectionsRepo = ReturnType<typeof connectionsRepo>;
