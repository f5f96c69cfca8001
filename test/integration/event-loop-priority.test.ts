/**
 * The built service's event loop runs at real-time priority (SCHED_RR 1) and nothing else of it
 * does: its other threads (V8's, libuv's pool) and the processes it starts (the search child at
 * once) run at normal priority. `event_loop.priority =
 * normal` leaves the loop alone; a bad value stops the start with one line, touching nothing.
 * Read from /proc, as `chrt -p` would. Needs root (or CAP_SYS_NICE), as the appliance does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, repoRoot, startServer, type ServerProcess } from '../helpers/server-process';
import { SCHED_IDLE, SCHED_OTHER, SCHED_RR, threadSched, threadsOf } from '../helpers/proc-sched';

const isRoot = process.getuid?.() === 0;

/** Policy and real-time priority of one thread. */
function sched(pid: number, tid: number): { policy: number; rtPriority: number } {
  const { policy, rtPriority } = threadSched(pid, tid);
  return { policy, rtPriority };
}

/** Every process below `pid` (children, their children, …). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const tid of threadsOf(pid)) {
    const path = `/proc/${pid}/task/${tid}/children`;
    if (!existsSync(path)) continue;
    for (const c of readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) out.push(c, ...descendants(c));
  }
  return out;
}

describe('event loop priority of the built service', () => {
  let server: ServerProcess | null = null;
  beforeAll(() => buildDist(), 180_000);
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it.runIf(isRoot)('puts the event loop, and only it, at SCHED_RR 1', async () => {
    server = await startServer();
    const pid = server.child.pid!;
    expect(server.stdout.join('\n')).toMatch(/event loop at real-time CPU priority \(SCHED_RR 1/);
    expect(sched(pid, pid)).toEqual({ policy: SCHED_RR, rtPriority: 1 });
    const others = threadsOf(pid).filter((t) => t !== pid);
    expect(others.length).toBeGreaterThan(8); // V8's, and libuv's pool (started by the store)
    for (const tid of others) expect({ tid, ...sched(pid, tid) }).toEqual({ tid, policy: SCHED_OTHER, rtPriority: 0 });
    const children = descendants(pid);
    expect(children.length).toBeGreaterThanOrEqual(1); // the search child, started with the store
    // Not real-time; the search child asks for SCHED_IDLE itself (server/store/reader-process.ts).
    for (const child of children) for (const tid of threadsOf(child)) expect([SCHED_OTHER, SCHED_IDLE]).toContain(sched(child, tid).policy);
    expect(children.some((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').startsWith('gatehouse: search') && sched(c, c).policy === SCHED_IDLE)).toBe(true);
  });

  it('leaves the loop at normal priority when configured so', async () => {
    server = await startServer({ env: { GATEHOUSE_EVENT_LOOP_PRIORITY: 'normal' } });
    const pid = server.child.pid!;
    expect(server.stdout.join('\n')).toMatch(/event loop at normal CPU priority \(event_loop\.priority = normal\)/);
    expect(sched(pid, pid).policy).toBe(SCHED_OTHER);
  });

  it('refuses a bad value with one line, before touching the data dir', () => {
    const parent = mkdtempSync(join(tmpdir(), 'gatehouse-prio-'));
    const dataDir = join(parent, 'data');
    try {
      const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'gatehouse.js'), 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
        encoding: 'utf8',
        env: { ...process.env, GATEHOUSE_EVENT_LOOP_PRIORITY: 'fast', GATEHOUSE_EVENT_LOOP_MAX_BUSY: '0.6' },
        timeout: 20_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe('gatehouse: config: event_loop.priority (from GATEHOUSE_EVENT_LOOP_PRIORITY) must be one of realtime, normal, got "fast"');
      expect(r.stdout).toBe('');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
