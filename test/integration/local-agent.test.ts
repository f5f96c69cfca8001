/**
 * The embedded local agent end to end: the real agent (bundled agent/main.ts) run as a child by
 * createLocalDialer, opening shells, exec and TCP streams as a real Linux user created here.
 * Needs root (useradd, setpriv), as the appliance does.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../gateway/agent/agent-link';
import { byteStreamTransport } from '../../protocol/frame-transport';
import { createLocalDialer, type LocalDialer } from '../../gateway/local/local-dialer';
import type { Channel, OpenRequest, TargetRef } from '../../gateway/types';
import { GatehouseError } from '../../protocol/errors';
import { bundleEntry } from '../helpers/bundle';

const suffix = randomBytes(3).toString('hex');
const USER = `gh-test-${suffix}`;
const GROUP = `gh-grp-${suffix}`;
const target: TargetRef = { id: 't-local', name: 'local', kind: 'local' };
const isRoot = process.getuid?.() === 0;

let bundle = '';
let dialer: LocalDialer;
let uid = 0;
const agentLog: string[] = [];

const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function open(request: OpenRequest, signal = new AbortController().signal): Promise<Channel> {
  return dialer.open(target, request, signal);
}

/** Accumulates a channel's output and lets a test wait for a pattern in it. */
function watch(channel: Channel) {
  let text = '';
  const waiters = new Set<() => void>();
  channel.io.on('data', (b: Buffer) => {
    text += b.toString('utf8');
    for (const w of waiters) w();
  });
  const until = (re: RegExp, ms = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = text.match(re);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re}; output so far:\n${text}\nagent log:\n${agentLog.join('')}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { until, get text() { return text; } };
}

const running = (pattern: string) => sh('/bin/sh', ['-c', `pgrep -f "${pattern}" || true`]).trim();

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let marker = 0;
/**
 * Runs one command line in an interactive shell; resolves with what it printed (from the end
 * of its echoed command line to the end marker, nothing of earlier commands).
 */
async function run(channel: Channel, w: ReturnType<typeof watch>, cmd: string): Promise<string> {
  const n = ++marker;
  // The marker is computed by the shell, so the echoed input never matches it.
  channel.io.write(`${cmd}; echo "@@$((1000+${n}))@@"\r`);
  const m = await w.until(new RegExp(`@@\\$\\(\\(1000\\+${n}\\)\\)@@"\\r?\\n([^]*?)@@${1000 + n}@@`));
  return m[1]!;
}

async function execText(command: string, input?: string) {
  const ch = await open({ kind: 'exec', targetUser: USER, command });
  let out = '';
  let err = '';
  ch.io.on('data', (b: Buffer) => (out += b.toString()));
  ch.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  if (input !== undefined) ch.io.end(input);
  const exit = await ch.exit;
  await new Promise((r) => setImmediate(r));
  return { out, err, exit };
}

describe.skipIf(!isRoot)('local agent (embedded, over stdio)', () => {
  beforeAll(async () => {
    bundle = await bundleEntry('agent/main.ts');
    sh('/usr/sbin/groupadd', [GROUP]);
    sh('/usr/sbin/useradd', ['-m', '-s', '/bin/bash', USER]);
    sh('/usr/sbin/usermod', ['-aG', GROUP, USER]);
    uid = Number(sh('/usr/bin/id', ['-u', USER]).trim());
    dialer = createLocalDialer({
      agentCommand: [process.execPath, bundle, 'agent', '--stdio'],
      env: { ...(process.env as Record<string, string>), GATEHOUSE_SECRET_TEST: 'leak' },
      stderr: { write: (s: string) => agentLog.push(s) },
    });
  });

  afterAll(async () => {
    await dialer?.close();
    // The user's processes are gone with the agent; remove what we created.
    try { sh('/usr/sbin/userdel', ['-r', '-f', USER]); } catch { /* not created */ }
    try { sh('/usr/sbin/groupdel', [GROUP]); } catch { /* not created */ }
    if (bundle) await rm(dirname(bundle), { recursive: true, force: true });
  });

  it('runs a login shell as the user, with their groups, home, terminal size and a clean environment', async () => {
    const ch = await open({ kind: 'shell', targetUser: USER, size: { cols: 100, rows: 30 }, term: 'xterm-256color' });
    expect(ch.kind).toBe('shell');
    expect(ch.shell).toBe('/bin/bash');
    const w = watch(ch);
    const id = await run(ch, w, 'id');
    expect(id).toContain(`uid=${uid}(${USER})`);
    expect(id).toContain(`(${GROUP})`);
    expect(await run(ch, w, 'stty size')).toMatch(/^30 100\r?\n/m);
    ch.resize({ cols: 120, rows: 40 });
    expect(await run(ch, w, 'stty size')).toMatch(/^40 120\r?\n/m);
    expect(await run(ch, w, 'echo "home=$HOME"')).toContain(`home=/home/${USER}`);
    expect(await run(ch, w, 'pwd')).toContain(`/home/${USER}`);
    const env = await run(ch, w, 'env');
    expect(env).toContain(`USER=${USER}`);
    expect(env).toContain('TERM=xterm-256color');
    expect(env).not.toContain('GATEHOUSE_SECRET_TEST');
    ch.io.write('exit 3\r');
    expect(await ch.exit).toEqual({ code: 3 });
  });

  it('really gives the agent the variable the shell must not see', async () => {
    // Guards the leak assertion above: the agent (the shell's parent) does carry it.
    const ch = await open({ kind: 'exec', targetUser: 'root', command: 'tr "\\0" "\\n" < /proc/$PPID/environ' });
    let out = '';
    ch.io.on('data', (b: Buffer) => (out += b));
    ch.stderr!.resume();
    await ch.exit;
    expect(out).toContain('GATEHOUSE_SECRET_TEST=leak');
  });

  it('runs exec without a pty: stdout and stderr apart, exit code, stdin', async () => {
    const r = await execText('echo out; echo err >&2; exit 5');
    expect(r).toEqual({ out: 'out\n', err: 'err\n', exit: { code: 5 } });
    const wc = await execText('wc -l', 'a\nb\n');
    expect(wc.out.trim()).toBe('2');
    expect(wc.exit.code).toBe(0);
    const who = await execText('id -un; echo "$HOME"; env');
    expect(who.out).toContain(`${USER}\n/home/${USER}\n`);
    expect(who.out).not.toContain('GATEHOUSE_SECRET_TEST');
  });

  it('runs exec on a pty when asked', async () => {
    const ch = await open({ kind: 'exec', targetUser: USER, command: 'tty; stty size', pty: { size: { cols: 91, rows: 19 }, term: 'vt100' } });
    const w = watch(ch);
    await w.until(/19 91/);
    expect(w.text).toMatch(/\/dev\/pts\/\d+/);
    expect((await ch.exit).code).toBe(0);
  });

  it('reports an unknown user as TARGET_USER_UNKNOWN naming the user', async () => {
    const err = await open({ kind: 'shell', targetUser: 'gh-nobody-here', size: { cols: 80, rows: 24 }, term: 'xterm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect((err as GatehouseError).code).toBe('TARGET_USER_UNKNOWN');
    expect((err as GatehouseError).message).toContain('gh-nobody-here');
  });

  it('rejects an open aborted before it completes and leaves nothing running', async () => {
    const already = new AbortController();
    already.abort(new GatehouseError('TARGET_UNAVAILABLE', 'gone before we started'));
    await expect(open({ kind: 'exec', targetUser: USER, command: 'true' }, already.signal)).rejects.toThrow('gone before we started');

    const ac = new AbortController();
    const p = open({ kind: 'exec', targetUser: USER, command: 'sleep 7654321' }, ac.signal);
    setImmediate(() => ac.abort(new GatehouseError('TARGET_UNAVAILABLE', 'user went away')));
    await expect(p).rejects.toThrow('user went away');
    // The agent may finish starting it after the abort; it must then kill it at once.
    await until(() => !running('sleep 765432[1]'));
    await new Promise((r) => setTimeout(r, 300));
    expect(running('sleep 765432[1]')).toBe('');
  });

  it('opens TCP connections from the agent', async () => {
    const server: Server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const ch = await open({ kind: 'tcp', host: '127.0.0.1', port });
      expect(ch.kind).toBe('tcp');
      const w = watch(ch);
      ch.io.write('hello through the agent');
      await w.until(/hello through the agent/);
      ch.io.end();
      await new Promise((r) => ch.io.once('end', r));
      expect(await ch.exit).toEqual({ code: 0 });
      const refused = await open({ kind: 'tcp', host: '127.0.0.1', port: 1 }).catch((e: unknown) => e);
      expect((refused as GatehouseError).code).toBe('TARGET_UNAVAILABLE');
      expect((refused as GatehouseError).message).toMatch(/ECONNREFUSED/);
    } finally {
      server.close();
    }
  });

  it('bounds memory with a fast producer and a slow reader (credit window)', async () => {
    // Collect garbage while sampling, so RSS reflects what is held, not what awaits collection.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const TOTAL = 64 * 1024 * 1024;
    const ch = await open({ kind: 'exec', targetUser: USER, command: `head -c ${TOTAL} /dev/zero` });
    ch.stderr!.resume();
    let received = 0;
    let chunks = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (++chunks % 64 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().rss);
        }
        setTimeout(cb, 2);
      },
    });
    await pipeline(ch.io, slow);
    expect(received).toBe(TOTAL);
    expect((await ch.exit).code).toBe(0);
    // Measured: a few MiB with the window honoured, ~80 MiB when credit is granted on receipt.
    expect(peak - before).toBeLessThan(32 * 1024 * 1024);
  }, 120_000);

  it('as a command: --help, --server usage errors, usage errors', async () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [bundle, 'agent', ...args], { encoding: 'utf8', timeout: 10_000 });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: gatehouse agent --stdio');
    const stateDir = `${dirname(bundle)}/agent-state`;
    const server = run('--server', 'wss://127.0.0.1:1/ws/agent', '--name', 'x', '--state-dir', stateDir);
    expect(server.status).toBe(2);
    expect(server.stderr).toBe('gatehouse agent: not registered yet: give --registration-key ID:SECRET\n');
    const plain = run('--server', 'http://192.0.2.1:8080', '--name', 'x', '--state-dir', stateDir, '--registration-key', `gk_${'a'.repeat(12)}:${'b'.repeat(43)}`);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/^gatehouse agent: plain http:\/\/ is accepted only for a service on a loopback address/);
    const badPin = run('--server', 'https://127.0.0.1:1', '--name', 'x', '--state-dir', stateDir, '--ca-fingerprint', 'sha256:zz');
    expect(badPin.status).toBe(2);
    expect(badPin.stderr).toMatch(/--ca-fingerprint must look like sha256:HEX/);
    const bad = run('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^gatehouse agent: unknown option --bogus\n/);
    expect(bad.stdout).toBe('');
  });

  it('exits when its stdin ends, killing what it runs, and prints nothing but frames on stdout', async () => {
    const child = spawn(process.execPath, [bundle, 'agent', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const link = new AgentLink(byteStreamTransport(child.stdout, child.stdin), { label: 'test agent' });
    try {
      const ch = await link.open({ kind: 'exec', targetUser: USER, command: 'echo started; exec sleep 6543219' });
      ch.stderr!.resume();
      await new Promise((r) => ch.io.once('data', r));
      expect(running('sleep 654321[9]')).not.toBe('');
      child.stdin.end();
      expect(await exited).toBe(0);
      expect(running('sleep 654321[9]')).toBe('');
      expect(await ch.exit).toMatchObject({ code: null, error: expect.any(String) });
      // Every byte on stdout was a valid frame: otherwise the link would have logged a protocol error.
      expect(await link.closed).not.toMatch(/protocol error/);
    } finally {
      child.kill('SIGKILL');
      link.close('test over');
    }
  });

  it('settles channels with an error when the agent dies, and respawns it on the next open', async () => {
    const ch = await open({ kind: 'shell', targetUser: USER, size: { cols: 80, rows: 24 }, term: 'xterm' });
    const w = watch(ch);
    // The shell's parent is the agent itself (setpriv and env exec into the shell).
    const agentPid = Number((await run(ch, w, 'echo "pid=$PPID"')).match(/pid=(\d+)/)![1]);
    expect(agentPid).toBeGreaterThan(1);
    process.kill(agentPid, 'SIGKILL');
    const exit = await ch.exit;
    expect(exit.code).toBeNull();
    expect(exit.error).toMatch(/SIGKILL/);
    expect(agentLog.join('')).toContain('local agent was killed by SIGKILL');
    const again = await execText('echo "pid=$PPID"');
    const newPid = Number(again.out.match(/pid=(\d+)/)![1]);
    expect(newPid).not.toBe(agentPid);
    expect(again.exit.code).toBe(0);
  });
});
