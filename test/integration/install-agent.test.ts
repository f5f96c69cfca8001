/**
 * install.sh under GATEHOUSE_ROOT (no systemctl): the agent install (files, modes, the unit, the
 * settings file), its re-run as an upgrade, its usage errors, the server install into the same
 * prefix, and the installed agent started the way its unit starts it, against the built service.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist, repoRoot, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom } from '../helpers/gate-cli';
import { createRegistrationKey, startAgent, type AgentProcess } from '../helpers/agent-process';

const isRoot = process.getuid?.() === 0;
let root: string;
let server: ServerProcess;
let agent: AgentProcess | null = null;

function install(args: string[]) {
  return spawnSync(join(repoRoot, 'install.sh'), args, { env: { ...process.env, GATEHOUSE_ROOT: root }, encoding: 'utf8', timeout: 120_000 });
}
const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe.skipIf(!isRoot)('install.sh --agent', () => {
  beforeAll(async () => {
    buildDist();
    root = await mkdtemp(join(tmpdir(), 'gh-install-'));
    server = await startServer();
  }, 120_000);

  afterAll(async () => {
    await agent?.kill();
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses incomplete or malformed settings before touching anything', () => {
    const cases: [string[], RegExp][] = [
      [['--agent'], /--agent needs --server URL/],
      [['--agent', '--server', 'https://b.example:8443'], /needs --registration-key ID:SECRET/],
      [['--agent', '--server', 'http://10.0.0.1:8080', '--registration-key', `gk_${'a'.repeat(12)}:${'b'.repeat(43)}`], /plain http only for a loopback service/],
      [['--agent', '--server', 'https://b.example', '--registration-key', 'nope'], /--registration-key must be ID:SECRET/],
      [['--agent', '--server', 'https://b.example', '--name', 'a b'], /--name must be/],
      [['--agent', '--server', '--no-start'], /exclude each other/],
      [['--name', 'x'], /need --agent/],
      [['--bogus'], /unknown option --bogus/],
    ];
    for (const [args, pattern] of cases) {
      const r = install(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
    expect(existsSync(join(root, 'opt'))).toBe(false);
  });

  it('installs the agent: app, unit, private state dir and settings file', async () => {
    const key = createRegistrationKey(server.dataDir, 'install');
    const fp = fingerprintFrom(server.stdout);
    const r = install(['--agent', '--server', server.url, '--registration-key', key, '--name', 'installed-1', '--environment', 'lab', '--ca-fingerprint', fp, '--no-start']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/installed agent to/);
    expect(existsSync(join(root, 'opt/gatehouse/dist/gatehouse.js'))).toBe(true);
    expect(existsSync(join(root, 'opt/gatehouse.new'))).toBe(false);
    expect(await mode(join(root, 'var/lib/gatehouse-agent'))).toBe(0o700);
    const envFile = join(root, 'etc/gatehouse/agent.env');
    expect(await mode(envFile)).toBe(0o600);
    const env = await readFile(envFile, 'utf8');
    expect(env).toContain(`GATEHOUSE_AGENT_ARGS="--server ${server.url} --name installed-1 --environment lab --ca-fingerprint ${fp} --registration-key ${key}"`);
    const unit = await readFile(join(root, 'etc/systemd/system/gatehouse-agent.service'), 'utf8');
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/gatehouse\/agent\.env$/m);
    expect(unit).toMatch(/^ExecStart=.*gatehouse\.js agent --state-dir \/var\/lib\/gatehouse-agent \$GATEHOUSE_AGENT_ARGS$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^User=root$/m);

    // Started as the unit starts it: the installed code, the state dir, the settings file's words.
    const args = /GATEHOUSE_AGENT_ARGS="([^"]*)"/.exec(env)![1]!.split(' ');
    agent = startAgent(['--state-dir', join(root, 'var/lib/gatehouse-agent'), ...args]);
    await agent.waitFor(/registered as installed-1/);
    await agent.waitFor(/connected to .* as installed-1/);
    expect(await mode(join(root, 'var/lib/gatehouse-agent/identity.pem'))).toBe(0o600);
  });

  it('runs again as an upgrade that keeps the settings, and installs the server beside it', async () => {
    const before = await readFile(join(root, 'etc/gatehouse/agent.env'), 'utf8');
    const again = install(['--agent', '--no-start']);
    expect(again.status, again.stderr).toBe(0);
    expect(await readFile(join(root, 'etc/gatehouse/agent.env'), 'utf8')).toBe(before);
    const srv = install(['--no-start']);
    expect(srv.status, srv.stderr).toBe(0);
    expect(existsSync(join(root, 'etc/systemd/system/gatehouse.service'))).toBe(true);
    expect(existsSync(join(root, 'etc/gatehouse/gatehouse.toml'))).toBe(true);
    expect(await mode(join(root, 'var/lib/gatehouse'))).toBe(0o700);
    expect(execFileSync(process.execPath, [join(root, 'opt/gatehouse/dist/gatehouse.js'), 'agent', '--help'], { encoding: 'utf8' })).toContain('--registration-key');
  }, 120_000);
});
