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

const PASSWORD = 'remote agent gate test';
let server: ServerProcess;
let agent: AgentProcess;
let gate: GateCli;
let stateDir: string;
let sink: Server;

beforeAll(async () => {
  buildDist();
  server = await startServer();
  await retireBootstrapPassword(server, PASSWORD);
  const call = await serviceApi(server);
  const token = (await call('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: PASSWORD })).json.token;
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
