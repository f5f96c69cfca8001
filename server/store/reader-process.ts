/**
 * Searches run in a child process at the lowest CPU priority (SCHED_IDLE, else nice 19): the command and event
 * logs' read-only connection lives there. On a small bastion, an auditor's search over millions
 * of rows would otherwise take a core from the shells being brokered and from the writer that
 * stores their evidence, as an equal; niced, it gets what they leave, and a search is slower
 * only while the machine is saturated. Measured with bench/command-log.mjs on 2 cores, with a
 * shell streaming and searches back to back: in-process searches held the command writer to
 * ~9,000 rows/s; from this process, 16,500 at nice 10 and 18,500 at nice 19 (other changes
 * equal; bench/RESULTS.md has the latest figures). It also asks for SCHED_IDLE (`chrt --idle`,
 * all its threads; nice 19 stays as the fallback): with the event loop at real-time priority
 * (server/event-loop-priority.ts), a niced search still took 0.4–0.5 of a core while the command
 * writer waited 0.3 for one, since the kernel placed the writer behind the loop rather than on
 * the core the search had; a CPU running only SCHED_IDLE work counts as idle when a thread wakes.
 *
 * Invariants:
 * - The same Queryable as an in-process reader, read-only (`run` is refused); WAL lets the child
 *   read while the service writes. Rows cross the IPC channel as structured clones.
 * - Queries run one at a time on the child's one connection, in the order sent.
 * - If the child dies, its pending queries fail with the reason, and the next query starts a new
 *   one. If the service dies, the child sees its IPC channel close and exits.
 * - `close()` ends the child and resolves when it has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Param, Queryable } from './db';

const NICE = 19;

/**
 * The child's program, run with `node -e` so it needs no file beside the bundle. Plain CommonJS;
 * argv: sqlite3's resolved path, the database, the cache size (KiB, negative), the nice value.
 */
const CHILD = String.raw`
'use strict';
process.title = 'gatehouse: search';
const [sqlite3Path, dbPath, cacheKib, nice] = process.argv.slice(1);
try { require('node:child_process').execFileSync('chrt', ['--idle', '--all-tasks', '--pid', '0', String(process.pid)], { stdio: 'ignore', timeout: 5000 }); } catch {}
try { require('node:os').setPriority(Number(nice)); } catch {}
const sqlite3 = require(sqlite3Path);
process.on('disconnect', () => process.exit(0));
const db = new sqlite3.Database(dbPath, sqlite3.OPEN_READONLY, (err) => {
  if (err) { process.send({ type: 'failed', message: err.message }); return; }
  db.exec('PRAGMA busy_timeout=5000; PRAGMA query_only=ON; PRAGMA cache_size=' + Number(cacheKib) + ';', (e) => {
    if (e) { process.send({ type: 'failed', message: e.message }); return; }
    process.send({ type: 'ready' });
  });
});
process.on('message', (m) => {
  if (m.type === 'close') { db.close(() => process.exit(0)); return; }
  db[m.method](m.sql, m.params, (err, rows) => {
    if (err) process.send({ type: 'result', id: m.id, error: { message: err.message, code: err.code } });
    else process.send({ type: 'result', id: m.id, rows });
  });
});
`;

type Reply = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'result'; id: number; rows?: unknown; error?: { message: string; code?: string } };

export type ReaderProcess = Queryable & {
  close(): Promise<void>;
  /** The child's pid while it runs (diagnostics, tests). */
  pid(): number | null;
};

export async function openReaderProcess(path: string, cacheKib: number, log: (msg: string) => void): Promise<ReaderProcess> {
  const sqlite3Path = createRequire(import.meta.url).resolve('sqlite3');
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let child: ChildProcess | null = null;
  let ready: Promise<ChildProcess> | null = null;
  let closed = false;

  function start(): Promise<ChildProcess> {
    const c = spawn(process.execPath, ['-e', CHILD, sqlite3Path, path, String(cacheKib), String(NICE)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child = c;
    return new Promise<ChildProcess>((resolve, reject) => {
      c.on('message', (m: Reply) => {
        if (m.type === 'ready') resolve(c);
        else if (m.type === 'failed') reject(new Error(`the search process cannot open the database: ${m.message}`));
        else {
          const p = pending.get(m.id);
          pending.delete(m.id);
          if (m.error) p?.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
          else p?.resolve(m.rows);
        }
      });
      // Either way the child is gone: fail what waits on it, and let the next query start anew.
      let ended = false;
      const gone = (why: Error) => {
        if (ended) return; // 'error' can come before 'exit'
        ended = true;
        reject(why);
        if (child === c) (child = null), (ready = null);
        for (const p of pending.values()) p.reject(why);
        pending.clear();
        if (!closed) log(`${why.message}; the next search starts a new one`);
      };
      c.on('error', (e) => gone(new Error(`the search process failed: ${e.message}`)));
      c.on('exit', (code, signal) => gone(new Error(`the search process ended (${signal ?? `exit ${code}`})`)));
    });
  }

  async function call<T>(method: 'all' | 'get', sql: string, params: Param[]): Promise<T> {
    if (closed) throw new Error('the store is closed');
    ready ??= start();
    const c = await ready;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      c.send({ type: 'query', id, method, sql, params }, (err) => {
        if (err && pending.delete(id)) reject(err);
      });
    });
  }

  ready = start();
  await ready;
  return {
    all: <T>(sql: string, params: Param[] = []) => call<T[]>('all', sql, params),
    get: <T>(sql: string, params: Param[] = []) => call<T | undefined>('get', sql, params),
    run: () => Promise.reject(new Error('the search connection is read-only')),
    pid: () => child?.pid ?? null,
    async close() {
      closed = true;
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      if (c.connected) c.send({ type: 'close' });
      else c.kill();
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
