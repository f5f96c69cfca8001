/**
 * `gate` against a real remote agent: the built service (https, pinned), a separate
 * `gatehouse agent --server` process registered with a registration key, and the built `gate`.
 * What issue 3 asks of the client on an agent target: ls shows it online, exec with exit codes
 * and separate stderr, stdin piping (`printf 'a\nb\n' | gate connect t -- wc -l` prints 2), a
 * TCP tunnel to a port on the agent's host.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, gateCli, retireBootstrapPassword, serviceApi, type GateCli } from '../helpers/gate-cli';
import { createRegistrationKey, startAgent, type AgentProcess } from '../helpers/agent-process';
import { openTerminal } from '../helpers/ws-terminal';
import { readFile } from 'node:fs/promises';
import type WebSocket from 'ws';

const PASSWORD = 'remote agent gate test';
let server: ServerProcess;
let agent: AgentProcess;
let gate: GateCli;
let stateDir: string;
let sink: Server;
let token: string;

beforeAll(async () => {
  buildDist();
  server = await startServer();
  await retireBootstrapPassword(server, PASSWORD);
  const call = await serviceApi(server);
  token = (await call('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: PASSWORD })).json.token;
  const policy = { name: 'agents-root', kind: 'target_access', subjects: { groups: ['admins'] }, targets: ['db-7'], actions: ['shell', 'tunnel'], targetUsers: ['root'] };
  expect((await call('PUT', '/api/v1/policies/agents-root', policy, token)).status).toBe(201);
  stateDir = await mkdtemp(join(tmpdir(), 'gh-gate-agent-'));
  const fingerprint = fingerprintFrom(server.stdout);
  agent = startAgent(['--server', server.url, '--name', 'db-7', '--registration-key', createRegistrationKey(server.dataDir, 'reg'), '--state-dir', stateDir, '--ca-fingerprint', fingerprint]);
  await agent.waitFor(/connected/i, 20_000);
  gate = await gateCli();
  const login = await gate.run(['login', '--server', server.url, '--user', 'admin@localhost', '--password-stdin', '--ca-fingerprint', fingerprint], { stdin: `${PASSWORD}\n` });
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  sink?.close();
  await agent?.kill();
  await gate?.cleanup();
  await server?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('gate on a remote agent target', () => {
  it('lists the agent target online with its actions', async () => {
    const r = await gate.run(['ls', '--json']);
    const t = (JSON.parse(r.stdout) as { name: string; kind: string; status: string; targetUsers: string[]; actions: string[] }[]).find((x) => x.name === 'db-7');
    expect(t).toMatchObject({ kind: 'agent', status: 'online', targetUsers: ['root'], actions: ['shell', 'tunnel'] });
  });

  it('pipes stdin: printf a\\nb\\n | gate connect db-7 -- wc -l prints 2', async () => {
    const r = await gate.run(['connect', 'db-7', '--', 'wc', '-l'], { stdin: 'a\nb\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2');
  });

  it('returns the remote exit code and keeps stderr apart', async () => {
    const r = await gate.run(['connect', 'root@db-7', '--', 'echo out-$((3*3)); echo err-$((4*4)) >&2; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('out-9\n');
    expect(r.stderr).toBe('err-16\n');
  });

  it('carries a resize to the remote pty', async () => {
    const call = await serviceApi(server);
    const c = await call('POST', '/api/v1/connections', { target: 'db-7', targetUser: 'root', cols: 80, rows: 24 }, token);
    expect(c.status).toBe(201);
    const tls = { ca: await readFile(join(server.dataDir, 'tls', 'cert.pem')), checkServerIdentity: () => undefined } as unknown as WebSocket.ClientOptions;
    const term = await openTerminal(`${server.url.replace(/^https/, 'wss')}${c.json.wsPath}`, { authorization: `Bearer ${token}` }, tls);
    term.send('stty size\r');
    await term.waitFor(/24 80/);
    term.resize(132, 43);
    term.send('stty size\r');
    await term.waitFor(/43 132/);
    term.send('exit\r');
    expect((await term.closed).code).toBe(4410);
  });

  it('attach after the client was killed shows the same screen and continues', async () => {
    const first = gate.start(['connect', 'root@db-7'], { stdin: 'keep-open' });
    first.child.stdin!.write('echo before-$((5*5))-kill\n');
    const deadline = Date.now() + 15_000;
    while (!first.output().stdout.includes('before-25-kill')) {
      if (Date.now() > deadline) throw new Error(`no output: ${JSON.stringify(first.output())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    let id = '';
    while (!id) {
      const lc = JSON.parse((await gate.run(['lc', '--json'])).stdout) as { id: string; targetName: string; state: string }[];
      id = lc.find((c) => c.targetName === 'db-7' && c.state === 'disconnected')?.id ?? '';
      if (!id && Date.now() > deadline) throw new Error('the shell did not show as disconnected');
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    const again = await gate.run(['attach', id], { stdin: 'echo after-$((6*6))\nexit 4\n' });
    expect(again.stdout).toContain('before-25-kill'); // the redrawn screen
    expect(again.stdout).toContain('after-36');
    expect(again.code).toBe(4);
  });

  it('tunnels TCP to a port on the agent host', async () => {
    sink = createServer((s) => s.end('hello from db-7\n'));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const t = gate.start(['tunnel', 'db-7', '--target-port', String((sink.address() as { port: number }).port)]);
    let port = 0;
    const deadline = Date.now() + 15_000;
    while (!port) {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(t.output().stdout);
      if (m) port = Number(m[1]);
      else if (Date.now() > deadline) throw new Error(`no listening line: ${t.output().stderr}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    const got = await new Promise<string>((resolve, reject) => {
      const c = connect(port, '127.0.0.1');
      let text = '';
      c.on('data', (d) => (text += d));
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    expect(got).toBe('hello from db-7\n');
    t.child.kill('SIGINT');
    expect((await t.exited).code).toBe(0);
  });
});
