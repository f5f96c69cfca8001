/**
 * The command log. Writes go through the batched writer (a shell can submit commands faster
 * than one transaction per row allows: a paste of a thousand lines); an exit status arrives
 * after its command and is queued behind it, so the update always finds the row. Searches run
 * on the read-only connection and never hold up the writer.
 */
import type { Db, Param, Queryable } from './db';
import { createBatchedWriter, insertRows, type BatchedWriter } from './batched-writer';

export interface CommandRow {
  id: number;
  at: string;
  connection_id: string;
  seq: number;
  user_id: string;
  user_email: string;
  target_name: string;
  target_user: string;
  environment: string;
  command: string;
  exit_code: number | null;
  offset_seconds: number;
}

export type NewCommand = Omit<CommandRow, 'id'>;

type Op = { kind: 'insert'; row: NewCommand } | { kind: 'exit'; connectionId: string; seq: number; code: number };

const COLUMNS = ['at', 'connection_id', 'seq', 'user_id', 'user_email', 'target_name', 'target_user', 'environment', 'command', 'exit_code', 'offset_seconds'] as const;

export interface CommandQuery {
  userEmail?: string;
  targetName?: string;
  connectionId?: string;
  since?: string;
  until?: string;
  /** Substring of the command text (full-text, trigram index; shorter than 3 characters: a scan). */
  grep?: string;
  /** Only rows with id greater than this (`--follow`). */
  afterId?: number;
  limit?: number;
  /** Oldest first (follow mode); default newest first. */
  ascending?: boolean;
}

async function writeOps(tx: Queryable, ops: Op[]): Promise<void> {
  let inserts: unknown[][] = [];
  const flushInserts = async () => {
    if (inserts.length) await insertRows(tx, 'commands', COLUMNS, inserts);
    inserts = [];
  };
  for (const op of ops) {
    if (op.kind === 'insert') {
      const r = op.row;
      inserts.push([r.at, r.connection_id, r.seq, r.user_id, r.user_email, r.target_name, r.target_user, r.environment, r.command, r.exit_code, r.offset_seconds]);
    } else {
      await flushInserts();
      await tx.run('UPDATE commands SET exit_code = ? WHERE connection_id = ? AND seq = ?', [op.code, op.connectionId, op.seq]);
    }
  }
  await flushInserts();
}

/** FTS5 trigram query text: the substring as one quoted phrase. */
const ftsPhrase = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function commandsRepo(db: Db, reader: Queryable, log: (msg: string) => void) {
  const writer: BatchedWriter<Op> = createBatchedWriter<Op>({ db, name: 'command log', log, write: writeOps, flushMs: 20 });
  return {
    add: (row: NewCommand) => writer.push({ kind: 'insert', row }),
    setExit: (connectionId: string, seq: number, code: number) => writer.push({ kind: 'exit', connectionId, seq, code }),
    flush: () => writer.flush(),
    failures: () => writer.failures(),

    async query(q: CommandQuery): Promise<CommandRow[]> {
      const where: string[] = [];
      const params: Param[] = [];
      if (q.grep && [...q.grep].length >= 3) {
        where.push('c.id IN (SELECT rowid FROM commands_fts WHERE commands_fts MATCH ?)');
        params.push(ftsPhrase(q.grep));
      } else if (q.grep) {
        where.push("c.command LIKE ? ESCAPE '\\'");
        params.push(`%${escapeLike(q.grep)}%`);
      }
      if (q.userEmail) (where.push('c.user_email = ? COLLATE NOCASE'), params.push(q.userEmail));
      if (q.targetName) (where.push('c.target_name = ?'), params.push(q.targetName));
      if (q.connectionId) (where.push('c.connection_id = ?'), params.push(q.connectionId));
      if (q.since) (where.push('c.at >= ?'), params.push(q.since));
      if (q.until) (where.push('c.at <= ?'), params.push(q.until));
      if (q.afterId !== undefined) (where.push('c.id > ?'), params.push(q.afterId));
      const order = q.ascending ? 'ASC' : 'DESC';
      return reader.all<CommandRow>(
        `SELECT c.* FROM commands c ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.id ${order} LIMIT ?`,
        [...params, q.limit ?? 1000],
      );
    },
  };
}
export type CommandsRepo = ReturnType<typeof commandsRepo>;
