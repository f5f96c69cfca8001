/**
 * `gate`, the built client, against the built service over HTTPS with its self-signed
 * certificate pinned: login (wrong pin, forced password change, success), the files it keeps,
 * status/ls, exec with separate stdout/stderr, stdin and exit codes, shells that keep running
 * after the client leaves (lc, attach, close), the connection log, logout.
 *
 * The steps share one service and one client config and run in order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionInfo, ConnectionLogEntry, RecordingInfo, TargetInfo } from '../../protocol/api-types';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, gateCli, retireBootstrapPassword, serviceApi, type GateCli, type RunningGate } from '../helpers/gate-cli';

const PASSWORD = 'correct horse battery staple';
const ONE_LINE = /^gate: [^\n]+\n$/;

let server: ServerProcess;
let fingerprint: string;
let gate: GateCli;

const tokenPath = () => join(gate.configDir, 'token');
const configPath = () => join(gate.configDir, 'config.json');
const mode = (p: string) => statSync(p).mode & 0o777;

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lcJson(): Promise<ConnectionInfo[]> {
  const r = await gate.run(['lc', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ConnectionInfo[];
}

/** Starts a shell through a pipe, waits for `marker` in its output, then makes gate leave. */
async function detachedShell(marker: string): Promise<{ id: string; left: RunningGate }> {
  const before = new Set((await lcJson()).map((c) => c.id));
  const shell = gate.start(['connect', 'local'], { stdin: 'keep-open' });
  shell.child.stdin!.write(`echo ${marker}-$((40+2))\n`);
  await until(async () => shell.output().stdout.includes(`${marker}-42`), `${marker}-42 from the shell`);
  const conn = (await lcJson()).find((c) => !before.has(c.id));
  expect(conn).toMatchObject({ kind: 'shell', targetName: 'local', targetUser: 'root', state: 'connected' });
  shell.child.kill('SIGTERM');
  const left = await shell.exited;
  expect(left.code).toBe(143);
  return { id: conn!.id, left: shell };
}

describe('gate against the built service (https, pinned certificate)', () => {
  beforeAll(async () => {
    buildDist();
    server = await startServer();
    fingerprint = fingerprintFrom(server.stdout);
    gate = await gateCli();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await gate?.cleanup();
  });

  it('refuses a wrong --ca-fingerprint with one clear line and stores nothing', async () => {
    const wrong = `sha256:${'ab'.repeat(32)}`;
    const r = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', wrong], { stdin: `${server.password}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gate: the server's certificate fingerprint ${fingerprint} does not match --ca-fingerprint\n`);
    expect(existsSync(tokenPath())).toBe(false);
    expect(existsSync(configPath())).toBe(false);
  });

  it('without a pin, does not trust the self-signed certificate', async () => {
    const r = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin'], { stdin: `${server.password}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(ONE_LINE);
    expect(r.stderr).toMatch(/cannot verify the certificate .*--ca-fingerprint/);
    expect(existsSync(tokenPath())).toBe(false);
  });

  it('rejects a malformed pin as a usage error', async () => {
    const r = await gate.run(['login', '--server', server.url, '--ca-fingerprint', 'md5:1234']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE);
  });

  it('says the one-time password must be changed when it cannot ask', async () => {
    const r = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', fingerprint], {
      stdin: `${server.password}\n`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gate: the password must be changed first: log in once on a terminal or in the web UI\n');
    expect(existsSync(tokenPath())).toBe(false);
  });

  it('logs in with the pinned fingerprint and keeps its files private', async () => {
    await retireBootstrapPassword(server, PASSWORD);
    const wrongPassword = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', fingerprint], {
      stdin: 'not the password\n',
    });
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toBe('gate: wrong email or password\n');

    const r = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', fingerprint], {
      stdin: `${PASSWORD}\n`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Logged in to https:\/\/127\.0\.0\.1:\d+ as admin@localhost \(admin\)/);
    expect(mode(gate.configDir)).toBe(0o700);
    expect(mode(tokenPath())).toBe(0o600);
    expect(mode(configPath())).toBe(0o600);
    const config = JSON.parse(await readFile(configPath(), 'utf8'));
    expect(config).toEqual({ server: server.url, fingerprint, certPem: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) });
    expect((await readFile(tokenPath(), 'utf8')).trim()).toMatch(/^\S{20,}$/);
  });

  it('status shows the server, user, role and expiry', async () => {
    const j = await gate.run(['status', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const status = JSON.parse(j.stdout);
    expect(status).toMatchObject({ server: server.url, fingerprint, user: { email: 'admin@localhost', role: 'admin' }, mustChangePassword: false });
    expect(Date.parse(status.expiresAt)).toBeGreaterThan(Date.now());
    const text = await gate.run(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/user:\s+admin@localhost\n/);
    expect(text.stdout).toMatch(/role:\s+admin\n/);
  });

  it('ls lists the local target (table and --json, --env filter)', async () => {
    const j = await gate.run(['ls', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const targets = JSON.parse(j.stdout) as TargetInfo[];
    expect(targets).toContainEqual(expect.objectContaining({ name: 'local', kind: 'local', status: 'online', environment: 'default', targetUsers: ['root'] }));
    const table = await gate.run(['ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+STATUS\s+ENVIRONMENT\s+TARGET USERS\s+ACTIONS$/);
    expect(table.stdout).toMatch(/^local\s+local\s+online\s+default\s+root\s+shell/m);
    const none = await gate.run(['ls', '--json', '--env', 'no-such-env']);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('connect runs a command: output, exit 0', async () => {
    const r = await gate.run(['connect', 'local', '--', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it('keeps stdout and stderr apart and returns the remote exit code', async () => {
    const r = await gate.run(['connect', 'local', '--', 'echo out; echo err >&2; exit 7']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.code).toBe(7);
    // Words are joined with spaces and run by the remote shell, as ssh does.
    const words = await gate.run(['connect', 'root@local', '--', 'sh', '-c', "'echo err2 >&2; exit 9'"]);
    expect(words.stdout).toBe('');
    expect(words.stderr).toBe('err2\n');
    expect(words.code).toBe(9);
  });

  it('passes stdin through and forwards its end', async () => {
    const wc = await gate.run(['connect', 'local', '--', 'wc', '-l'], { stdin: 'a\nb\n' });
    expect(wc.code, wc.stderr).toBe(0);
    expect(wc.stdout.trim()).toBe('2');
    // Binary and bigger than any frame or window: every byte arrives, in order, both ways.
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    const cat = await gate.run(['connect', 'local', '--', 'cat'], { stdin: blob });
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdoutBytes.length).toBe(blob.length);
    expect(createHash('sha256').update(cat.stdoutBytes).digest('hex')).toBe(createHash('sha256').update(blob).digest('hex'));
    // -n: the command sees end of input at once.
    const n = await gate.run(['connect', '-n', 'local', '--', 'cat; echo after-eof']);
    expect(n.stdout).toBe('after-eof\n');
  });

  it('fails with one line and exit 1 for an unknown target', async () => {
    const r = await gate.run(['connect', 'no-such-target', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gate: no target named no-such-target\n');
    expect(r.stdout).toBe('');
    const named = await gate.run(['connect', 'root@no-such-target', '--', 'true']);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(ONE_LINE);
  });

  it('exits 2 with one line on usage errors', async () => {
    for (const args of [['connect'], ['ls', '--bogus'], ['frobnicate'], ['close'], ['logs', 'connections', '--since', 'yesterday-ish'], ['connect', '@local']]) {
      const r = await gate.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(ONE_LINE);
    }
    const help = await gate.run(['connect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: gate connect/);
    const notYet = await gate.run(['ssh-proxy', 'root', 'local', '22']);
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toBe('gate: ssh-proxy is not available in this version yet\n');
  });

  it('a shell keeps running when gate leaves; lc lists it and attach continues it', async () => {
    const { id } = await detachedShell('first');
    const listed = await until(async () => (await lcJson()).find((c) => c.id === id && c.state === 'disconnected'), 'the shell to be disconnected');
    expect(listed).toMatchObject({ kind: 'shell', command: null, userEmail: 'admin@localhost' });
    const table = await gate.run(['lc']);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+root@local\\s+shell\\s+disconnected`, 'm'));

    const again = await gate.run(['attach', id], { stdin: 'echo again-$((2+3))\nexit 4\n' });
    expect(again.stdout).toContain('first-42'); // the redrawn screen
    expect(again.stdout).toContain('again-5');
    expect(again.code).toBe(4);

    const closed = await gate.run(['attach', id]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/^gate: connection [0-9a-f-]+ is closed \(exited\)\n$/);
    const unknown = await gate.run(['attach', '00000000-0000-0000-0000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('gate: no such connection\n');
  });

  it('close --all ends every open connection', async () => {
    const a = await detachedShell('second');
    const b = await detachedShell('third');
    expect((await lcJson()).map((c) => c.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const r = await gate.run(['close', '--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Closed ${a.id}`);
    expect(r.stdout).toContain(`Closed ${b.id}`);
    expect(await lcJson()).toEqual([]);
    const none = await gate.run(['close', '--all']);
    expect(none.code).toBe(0);
  });

  it('logs connections shows open, connected and closed with who and why', async () => {
    const r = await gate.run(['logs', 'connections', '--json', '--target', 'local', '--since', '1h']);
    expect(r.code, r.stderr).toBe(0);
    const entries = JSON.parse(r.stdout) as ConnectionLogEntry[];
    const byConn = new Map<string, ConnectionLogEntry[]>();
    for (const e of entries) byConn.set(e.connectionId, [...(byConn.get(e.connectionId) ?? []), e]);
    const states = [...byConn.values()].map((es) => es.map((e) => e.state));
    expect(states).toContainEqual(['open', 'connected', 'closed']);
    expect(entries.every((e) => e.userEmail === 'admin@localhost' && e.targetName === 'local')).toBe(true);
    expect(entries).toContainEqual(expect.objectContaining({ state: 'closed', reason: 'closed by user', actor: 'admin@localhost' }));
    expect(entries).toContainEqual(expect.objectContaining({ state: 'disconnected' }));

    const future = await gate.run(['logs', 'connections', '--json', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(JSON.parse(future.stdout)).toEqual([]);
    const table = await gate.run(['logs', 'connections']);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+STATE\s+CONNECTION\s+USER\s+TARGET\s+ACTOR\s+REASON$/);
    expect(table.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+closed\s/m);
    // The exec connections above are in the command log too.
    const commands = await gate.run(['logs', 'commands', '--json']);
    expect(commands.code, commands.stderr).toBe(0);
    expect((JSON.parse(commands.stdout) as { command: string }[]).length).toBeGreaterThan(0);
  });

  it('recordings: ls with filters and --grep, download (asciinema reads it), play, and clear refusals', async () => {
    const tag = `rec-${randomBytes(3).toString('hex')}`;
    const run = await gate.run(['connect', '-t', 'local', '--', `sleep 0.3; echo ${tag}-$((40+2))`]);
    expect(run.code, run.stderr).toBe(0);
    const [cmd] = JSON.parse((await gate.run(['logs', 'commands', '--json', '--grep', tag])).stdout) as { connectionId: string }[];
    const id = cmd!.connectionId;

    const ls = await gate.run(['recordings', 'ls', '--json', '--grep', tag]);
    expect(ls.code, ls.stderr).toBe(0);
    const recs = JSON.parse(ls.stdout) as RecordingInfo[];
    expect(recs).toEqual([expect.objectContaining({ id, targetName: 'local', targetUser: 'root', userEmail: 'admin@localhost', live: false })]);
    const all = JSON.parse((await gate.run(['recordings', 'ls', '--json', '--target', 'local', '--since', '1h'])).stdout) as RecordingInfo[];
    expect(all.map((r) => r.id)).toContain(id);
    expect(all.map((r) => r.startedAt)).toEqual([...all.map((r) => r.startedAt)].sort().reverse()); // newest first
    const none = await gate.run(['recordings', 'ls', '--target', 'no-such-target']);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No matching recordings.\n']);
    const table = (await gate.run(['recordings', 'ls', '--grep', tag])).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+USER\s+WHERE\s+STARTED\s+DURATION\s+SIZE\s+FLAGS$/);
    expect(table[1]).toMatch(new RegExp(`^${id}\\s+admin@localhost\\s+root@local\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\d+s\\s+\\d`));

    const dir = await mkdtemp(join(tmpdir(), 'gate-rec-'));
    try {
      const file = join(dir, 'r.cast');
      const saved = await gate.run(['recordings', 'download', id, '-o', file]);
      expect(saved.code, saved.stderr).toBe(0);
      expect(saved.stdout).toMatch(new RegExp(`^Saved recording ${id} to ${file} \\(\\d`));
      const cat = spawnSync('/usr/bin/script', ['-qec', `/usr/bin/asciinema cat '${file}'`, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
      expect(cat.status, cat.stderr).toBe(0);
      expect(cat.stdout).toContain(`${tag}-42`);
      // An existing file is never overwritten; stdout gets the same bytes with -o -.
      const again = await gate.run(['recordings', 'download', id, '-o', file]);
      expect([again.code, again.stderr]).toEqual([1, `gate: ${file} exists; choose another name with -o FILE\n`]);
      const piped = await gate.run(['recordings', 'download', id, '-o', '-']);
      expect(piped.stdoutBytes.equals(await readFile(file))).toBe(true);

      // play: the output with its timing (0.3 s of sleep before the echo, at --speed 1), or faster.
      const t0 = Date.now();
      const played = await gate.run(['recordings', 'play', id]);
      expect(played.code, played.stderr).toBe(0);
      expect(played.stdout).toContain(`${tag}-42`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      const fast = await gate.run(['recordings', 'play', id, '--speed', '100', '--idle-limit', '0.01']);
      expect(fast.stdout).toBe(played.stdout);

      for (const [args, message] of [
        [['recordings', 'play', id, '--speed', '0'], /--speed takes a number above 0/],
        [['recordings', 'play', id, '--idle-limit', 'soon'], /--idle-limit takes a number of seconds/],
        [['recordings', 'download'], /needs ID/],
        [['recordings', 'frobnicate'], /recordings/],
      ] as const) {
        const r = await gate.run([...args]);
        expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringMatching(message)]);
        expect(r.stderr).toMatch(ONE_LINE);
      }
      const missing = await gate.run(['recordings', 'play', '01a20000-0000-7000-8000-000000000000']);
      expect([missing.code, missing.stderr]).toEqual([1, 'gate: no such recording\n']);
      const removed = await gate.run(['recordings', 'rm', id]);
      expect([removed.code, removed.stderr]).toEqual([1, 'gate: deleting recordings is not available in this version: recordings are evidence, and the service keeps them\n']);
      expect((JSON.parse((await gate.run(['recordings', 'ls', '--json', '--grep', tag])).stdout) as RecordingInfo[]).map((r) => r.id)).toEqual([id]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logout ends the session and forgets the token', async () => {
    const token = (await readFile(tokenPath(), 'utf8')).trim();
    const r = await gate.run(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(tokenPath())).toBe(false);
    const ls = await gate.run(['ls']);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toBe('gate: not logged in: run gate login --server URL\n');
    // The service no longer accepts the old token either.
    const call = await serviceApi(server);
    expect((await call('GET', '/api/v1/auth/me', undefined, token)).status).toBe(401);
    await writeFile(tokenPath(), `${token}\n`, { mode: 0o600 });
    const stale = await gate.run(['status']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe('gate: not logged in: the session has expired or was ended; run gate login\n');
  });
});
