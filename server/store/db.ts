/**
 * SQLite through `sqlite3`: queries run on libuv's thread pool, off the event loop.
 *
 * Invariants:
 * - One connection, WAL mode, foreign keys on, `synchronous=NORMAL` (a crash loses at most the
 *   last transactions since the previous checkpoint; the database never corrupts).
 * - Every statement goes through one queue, so a transaction opened with `transaction()` is never
 *   interleaved with statements from other callers; inside it, use the `tx` handle it passes.
 * - Migrations are numbered files `NNN-name.sql` applied in order inside a transaction each;
 *   `PRAGMA user_version` records the last one applied. Applied files are never edited.
 */
import sqlite3 from 'sqlite3';
import { MIGRATIONS } from './migrations';

export type Param = string | number | null | Buffer;

export interface Queryable {
  run(sql: string, params?: Param[]): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: Param[]): Promise<T | undefined>;
  all<T>(sql: string, params?: Param[]): Promise<T[]>;
}

export interface Db extends Queryable {
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function direct(raw: sqlite3.Database): Queryable & { exec(sql: string): Promise<void> } {
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) =>
        raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        }),
      ),
    get: <T>(sql: string, params: Param[] = []) =>
      new Promise<T | undefined>((resolve, reject) => raw.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined)))),
    all: <T>(sql: string, params: Param[] = []) =>
      new Promise<T[]>((resolve, reject) => raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
    exec: (sql) => new Promise((resolve, reject) => raw.exec(sql, (err) => (err ? reject(err) : resolve()))),
  };
}

export async function openDb(path: string): Promise<Db> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(db)));
  });
  const q = direct(raw);
  let tail: Promise<unknown> = Promise.resolve();
  // Serialize through one chain; a failure of one call does not poison the chain.
  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };

  const db: Db = {
    run: (sql, params) => enqueue(() => q.run(sql, params)),
    get: (sql, params) => enqueue(() => q.get(sql, params)),
    all: (sql, params) => enqueue(() => q.all(sql, params)),
    exec: (sql) => enqueue(() => q.exec(sql)),
    transaction: (fn) =>
      enqueue(async () => {
        await q.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(q);
          await q.exec('COMMIT');
          return result;
        } catch (e) {
          await q.exec('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    close: () => enqueue(() => new Promise<void>((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve())))),
  };

  await db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA cache_size=${CACHE_KIB};`);
  await migrate(db);
  return db;
}

/**
 * Page cache per connection (negative: KiB), 32 MiB instead of SQLite's 2 MiB. The command log's
 * indexes (time, user, target, connection, the trigram index) take inserts at a few hundred
 * places at once; with 2 MiB their pages fall out of the cache and every insert reads them back
 * (measured at 300,000 rows: ~10 µs of the writer's ~50 µs per row). Memory grows to this only
 * as the database does.
 */
export const CACHE_KIB = -32768;

async function migrate(db: Db): Promise<void> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  let version = row?.user_version ?? 0;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    await db.transaction(async (tx) => {
      for (const stmt of splitSql(m.sql)) await tx.run(stmt);
      await tx.run(`PRAGMA user_version = ${m.version}`);
    });
    version = m.version;
  }
}

/** Splits a migration into statements on `;` at line ends (our migrations keep that form). */
function splitSql(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
