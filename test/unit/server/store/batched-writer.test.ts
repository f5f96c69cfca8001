/**
 * The batched writer against a real SQLite file: order kept, one transaction at a time, a
 * bounded queue while the disk is slow (oldest waiting rows dropped and counted, none kept in
 * flight beyond one batch), and flush() waits for rows pushed during a running transaction.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../../server/store/db';
import { createBatchedWriter, insertRows, type JsonRows } from '../../../../server/store/batched-writer';

let dir = '';
let db: Db | null = null;
afterEach(async () => {
  await db?.close();
  db = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fresh(): Promise<Db> {
  dir = mkdtempSync(join(tmpdir(), 'gh-writer-'));
  db = await openDb(join(dir, 'test.db'));
  await db.exec('CREATE TABLE t (n INTEGER, s TEXT)');
  return db;
}

/** A writer into table t whose first transaction hangs until `release()`. */
function withSlowFirstTransaction(d: Db, opts: { maxBatch: number; maxQueue?: number; log?: (m: string) => void }) {
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  let calls = 0;
  const w = createBatchedWriter<[number, string | null]>({
    db: d,
    name: 't',
    log: opts.log ?? (() => undefined),
    maxBatch: opts.maxBatch,
    ...(opts.maxQueue !== undefined ? { maxQueue: opts.maxQueue } : {}),
    flushMs: 1,
    write: async (tx, rows) => {
      if (calls++ === 0) await slow;
      await insertRows(tx, 't', ['n', 's'], rows);
    },
  });
  return { w, release, transactions: () => calls };
}

describe('batched writer', () => {
  it('writes in push order, JSON-unpacked with types kept', async () => {
    const d = await fresh();
    const w = createBatchedWriter<[number, string | null]>({ db: d, name: 't', log: () => undefined, write: (tx, rows) => insertRows(tx, 't', ['n', 's'], rows), maxBatch: 3 });
    for (let i = 0; i < 10; i++) w.push([i, i % 2 ? `x${i} "quoted" ✓` : null]);
    await w.flush();
    const rows = await d.all<{ n: number; s: string | null }>('SELECT n, s, typeof(n) AS tn FROM t ORDER BY rowid');
    expect(rows.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows[1]).toMatchObject({ s: 'x1 "quoted" ✓', tn: 'integer' });
    expect(rows[0]!.s).toBeNull();
  });

  it('keeps at most maxQueue rows waiting behind a slow transaction, dropping the oldest', async () => {
    const d = await fresh();
    const logs: string[] = [];
    const { w, release } = withSlowFirstTransaction(d, { maxBatch: 2, maxQueue: 5, log: (m) => logs.push(m) });
    w.push([0, null]);
    w.push([1, null]); // a full batch: the first transaction starts and hangs
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 2; i < 12; i++) w.push([i, null]);
    expect(w.failures()).toBe(5); // 10 pushed while blocked, 5 kept
    expect(logs.some((l) => /behind/.test(l))).toBe(true);
    release();
    await w.flush();
    expect((await d.all<{ n: number }>('SELECT n FROM t ORDER BY rowid')).map((r) => r.n)).toEqual([0, 1, 7, 8, 9, 10, 11]);
  });

  it('says it is behind while a quarter of a full batch or more is not committed, running or waiting', async () => {
    const d = await fresh();
    const { w, release, transactions } = withSlowFirstTransaction(d, { maxBatch: 8 });
    w.push([0, null]);
    expect(w.behind()).toBe(false); // 1 of 8 waiting
    w.push([1, null]);
    expect(w.behind()).toBe(true); // 2 of 8: a quarter
    await new Promise((r) => setTimeout(r, 20));
    expect(transactions()).toBe(1); // both are in the transaction now, which hangs
    expect(w.behind()).toBe(true);
    release();
    await w.flush();
    expect(w.behind()).toBe(false);
    w.push([2, null]);
    await w.flush();
    expect(w.behind()).toBe(false); // at ordinary rates, never
  });

  it('counts packed rows by weight: batches of at most maxBatch rows, overflow drops whole packs', async () => {
    const d = await fresh();
    const batches: number[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let calls = 0;
    const w = createBatchedWriter<JsonRows>({
      db: d, name: 't', log: () => undefined, maxBatch: 5, maxQueue: 8, flushMs: 1,
      weight: (p) => p.rows,
      write: async (tx, packs) => {
        if (calls++ === 0) await slow;
        batches.push(packs.reduce((n, p) => n + p.rows, 0));
        await insertRows(tx, 't', ['n', 's'], packs);
      },
    });
    const pack = (from: number, n: number): JsonRows => ({ json: Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify([from + i, `p${from}`])).join(',')), rows: n });
    w.push(pack(0, 2)); // taken by the first, slow transaction
    await new Promise((r) => setTimeout(r, 20));
    w.push(pack(10, 3));
    w.push(pack(20, 3));
    w.push(pack(30, 3)); // 9 rows waiting > maxQueue 8: the oldest pack (3 rows) goes
    expect(w.failures()).toBe(3);
    w.push(pack(40, 1));
    release();
    await w.flush();
    expect(batches).toEqual([2, 3, 4]); // in push order, at most 5 rows each: [20-22], then [30-32, 40]
    const rows = await d.all<{ n: number; s: string }>('SELECT n, s FROM t ORDER BY rowid');
    expect(rows.map((r) => r.n)).toEqual([0, 1, 20, 21, 22, 30, 31, 32, 40]);
    expect(rows[2]).toEqual({ n: 20, s: 'p20' });
  });

  it('insertRows keeps order across packed and plain rows and statements, and every character', async () => {
    const d = await fresh();
    // (Lone surrogates and NUL are the callers' to clean: commands-repo.ts `wellFormed`.)
    const text = (i: number) => `${i} 日本語 😀 "q" \\ \t\x1b[0m end`;
    const packed = (from: number, n: number): JsonRows => ({ json: Buffer.from(Array.from({ length: n }, (_, i) => JSON.stringify([from + i, text(from + i)])).join(',')), rows: n });
    // 12,001 rows: more than two statements' worth, packs and plain rows interleaved.
    const input: Array<[number, string] | JsonRows> = [];
    let n = 0;
    while (n < 12_001) {
      if (n % 3000 < 2500) (input.push(packed(n, 500)), (n += 500));
      else (input.push([n, text(n)]), (n += 1));
    }
    await d.transaction((tx) => insertRows(tx, 't', ['n', 's'], input));
    const rows = await d.all<{ n: number; s: string }>('SELECT n, s FROM t ORDER BY rowid');
    expect(rows).toHaveLength(n);
    expect(rows.every((r, i) => r.n === i && r.s === text(i))).toBe(true);
    expect(rows[7]!.s).toBe('7 日本語 😀 "q" \\ \t\x1b[0m end');
  });
});
