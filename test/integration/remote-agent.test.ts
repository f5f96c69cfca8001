/**
 * Remote agents end to end: the BUILT service over HTTPS with its self-signed certificate, and
 * the BUILT agent (`gatehouse agent --server … --ca-fingerprint …`) as a separate process that
 * dials out to it. Registration with a registration key, the identity kept in the state dir,
 * shells and exec on the agent, restart without the key, conflicts, a wrong signature, an agent
 * killed (-9) or frozen (SIGSTOP: offline after `agents.offline_after`), and target deletion.
 *
 * The steps share one service and run in order. Needs root (the agent opens shells as root).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetInfo } from '../../protocol/api-types';
import { buildDist, startServer, type ServerProcess } from '../helpers/server-process';
import { fingerprintFrom, serviceApi } from '../helpers/gate-cli';
import { openTerminal, type WsTerminal } from '../helpers/ws-terminal';
import { createRegistrationKey, rawAgent, startAgent, type AgentProcess } from '../helpers/agent-process';

const isRoot = process.getuid?.() === 0;
const PASSWORD = 'correct horse battery staple';
const OFFLINE_AFTER_S = 3;
const SERVICE_ENV = { GATEHOUSE_AGENTS_HEARTBEAT: '1s', GATEHOUSE_AGENTS_OFFLINE_AFTER: `${OFFLINE_AFTER_S}s` };

let server: ServerProcess;
let fingerprint: string;
let call: Awaited<ReturnType<typeof serviceApi>>;
let token: string;
let regKey: string;
let tls: WebSocket.ClientOptions;
let wsBase: string;
let stateDir: string;
let tmp: string;
const agents: AgentProcess[] = [];

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const api = (method: string, path: string, body?: unknown) => call(method, path, body, token);

async function until<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function target(name: string): Promise<TargetInfo | undefined> {
  const r = await api('GET', '/api/v1/targets');
  expect(r.status).toBe(200);
  return (r.json as TargetInfo[]).find((t) => t.name === name);
}
const statusOf = async (name: string) => (await target(name))?.status;

function agent(extra: string[] = [], dir = stateDir): AgentProcess {
  const a = startAgent(['--server', server.url, '--name', 'web-1', '--state-dir', dir, '--ca-fingerprint', fingerprint, ...extra]);
  agents.push(a);
  return a;
}

/** Opens a shell connection on web-1 and waits until it answers. */
async function shell(tag: string): Promise<{ id: string; term: WsTerminal }> {
  const c = await api('POST', '/api/v1/connections', { target: 'web-1', targetUser: 'root' });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const term = await openTerminal(`${wsBase}${c.json.wsPath}`, { authorization: `Bearer ${token}` }, tls);
  term.send(`echo ready-${tag}-$((20+22))\r`);
  await term.waitFor(`ready-${tag}-42`);
  return { id: c.json.id, term };
}

/** Audit rows, read straight from the service's database (read-only; WAL allows it). */
async function auditRows(type: string): Promise<{ outcome: string; object: string | null; source: string | null; details: string }[]> {
  await new Promise((r) => setTimeout(r, 100)); // the audit log commits every few ms
  const db = new sqlite3.Database(join(server.dataDir, 'gatehouse.db'), sqlite3.OPEN_READONLY);
  try {
    return await new Promise((resolve, reject) =>
      db.all('SELECT outcome, object, source, details FROM events WHERE type = ? ORDER BY id', [type], (err, rows) => (err ? reject(err) : resolve(rows as never))),
    );
  } finally {
    db.close();
  }
}

describe.skipIf(!isRoot)('remote agent against the built service (https, pinned)', () => {
  beforeAll(async () => {
    buildDist();
    tmp = await mkdtemp(join(tmpdir(), 'gh-remote-agent-'));
    stateDir = join(tmp, 'state');
    // Our own data dir, so the service can be restarted on it (the last step).
    server = await startServer({ dataDir: join(tmp, 'data'), env: SERVICE_ENV });
    fingerprint = fingerprintFrom(server.stdout);
    call = await serviceApi(server);
    const login = await call('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: server.password });
    expect(login.status).toBe(200);
    token = login.json.token;
    expect((await api('POST', '/api/v1/auth/password', { currentPassword: server.password, newPassword: PASSWORD })).status).toBe(204);
    regKey = createRegistrationKey(server.dataDir, 'reg');
    tls = { ca: await readFile(join(server.dataDir, 'tls', 'cert.pem')), checkServerIdentity: () => undefined } as unknown as WebSocket.ClientOptions;
    wsBase = server.url.replace(/^https/, 'wss');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.kill()));
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('applies a target-access policy for a target not registered yet, with a warning', async () => {
    const policy = { name: 'agents-root', kind: 'target_access', subjects: { groups: ['admins'] }, targets: ['web-1'], actions: ['shell', 'tunnel'], targetUsers: ['root'] };
    const r = await api('PUT', '/api/v1/policies/agents-root', policy);
    expect(r.status).toBe(201);
    expect(r.json.warnings).toEqual(['agents-root: no target web-1 (yet)']);
    const bad = await api('PUT', '/api/v1/policies/agents-root', { ...policy, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/colour/);
    expect((await api('PUT', '/api/v1/policies/agents-root', { ...policy, targetUsers: ['../root'] })).status).toBe(400);
    expect((await api('PUT', '/api/v1/policies/agents-root', { ...policy, kind: 'proxy' })).status).toBe(400);
    expect((await api('PUT', '/api/v1/policies/other', policy)).json.error.message).toMatch(/name/);
    const again = await api('PUT', '/api/v1/policies/agents-root', policy);
    expect(again.status).toBe(200);
    expect((await auditRows('policy.put')).map((e) => e.object)).toEqual(['agents-root', 'agents-root']);
  });

  it('registers on first run, keeps its identity in private files, and comes online', async () => {
    const a = agent(['--registration-key', regKey, '--environment', 'prod']);
    await a.waitFor(/registered as web-1 with https:\/\/127\.0\.0\.1:\d+/);
    await a.waitFor(/connected to https:\/\/127\.0\.0\.1:\d+ as web-1/);
    expect(await mode(stateDir)).toBe(0o700);
    expect(await mode(join(stateDir, 'identity.pem'))).toBe(0o600);
    expect(await mode(join(stateDir, 'server.json'))).toBe(0o600);
    const saved = JSON.parse(await readFile(join(stateDir, 'server.json'), 'utf8'));
    expect(saved).toMatchObject({ server: server.url, name: 'web-1', fingerprint, environment: 'prod' });
    const t = await until(async () => (await statusOf('web-1')) === 'online' && target('web-1'), 'web-1 online');
    expect(t).toMatchObject({ kind: 'agent', environment: 'prod', actions: ['shell', 'tunnel'], targetUsers: ['root'] });
    const reg = await auditRows('agent.register');
    expect(reg.at(-1)).toMatchObject({ outcome: 'success', object: 'web-1', source: '127.0.0.1' });
    expect((await auditRows('agent.connect')).at(-1)).toMatchObject({ object: 'web-1' });
  });

  it('runs a shell and an exec on the agent host', async () => {
    const { term, id } = await shell('a');
    term.send('id -un; echo "who=$(id -un)"\r');
    await term.waitFor(/who=root/);
    term.close();
    const c = await api('POST', '/api/v1/connections', { target: 'web-1', targetUser: 'root', command: 'echo out; exit 7' });
    expect(c.status).toBe(201);
    const ex = await openTerminal(`${wsBase}${c.json.wsPath}`, { authorization: `Bearer ${token}` }, tls);
    const closed = await ex.closed;
    expect(closed.code).toBe(4410);
    expect(ex.controls.find((m) => m.type === 'exit')).toEqual({ type: 'exit', code: 7 });
    expect(ex.output()).toContain('out');
    // The shell left behind keeps running on the agent (detached).
    expect((await api('GET', `/api/v1/connections/${id}`)).json.state).toBe('disconnected');
    // A TCP tunnel to a port on the agent's host.
    const t = await tunnel();
    t.ws.send(Buffer.from('through the remote agent'));
    await until(() => t.received().includes('through the remote agent'), 'the echo');
    t.ws.close();
  });

  it('stops cleanly on SIGTERM (killing its shells) and restarts without the registration key', async () => {
    const first = agents.at(-1)!;
    const marker = 7_000_000 + Math.floor(Math.random() * 999_999);
    // The bracket keeps pgrep's own shell from matching the pattern.
    const sleeping = () => execFileSync('/bin/sh', ['-c', `pgrep -f "sleep ${String(marker).slice(0, -1)}[${String(marker).slice(-1)}]" || true`], { encoding: 'utf8' }).trim();
    const { term } = await shell('b');
    term.send(`exec sleep ${marker}\r`);
    await until(() => sleeping() !== '', 'the sleep to start');
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(sleeping()).toBe('');
    expect(await term.closed).toEqual({ code: 4410, reason: 'target offline' });
    await until(async () => (await statusOf('web-1')) === 'offline', 'web-1 offline');

    const again = agent();
    await again.waitFor(/connected to .* as web-1/);
    expect(again.lines.join('\n')).not.toMatch(/registered/);
    await until(async () => (await statusOf('web-1')) === 'online', 'web-1 online again');
  });

  it('refuses the same name registered with another key (409), idempotent for the same key', async () => {
    const other = agent(['--registration-key', regKey], join(tmp, 'other-state'));
    expect((await other.exited).code).toBe(1);
    expect(other.lines.join('\n')).toMatch(/^gatehouse agent: registration refused: an agent named web-1 is already registered$/m);
    const pem = createPublicKey(createPrivateKey(await readFile(join(stateDir, 'identity.pem')))).export({ type: 'spki', format: 'pem' }).toString();
    const existing = JSON.parse(await readFile(join(stateDir, 'server.json'), 'utf8'));
    const same = await registerRaw({ name: 'web-1', hostname: 'h', publicKey: pem });
    expect(same.status).toBe(200);
    expect(same.json).toEqual({ targetId: existing.targetId, name: 'web-1' });
    expect((await registerRaw({ name: 'web-1', hostname: 'h', publicKey: 'not a key' })).status).toBe(400);
    expect((await registerRaw({ name: '../etc', hostname: 'h', publicKey: pem })).status).toBe(400);
    expect((await registerRaw({ name: 'local', hostname: 'h', publicKey: pem })).status).toBe(409);
    const failures = (await auditRows('agent.register')).filter((e) => e.outcome === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });

  it('lets a registration key register and nothing else; registering needs one', async () => {
    const r = await call('GET', '/api/v1/targets', undefined, undefined);
    expect(r.status).toBe(401);
    const withKey = (await call('GET', '/api/v1/targets', undefined, undefined, { 'x-api-key': regKey })).status;
    expect(withKey).toBe(403);
    const asAdmin = await api('POST', '/api/v1/agents/register', { name: 'x', hostname: 'h', publicKey: 'k' });
    expect(asAdmin.status).toBe(403);
  });

  it('closes a link that answers the challenge with a wrong signature (4401), audited with the source', async () => {
    const before = (await auditRows('agent.auth')).length;
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await rawAgent(`${wsBase}/ws/agent`, 'web-1', privateKey, { tls });
    expect(await forged.closed).toEqual({ code: 4401, reason: 'agent authentication failed' });
    const garbage = await rawAgent(`${wsBase}/ws/agent`, 'web-1', null, { tls, signature: randomBytes(64).toString('base64url') });
    expect(await garbage.closed).toEqual({ code: 4401, reason: 'agent authentication failed' });
    const rows = (await auditRows('agent.auth')).slice(before);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ outcome: 'failure', object: 'web-1', source: '127.0.0.1' });
    expect(JSON.parse(rows[0]!.details).reason).toBe('wrong signature');
    // The real agent was not disturbed.
    expect(await statusOf('web-1')).toBe('online');
  });

  it('kill -9 of the agent closes its live shells with "target offline" at once', async () => {
    const victim = agents.at(-2)!; // the restarted agent (the last one is the refused duplicate)
    expect(victim.child.exitCode).toBeNull();
    const { id, term } = await shell('c');
    const started = Date.now();
    victim.child.kill('SIGKILL');
    expect(await term.closed).toEqual({ code: 4410, reason: 'target offline' });
    expect(Date.now() - started).toBeLessThan((OFFLINE_AFTER_S * 1000) / 2);
    const row = await api('GET', `/api/v1/connections/${id}`);
    expect(row.json).toMatchObject({ state: 'closed', closeReason: 'target offline' });
    await until(async () => (await statusOf('web-1')) === 'offline', 'web-1 offline');
    expect((await auditRows('agent.disconnect')).at(-1)).toMatchObject({ object: 'web-1' });
  });

  it('a silent agent (SIGSTOP) goes offline within agents.offline_after, and comes back when continued', async () => {
    const a = agent();
    await a.waitFor(/connected to/);
    await until(async () => (await statusOf('web-1')) === 'online', 'web-1 online');
    const { id, term } = await shell('d');
    const mark = a.lines.length;
    a.child.kill('SIGSTOP');
    const started = Date.now();
    expect(await term.closed).toEqual({ code: 4410, reason: 'target offline' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual((OFFLINE_AFTER_S - 1) * 1000);
    expect(took).toBeLessThan((OFFLINE_AFTER_S + 3) * 1000);
    expect((await api('GET', `/api/v1/connections/${id}`)).json.closeReason).toBe('target offline');
    expect(await statusOf('web-1')).toBe('offline');
    expect(server.stderr.join('\n')).toMatch(/agent web-1 disconnected: target offline/);
    a.child.kill('SIGCONT');
    await a.waitFor(/disconnected: /, 20_000, mark);
    await a.waitFor(/connected to/, 20_000, mark);
    await until(async () => (await statusOf('web-1')) === 'online', 'web-1 online after SIGCONT');
  });

  it('deleting the target closes its shells with "target deleted" and refuses the agent from then on', async () => {
    const a = agents.at(-1)!;
    const { id, term } = await shell('e');
    const tun = await tunnel();
    const tunnelRow = await until(async () => ((await api('GET', '/api/v1/connections')).json as { id: string; kind: string; state: string }[]).find((c) => c.kind === 'tunnel' && c.state === 'connected'), 'the tunnel row');
    const mark = a.lines.length;
    const authBefore = (await auditRows('agent.auth')).length;
    const del = await api('DELETE', '/api/v1/targets/web-1');
    expect(del.status).toBe(204);
    expect(await term.closed).toEqual({ code: 4410, reason: 'target deleted' });
    expect((await api('GET', `/api/v1/connections/${id}`)).json.closeReason).toBe('target deleted');
    await tun.closed;
    await until(async () => (await api('GET', `/api/v1/connections/${tunnelRow.id}`)).json.closeReason === 'target deleted', 'the tunnel closed as deleted');
    expect(await target('web-1')).toBeUndefined();
    await a.waitFor(/the service refused this agent/, 20_000, mark);
    await a.waitFor(/retrying in/, 20_000, mark);
    expect(a.child.exitCode).toBeNull(); // it keeps trying: an admin may register it again
    // Its next connect is refused and audited.
    const refusals = await until(async () => {
      const rows = (await auditRows('agent.auth')).slice(authBefore);
      return rows.length > 0 && rows;
    }, 'a refused reconnect');
    expect(JSON.parse(refusals[0]!.details).reason).toMatch(/no such target/);
    expect((await auditRows('target.delete')).at(-1)).toMatchObject({ object: 'web-1' });
    expect((await api('DELETE', '/api/v1/targets/web-1')).status).toBe(404);
    expect((await api('DELETE', '/api/v1/targets/local')).status).toBe(400);
  });

  it('a restart (even with the key) does not bring a deleted agent back; registering again does', async () => {
    await agents.at(-1)!.kill();
    const restarted = agent(['--registration-key', regKey]);
    await restarted.waitFor(/already registered as web-1; the registration key is not used/);
    await restarted.waitFor(/the service refused this agent .*remove .*server\.json and start it with --registration-key/);
    expect(await target('web-1')).toBeUndefined();
    await restarted.kill();
    await rm(join(stateDir, 'server.json'));
    const again = agent(['--registration-key', regKey]);
    await again.waitFor(/registered as web-1/);
    await again.waitFor(/connected to .* as web-1/);
    await until(async () => (await statusOf('web-1')) === 'online', 'web-1 registered again');
  });

  it('ends live shells as "service stopping" on a graceful stop, and reconnects to the restarted service', async () => {
    const a = agents.at(-1)!;
    const { id, term } = await shell('f');
    const mark = a.lines.length;
    await server.stop();
    expect(await term.closed).toEqual({ code: 4410, reason: 'service stopping' });
    await a.waitFor(/disconnected: the service closed the link \(1001 service stopping\)/, 10_000, mark);
    const port = new URL(server.url).port;
    server = await startServer({ dataDir: join(tmp, 'data'), env: SERVICE_ENV, extraArgs: ['--listen', `127.0.0.1:${port}`] });
    const restarted = Date.now();
    await a.waitFor(/connected to/, 20_000, mark);
    expect(Date.now() - restarted).toBeLessThan(10_000);
    call = await serviceApi(server);
    expect((await api('GET', `/api/v1/connections/${id}`)).json).toMatchObject({ state: 'closed', closeReason: 'service stopping' });
    await until(async () => (await statusOf('web-1')) === 'online', 'web-1 online after the restart');
  }, 60_000);

  it('sets an environment offline-removal period (1h..90d) and deletes policies', async () => {
    expect((await api('PUT', '/api/v1/environments/prod', { offlineRemoval: '30m' })).status).toBe(400);
    expect((await api('PUT', '/api/v1/environments/prod', { offlineRemoval: '91d' })).status).toBe(400);
    const ok = await api('PUT', '/api/v1/environments/prod', { offlineRemoval: '2h' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ name: 'prod', offlineRemovalSeconds: 7200 });
    expect((await api('PUT', '/api/v1/environments/prod', { offlineRemoval: null })).json.offlineRemovalSeconds).toBeNull();
    expect((await api('GET', '/api/v1/environments')).json.map((e: { name: string }) => e.name)).toEqual(['default', 'prod']);
    expect((await api('DELETE', '/api/v1/policies/agents-root')).status).toBe(204);
    expect((await api('DELETE', '/api/v1/policies/agents-root')).status).toBe(404);
    expect((await auditRows('policy.delete')).map((e) => e.object)).toEqual(['agents-root']);
  });
});

/** A TCP echo server on this host (the agent's host too) and a /ws/tunnels socket to it on web-1. */
async function tunnel(): Promise<{ ws: WebSocket; received(): string; closed: Promise<number> }> {
  const { createServer } = await import('node:net');
  const { default: WS } = await import('ws');
  const echo = createServer((c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as { port: number }).port;
  const ws = new WS(`${wsBase}/ws/tunnels?target=web-1&port=${port}`, { ...tls, headers: { authorization: `Bearer ${token}` } });
  let got = '';
  ws.on('message', (d: Buffer) => (got += d.toString()));
  const closed = new Promise<number>((r) =>
    ws.on('close', (code) => {
      echo.close();
      r(code);
    }),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, received: () => got, closed };
}

/** POST /api/v1/agents/register with the registration key, as the agent does. */
function registerRaw(body: unknown): Promise<{ status: number; json: any }> {
  return call('POST', '/api/v1/agents/register', body, undefined, { 'x-api-key': regKey });
}
