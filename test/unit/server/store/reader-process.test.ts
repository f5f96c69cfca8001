/**
 * The search process: a real child with a read-only connection at SCHED_IDLE and nice 19, that sees what the
 * writer commits, survives being killed (the query in flight fails with the reason, the next
 * one starts a new child), refuses writes, and is gone after close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../../server/store/db';
import { openReaderProcess, type ReaderProcess } from '../../../../server/store/reader-process';
import { SCHED_IDLE, threadSched, threadsOf } from '../../../helpers/proc-sched';

let dir = '';
let db: Db | null = null;
let reader: ReaderProcess | null = null;
const logged: string[] = [];
afterEach(async () => {
  await reader?.close();
  await db?.close();
  reader = db = null;
  logged.length = 0;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ db: Db; reader: ReaderProcess }> {
  dir = mkdtempSync(join(tmpdir(), 'gh-reader-'));
  const path = join(dir, 'gatehouse.db');
  db = await openDb(path);
  reader = await openReaderProcess(path, -2000, (m) => logged.push(m));
  return { db, reader };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('search process', () => {
  it('reads what the writer committed, from a child process at SCHED_IDLE and nice 19', async () => {
    const { db, reader } = await open();
    await db.run("INSERT INTO environments (name, created_at) VALUES ('reader-test', '2026-11-22T00:00:00Z')");
    expect(await reader.get<{ n: string }>("SELECT name AS n FROM environments WHERE name = ?", ['reader-test'])).toEqual({ n: 'reader-test' });
    expect(await reader.all("SELECT name FROM environments WHERE name = 'nope'")).toEqual([]);
    const pid = reader.pid()!;
    expect(pid).not.toBe(process.pid);
    expect(threadSched(pid, pid).nice).toBe(19);
    // Every thread, the sqlite3 pool's (started by the queries above) included.
    const policies = threadsOf(pid).map((tid) => threadSched(pid, tid).policy);
    expect(policies.length).toBeGreaterThan(4);
    expect(new Set(policies)).toEqual(new Set([SCHED_IDLE]));
    // Named for operators: ps shows this, not the program's text.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/^gatehouse: search/);
  });

  it('refuses writes and reports SQL errors as errors', async () => {
    const { reader } = await open();
    await expect(reader.run("DELETE FROM environments")).rejects.toThrow(/read-only/);
    await expect(reader.all('SELECT * FROM no_such_table')).rejects.toMatchObject({ message: expect.stringMatching(/no such table/), code: 'SQLITE_ERROR' });
  });

  it('a killed child fails its query with the reason; the next query starts a new one', async () => {
    const { reader } = await open();
    const first = reader.pid()!;
    // A query that runs long enough to be in flight when the child is killed.
    const slow = reader.all('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) SELECT count(*) FROM n');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(first, 'SIGKILL');
    await expect(slow).rejects.toThrow(/the search process ended \(SIGKILL\)/);
    expect(logged.join('\n')).toMatch(/search process ended \(SIGKILL\); the next search starts a new one/);
    expect(await reader.get<{ x: number }>('SELECT 1 + 1 AS x')).toEqual({ x: 2 });
    expect(reader.pid()).not.toBe(first);
  });

  it('close() ends the child', async () => {
    const { reader } = await open();
    const pid = reader.pid()!;
    await reader.close();
    expect(alive(pid)).toBe(false);
    await expect(reader.all('SELECT 1')).rejects.toThrow(/closed/);
  });

  it('fails to open with a clear error when the database cannot be opened', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-reader-'));
    await expect(openReaderProcess(join(dir, 'missing', 'x.db'), -2000, () => undefined)).rejects.toThrow(/the search process cannot open the database: SQLITE_CANTOPEN/);
  });
});
