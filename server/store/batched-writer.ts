/**
 * The store's writer for high-rate rows (audit events, commands): callers `push()` and return at
 * once; queued items are written in ONE transaction every `flushMs` (or as soon as `maxBatch`
 * rows are waiting), in push order. An item stands for `weight(item)` rows (default 1): a caller
 * may push rows already packed together, and every bound below counts rows. A failed
 * transaction is reported through `log` and counted, never thrown into the callers (evidence
 * writers must not take a session down), and the queue is bounded: one transaction runs at a
 * time and everything else waits in `queue`, so past `maxQueue` the oldest waiting items are
 * dropped and counted, and a stuck or slow disk cannot grow the service's memory without limit.
 */
import type { Db, Queryable } from './db';

export interface BatchedWriter<T> {
  push(item: T): void;
  /** Resolves when everything pushed so far is committed (or has failed and been counted). */
  flush(): Promise<void>;
  /** Items lost: failed transactions and overflow drops. */
  failures(): number;
  /**
   * True while at least a quarter of a full transaction's rows are not yet committed (waiting, or
   * in the transaction running): the writer is not keeping up with flushMs-sized batches, and a
   * producer that goes on would fill the queue and lose rows past maxQueue.
   */
  behind(): boolean;
}

export function createBatchedWriter<T>(opts: {
  db: Db;
  name: string;
  /** Writes one batch inside the transaction, in order. */
  write(tx: Queryable, items: T[]): Promise<void>;
  log(msg: string): void;
  flushMs?: number;
  maxBatch?: number;
  maxQueue?: number;
  weight?: (item: T) => number;
}): BatchedWriter<T> {
  const flushMs = opts.flushMs ?? 5;
  const maxBatch = opts.maxBatch ?? 5000;
  const maxQueue = opts.maxQueue ?? 200_000;
  const weight = opts.weight ?? (() => 1);
  let queue: T[] = [];
  let queued = 0; // rows in `queue`
  let writing = 0; // rows in the transaction running
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<void> | null = null;
  let failures = 0;

  /** Writes batches until the queue is empty; one drain at a time, so `queue` is all that waits. */
  async function drain(): Promise<void> {
    while (queue.length > 0) {
      // Items in order up to maxBatch rows; always at least one, however heavy.
      let take = 0;
      let rows = 0;
      for (; take < queue.length; take++) {
        const w = weight(queue[take]!);
        if (take > 0 && rows + w > maxBatch) break;
        rows += w;
      }
      const batch = queue.splice(0, take);
      queued -= rows;
      writing = rows;
      await opts.db.transaction((tx) => opts.write(tx, batch)).catch((e: unknown) => {
        failures += rows;
        opts.log(`${opts.name}: could not write ${rows} rows: ${(e as Error).message}`);
      });
      writing = 0;
    }
  }

  const flushNow = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    draining ??= drain().finally(() => {
      draining = null;
      // Pushed after the last batch was taken but before this ran: schedule it.
      if (queue.length > 0) timer ??= setTimeout(() => void flushNow(), flushMs);
    });
    return draining;
  };

  return {
    push(item) {
      const w = weight(item);
      while (queued + w > maxQueue && queue.length > 0) {
        const dropped = weight(queue.shift()!);
        queued -= dropped;
        if (failures % 10_000 < dropped) opts.log(`${opts.name}: the writer is behind; dropping the oldest rows`);
        failures += dropped;
      }
      queue.push(item);
      queued += w;
      if (draining) return; // the running drain takes it
      if (queued >= maxBatch) void flushNow();
      else timer ??= setTimeout(() => void flushNow(), flushMs);
    },
    // A drain in progress also writes what was pushed after it started; wait for all of it.
    flush: async () => {
      while (queue.length > 0 || draining) await flushNow();
    },
    failures: () => failures,
    behind: () => queued + writing >= maxBatch / 4,
  };
}

/**
 * Rows already as JSON: the array texts of `rows` rows joined by commas, without brackets, as
 * UTF-8 bytes. A Buffer, not a string: its bytes live outside the JS heap, so rows waiting in
 * the queue are nothing for the GC to copy or promote, and the binding copies them as they are
 * where a string parameter is converted to UTF-8 on the event loop (measured with 5,000-row
 * statements: 5.4 → 0.7 ms of event loop per transaction; heap peak 65 → 26 MB under a flood).
 */
export interface JsonRows {
  json: Buffer;
  rows: number;
}

/**
 * Inserts rows with ONE bound parameter per statement: the rows as a JSON array, unpacked by
 * SQLite itself (`jsonb_each`, `->>`) on the sqlite3 thread. Binding thousands of parameters
 * instead costs the event loop tens of milliseconds per statement (measured: 30,000 parameters
 * ≈ 35–150 ms synchronous in the binding), which stalls live sessions; JSON.stringify of the
 * same rows is a millisecond or two. Values must be JSON-representable (no Buffers). Rows may
 * come already packed (JsonRows). The array goes as a BLOB of UTF-8 text, cast back to TEXT
 * (a BLOB given to a JSON function would be read as binary JSONB).
 */
export async function insertRows(tx: Queryable, table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[] | JsonRows>): Promise<void> {
  const select = columns.map((_, i) => `value ->> ${i}`).join(', ');
  // jsonb_each, not json_each: its elements stay binary JSON for `->>`, where json_each renders
  // each row back to text for `->>` to parse again (~15 % of the command writer's CPU, measured).
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select} FROM jsonb_each(CAST(? AS TEXT))`;
  const parts: Buffer[] = [];
  let loose: string[] = []; // plain rows since the last packed one, encoded together
  let n = 0;
  const settle = () => {
    if (loose.length) parts.push(Buffer.from(loose.join(',')));
    loose = [];
  };
  const put = async () => {
    settle();
    if (parts.length) await tx.run(sql, [Buffer.concat([OPEN, ...parts.flatMap((p, i) => (i ? [COMMA, p] : [p])), CLOSE])]);
    parts.length = 0;
    n = 0;
  };
  for (const r of rows) {
    if ('json' in r) (settle(), parts.push(r.json), (n += r.rows));
    else (loose.push(JSON.stringify(r)), n++);
    if (n >= ROWS_PER_STATEMENT) await put();
  }
  await put();
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/**
 * Rows per statement: every statement is a round trip through an event loop that may be busy,
 * so fewer of them keep the writer thread working; but one statement's rows are one parameter,
 * built and copied on the loop. 5,000 rows of the command log are ~0.85 MB.
 */
const ROWS_PER_STATEMENT = 5000;
