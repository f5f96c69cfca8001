/**
 * The command log. Writes go through the batched writer (a shell can submit commands faster
 * than one transaction per row allows: a paste of a thousand lines); an exit status arrives
 * after its command and is queued behind it, so the update always finds the row. Searches run
 * on the read-only connection and never hold up the writer.
 */
import type { Db, Param, Queryable } from './db';
import { createBatchedWriter, insertRows, type BatchedWriter, type JsonRows } from './batched-writer';

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

/** Inserts come packed (JsonRows): the rows added in one turn of the event loop; see `add`. */
type Op = JsonRows | { kind: 'exit'; connectionId: string; seq: number; code: number };

const COLUMNS = ['at', 'connection_id', 'seq', 'user_id', 'user_email', 'target_name', 'target_user', 'environment', 'command', 'exit_code', 'offset_seconds'] as const;

/**
 * Rows reach SQLite as JSON (insertRows), where a lone UTF-16 surrogate is a `\udXXX` escape
 * that SQLite stores as invalid UTF-8 (read back as three U+FFFD). Binding the string directly
 * used to store one U+FFFD; keep that. Only the command text is free text from the session.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const wellFormed = (s: string): string => (/[\ud800-\udfff]/.test(s) ? s.replace(LONE_SURROGATE, '\ufffd') : s);

/** The columns of CommandRow as one JSON object per row, aggregated in SQL into one string. */
const ROW_JSON = `json_object(${['id', ...COLUMNS].map((c) => `'${c}', c.${c}`).join(', ')})`;

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

/**
 * One batch in at most two statements, whatever its size: every insert, then every exit status
 * (an exit always follows its own insert in push order, so it finds its row here or in an
 * earlier batch). Each statement is a round trip through the event loop, which under load may
 * be busy for milliseconds, so fewer statements keep the writer thread working.
 */
async function writeOps(tx: Queryable, ops: Op[]): Promise<void> {
  const inserts: JsonRows[] = [];
  const exits: string[] = [];
  for (const op of ops) {
    if ('json' in op) inserts.push(op);
    else exits.push(JSON.stringify([op.connectionId, op.seq, op.code]));
  }
  if (inserts.length) await insertRows(tx, 'commands', COLUMNS, inserts);
  if (exits.length) {
    await tx.run(
      'UPDATE commands SET exit_code = e.value ->> 2 FROM jsonb_each(?) AS e WHERE commands.connection_id = e.value ->> 0 AND commands.seq = e.value ->> 1',
      [`[${exits.join(',')}]`],
    );
  }
}

/**
 * `LIKE '%needle%'` is what the trigram index answers (detail=none has no positions for a
 * phrase MATCH): FTS5 narrows to rows holding every trigram of the needle, SQLite checks the
 * text. The index is not used with an ESCAPE clause, so `%` and `_` in a needle stay wildcards
 * there and an exact `instr` check follows. Case-insensitive for ASCII letters, as LIKE is.
 */
const likePattern = (s: string): string => `%${s}%`;
const hasWildcard = (s: string): boolean => /[%_]/.test(s);

export function commandsRepo(db: Db, reader: Queryable, log: (msg: string) => void) {
  // 200 ms (not 20), and up to 20,000 rows a transaction when the writer is behind: the FTS5
  // index pays per transaction (its pending terms become a segment, merged later). Measured per
  // row at 500,000 rows: 5,000-row transactions ~45 µs, 10,000 ~33 µs, 20,000 ~30 µs (and
  // 2,000 ~35 % dearer than 5,000). A row is visible to searches and --follow within 0.2 s at
  // ordinary rates; under a flood, within the transaction's time (~0.6 s for 20,000 rows).
  const writer: BatchedWriter<Op> = createBatchedWriter<Op>({
    db, name: 'command log', log, write: writeOps, flushMs: 200, maxBatch: 20_000,
    weight: (op) => ('json' in op ? op.rows : 1),
  });

  // Rows added in one turn of the event loop are packed into one Buffer of JSON at the end of it
  // (or every PACK rows): under a flood, rows wait in the queue for up to a transaction's time,
  // and a few Buffers outside the JS heap are nothing for the GC to promote and mark, where
  // thousands of row objects were (measured: major GC pauses, stretched when the machine is busy,
  // were the event loop's worst stalls while rows poured in).
  const PACK = 500;
  let open: string[] = [];
  let packing = false;
  const pack = () => {
    packing = false;
    if (!open.length) return;
    writer.push({ json: Buffer.from(open.join(',')), rows: open.length });
    open = [];
  };
  return {
    add(r: NewCommand) {
      open.push(JSON.stringify([r.at, r.connection_id, r.seq, r.user_id, r.user_email, r.target_name, r.target_user, r.environment, wellFormed(r.command), r.exit_code, r.offset_seconds]));
      if (open.length >= PACK) pack();
      else if (!packing) (packing = true), setImmediate(pack);
    },
    setExit(connectionId: string, seq: number, code: number) {
      pack(); // behind its row
      writer.push({ kind: 'exit', connectionId, seq, code });
    },
    flush: () => (pack(), writer.flush()),
    failures: () => writer.failures(),
    /** The writer is behind (rows packed this turn are not counted until packed). */
    behind: () => writer.behind(),

    async query(q: CommandQuery): Promise<CommandRow[]> {
      const where: string[] = [];
      const params: Param[] = [];
      // Full-text: the FTS table drives the join in rowid order (FTS5 consumes ORDER BY rowid),
      // so a common needle stops after `limit` matches instead of collecting all of them first.
      const fts = q.grep !== undefined && [...q.grep].length >= 3;
      if (q.grep) {
        // Shorter than a trigram: the same LIKE, as a scan of the table.
        where.push(fts ? 'commands_fts.command LIKE ?' : 'c.command LIKE ?');
        params.push(likePattern(q.grep));
        if (hasWildcard(q.grep)) (where.push('instr(lower(c.command), lower(?)) > 0'), params.push(q.grep));
      }
      // With a needle, `+` keeps the planner from driving by the user or target index: that
      // would look up every row of a busy user in the FTS index and sort them all.
      const col = (c: string) => (fts ? `+c.${c}` : `c.${c}`);
      if (q.userEmail) (where.push(`${col('user_email')} = ? COLLATE NOCASE`), params.push(q.userEmail));
      if (q.targetName) (where.push(`${col('target_name')} = ?`), params.push(q.targetName));
      if (q.connectionId) (where.push('c.connection_id = ?'), params.push(q.connectionId));
      if (q.since) (where.push('c.at >= ?'), params.push(q.since));
      if (q.until) (where.push('c.at <= ?'), params.push(q.until));
      if (q.afterId !== undefined) (where.push('c.id > ?'), params.push(q.afterId));
      const order = q.ascending ? 'ASC' : 'DESC';
      const from = fts ? 'commands_fts JOIN commands c ON c.id = commands_fts.rowid' : 'commands c';
      const key = fts ? 'commands_fts.rowid' : 'c.id';
      // The rows come back as ONE JSON string: the sqlite3 binding turns a result into JS
      // objects on the event loop (4-12 ms for 1,000 rows of 12 columns, measured at 1M rows);
      // JSON.parse of the same rows takes ~1 ms.
      const out = await reader.all<{ j: string }>(
        `SELECT json_group_array(${ROW_JSON} ORDER BY c.id ${order}) AS j FROM (SELECT c.* FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${key} ${order} LIMIT ?) c`,
        [...params, q.limit ?? 1000],
      );
      return JSON.parse(out[0]?.j ?? '[]') as CommandRow[];
    },
  };
}
export type CommandsRepo = ReturnType<typeof commandsRepo>;
