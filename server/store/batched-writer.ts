/**
 * The store's writer for high-rate rows (audit events, commands): callers `push()` and return at
 * once; queued items are written in ONE transaction every `flushMs` (or as soon as `maxBatch`
 * are waiting), in push order. A failed transaction is reported through `log` and counted,
 * never thrown into the callers (evidence writers must not take a session down), and the queue
 * is bounded: one transaction runs at a time and everything else waits in `queue`, so past
 * `maxQueue` the oldest waiting items are dropped and counted, and a stuck or slow disk cannot
 * grow the service's memory without limit.
 */
import type { Db, Queryable } from './db';

export interface BatchedWriter<T> {
  push(item: T): void;
  /** Resolves when everything pushed so far is committed (or has failed and been counted). */
  flush(): Promise<void>;
  /** Items lost: failed transactions and overflow drops. */
  failures(): number;
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
}): BatchedWriter<T> {
  const flushMs = opts.flushMs ?? 5;
  const maxBatch = opts.maxBatch ?? 5000;
  const maxQueue = opts.maxQueue ?? 200_000;
  let queue: T[] = [];
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<void> | null = null;
  let failures = 0;

  /** Writes batches until the queue is empty; one drain at a time, so `queue` is all that waits. */
  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      await opts.db.transaction((tx) => opts.write(tx, batch)).catch((e: unknown) => {
        failures += batch.length;
        opts.log(`${opts.name}: could not write ${batch.length} rows: ${(e as Error).message}`);
      });
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
      if (queue.length >= maxQueue) {
        queue.shift();
        if (failures++ % 10_000 === 0) opts.log(`${opts.name}: the writer is behind; dropping the oldest rows`);
      }
      queue.push(item);
      if (draining) return; // the running drain takes it
      if (queue.length >= maxBatch) void flushNow();
      else timer ??= setTimeout(() => void flushNow(), flushMs);
    },
    // A drain in progress also writes what was pushed after it started; wait for all of it.
    flush: async () => {
      while (queue.length > 0 || draining) await flushNow();
    },
    failures: () => failures,
  };
}

/**
 * Inserts rows with ONE bound parameter per statement: the rows as a JSON array, unpacked by
 * SQLite itself (`json_each`, `->>`) on the sqlite3 thread. Binding thousands of parameters
 * instead costs the event loop tens of milliseconds per statement (measured: 30,000 parameters
 * ≈ 35–150 ms synchronous in the binding), which stalls live sessions; JSON.stringify of the
 * same rows is a millisecond or two. Values must be JSON-representable (no Buffers).
 */
export async function insertRows(tx: Queryable, table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
  const select = columns.map((_, i) => `value ->> ${i}`).join(', ');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${select} FROM json_each(?)`;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await tx.run(sql, [JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT))]);
  }
}

const ROWS_PER_STATEMENT = 2000;
