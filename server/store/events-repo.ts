/** Reading the audit log (`events`); writing is the batched AuditLog's alone. */
import type { Param, Queryable } from './db';

export interface EventRow {
  id: number;
  at: string;
  type: string;
  v: number;
  actor: string | null;
  source: string | null;
  outcome: 'success' | 'failure' | 'denied';
  object: string | null;
  details: string | null;
  request_id: string | null;
}

export interface EventQuery {
  actor?: string;
  /** An exact type, or a family with a trailing `.*` (`auth.*`). */
  type?: string;
  outcome?: string;
  since?: string;
  until?: string;
  /** Case-insensitive substring of type, actor, object or details. */
  grep?: string;
  requestId?: string;
  /** Only rows with id greater than this, oldest first (`--follow`). */
  afterId?: number;
  limit?: number;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function eventsRepo(db: Queryable) {
  return {
    /** Newest first. */
    async query(q: EventQuery): Promise<EventRow[]> {
      const where: string[] = [];
      const params: Param[] = [];
      if (q.actor) (where.push('actor = ? COLLATE NOCASE'), params.push(q.actor));
      if (q.type?.endsWith('.*')) (where.push("type LIKE ? ESCAPE '\\'"), params.push(`${escapeLike(q.type.slice(0, -1))}%`));
      else if (q.type) (where.push('type = ?'), params.push(q.type));
      if (q.outcome) (where.push('outcome = ?'), params.push(q.outcome));
      if (q.since) (where.push('at >= ?'), params.push(q.since));
      if (q.until) (where.push('at <= ?'), params.push(q.until));
      if (q.requestId) (where.push('request_id = ?'), params.push(q.requestId));
      if (q.afterId !== undefined) (where.push('id > ?'), params.push(q.afterId));
      if (q.grep) {
        const like = `%${escapeLike(q.grep)}%`;
        where.push("(type LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR object LIKE ? ESCAPE '\\' OR details LIKE ? ESCAPE '\\')");
        params.push(like, like, like, like);
      }
      const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${q.afterId !== undefined ? 'ASC' : 'DESC'} LIMIT ?`;
      return db.all<EventRow>(sql, [...params, q.limit ?? 1000]);
    },
  };
}
export type EventsRepo = ReturnType<typeof eventsRepo>;
