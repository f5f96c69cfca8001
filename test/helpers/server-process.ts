/**
 * Runs the BUILT service (`dist/gatehouse.js serve`) as a child process on 127.0.0.1 with a free
 * port and a fresh data dir, waits for its "gatehouse listening on URL" line (SPEC §1), and picks
 * the one-time bootstrap password for admin@localhost out of stdout.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The audit invariant for a service run as a process: no request id on more than one event row
 * (the service's own hook guarantees at least one; in-process tests also check that side).
 */
async function eventsPerRequestOver1(dbPath: string): Promise<string[]> {
  if (!existsSync(dbPath)) return [];
  const db = new sqlite3.Database(dbPath, sqlite3.OPEN_READONLY);
  try {
    const rows = await new Promise<{ request_id: string; types: string }[]>((resolve, reject) =>
      db.all('SELECT request_id, group_concat(type) AS types FROM events WHERE request_id IS NOT NULL GROUP BY request_id HAVING count(*) > 1', (e, r) => (e ? reject(e) : resolve(r as never))),
    );
    return rows.map((r) => `${r.request_id}: ${r.types}`);
  } catch {
    return []; // a database from before request ids, or one a crash test left mid-write
  } finally {
    db.close();
  }
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const gatehouseBin = join(repoRoot, 'dist', 'gatehouse.js');

/** Builds dist/ unless it is already newer than every source file. */
export function buildDist(): void {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--if-needed'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export interface ServerProcess {
  /** e.g. https://127.0.0.1:40123 */
  url: string;
  /** The bootstrap admin's one-time password, or null when the data dir already had an admin. */
  password: string | null;
  dataDir: string;
  stdout: string[];
  stderr: string[];
  child: ChildProcess;
  /** Stops the service (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Use this data dir (kept afterwards); by default a fresh temp dir, removed by stop(). */
  dataDir?: string;
  extraArgs?: string[];
  /** Added to the service's environment (e.g. GATEHOUSE_AGENTS_HEARTBEAT). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

const LISTENING = /gatehouse listening on (\S+)/;
const PASSWORD = /password[^:]*:\s*(\S+)/i;

export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'gatehouse-data-')));
  const args = [gatehouseBin, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--ssh-listen', 'off', ...(opts.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let password: string | null = null;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const lines = createInterface({ input: child.stdout! });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`no "gatehouse listening on" line within ${opts.timeoutMs ?? 20_000} ms`),
      opts.timeoutMs ?? 20_000,
    );
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`gatehouse serve: ${why}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
    }
    lines.on('line', (line) => {
      stdout.push(line);
      if (/admin@localhost/i.test(line)) password = PASSWORD.exec(line)?.[1] ?? password;
      const m = LISTENING.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (err) => fail(String(err)));
  });

  return {
    url,
    password,
    dataDir,
    stdout,
    stderr,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const grace = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(grace);
      }
      const duplicated = await eventsPerRequestOver1(join(dataDir, 'gatehouse.db'));
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      if (duplicated.length) throw new Error(`every state-changing API call must leave exactly one event row; these left more:\n${duplicated.join('\n')}`);
    },
  };
}
