/**
 * The store's writer for high-rate rows (audit events, commands): callers `push()` and return at
 * once; queued items are written in ONE transaction every `flushMs` (or as soon as `maxBatch`
 * are waiting), in push order. A failed transaction is reported through `log` and counted,
 * never thrown into the callers (evidence writers must not take a session down), and the queue
 * is bounded: past `maxQueue` the oldest items are dropped and counted, so a stuck disk cannot
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
  let inFlight: Promise<void> = Promise.resolve();
  let failures = 0;

  const flushNow = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      inFlight = inFlight.then(() =>
        opts.db
          .transaction((tx) => opts.write(tx, batch))
          .catch((e: unknown) => {
            failures += batch.length;
            opts.log(`${opts.name}: could not write ${batch.length} rows: ${(e as Error).message}`);
          }),
      );
    }
    return inFlight;
  };

  return {
    push(item) {
      if (queue.length >= maxQueue) {
        queue.shift();
        if (failures++ % 10_000 === 0) opts.log(`${opts.name}: the writer is behind; dropping the oldest rows`);
      }
      queue.push(item);
      if (queue.length >= maxBatch) void flushNow();
      else timer ??= setTimeout(() => void flushNow(), flushMs);
    },
    flush: flushNow,
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
