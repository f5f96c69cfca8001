/**
 * Identity, policy administration and the event log through the real service: users and
 * groups, TOTP enrolment and login with codes computed here (RFC 6238), login rate limiting,
 * session expiry, API keys as policy subjects, batch policy apply (all or nothing), target
 * rename and environment moves re-deciding live shells, the event log API and the OpenAPI
 * document. The helper's stop() also checks that every state-changing call left one event row.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal } from '../helpers/ws-terminal';
import { totpCode } from '../helpers/totp';
import { execFileSync } from 'node:child_process';

/** A target user with a real login shell, created for this suite and removed after it. */
const TUSER = 'ghidtest';

let s: TestServer;
let admin: ReturnType<typeof api>;
let adminBearer: string;
const PASSWORD = 'a long enough password 1';

async function login(email: string, password: string, totp?: string) {
  const r = await fetch(`${s.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(totp !== undefined ? { totp } : {}) }),
  });
  return { status: r.status, json: (await r.json()) as any, headers: r.headers };
}

/** Creates a user with a known password (no forced change) and returns its API caller. */
async function userWith(email: string, groups: string[] = []) {
  const r = await admin('POST', '/api/v1/users', { email, password: PASSWORD, groups });
  expect(r.status).toBe(201);
  const l = await apiLogin(s.url, email, PASSWORD);
  return { call: api(s, l.token), token: l.token };
}

async function openShell(token: string, targetUser: string) {
  const c = await api(s, token)('POST', '/api/v1/connections', { target: 'local', targetUser });
  expect(c.status).toBe(201);
  const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${token}` });
  t.send('echo ready-$((40+2))\r');
  await t.waitFor('ready-42');
  return { id: c.json.id as string, t };
}

beforeAll(async () => {
  execFileSync('sh', ['-c', `id ${TUSER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${TUSER}`]);
  s = await startInProcess();
  adminBearer = await adminToken(s);
  admin = api(s, adminBearer);
});
afterAll(async () => {
  await s?.stop();
  execFileSync('sh', ['-c', `userdel -r ${TUSER} 2>/dev/null || true`]);
});

describe('users and groups', () => {
  it('creates a user with a one-time password that must be changed, and lists it with its groups', async () => {
    const r = await admin('POST', '/api/v1/users', { email: 'Carol@Example.com', groups: ['ops'] });
    expect(r.status).toBe(201);
    expect(r.json.user).toMatchObject({ email: 'carol@example.com', role: 'user', groups: ['ops'], totpEnabled: false, mustChangePassword: true });
    expect(r.json.oneTimePassword).toMatch(/^\S{12,}$/);
    const first = await apiLogin(s.url, 'carol@example.com', r.json.oneTimePassword);
    expect(first.mustChangePassword).toBe(true);
    expect((await api(s, first.token)('GET', '/api/v1/targets')).json.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const list = await admin('GET', '/api/v1/users');
    expect(list.json.map((u: any) => u.email)).toEqual(['admin@localhost', 'carol@example.com']);
    expect((await admin('POST', '/api/v1/users', { email: 'carol@example.com' })).status).toBe(409);
    const bad = await admin('POST', '/api/v1/users', { email: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/email/);
  });

  it('manages groups and members, with 404s for unknown ones', async () => {
    expect((await admin('POST', '/api/v1/groups', { name: 'dev' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/groups', { name: 'dev' })).status).toBe(409);
    expect((await admin('PUT', '/api/v1/groups/dev/members/carol%40example.com')).status).toBe(204);
    const groups = await admin('GET', '/api/v1/groups');
    expect(groups.json.find((g: any) => g.name === 'dev').members).toEqual(['carol@example.com']);
    expect((await admin('PUT', '/api/v1/groups/nope/members/carol%40example.com')).status).toBe(404);
    expect((await admin('PUT', '/api/v1/groups/dev/members/nobody%40example.com')).status).toBe(404);
    expect((await admin('DELETE', '/api/v1/groups/dev/members/carol%40example.com')).status).toBe(204);
    expect((await admin('DELETE', '/api/v1/groups/dev/members/carol%40example.com')).status).toBe(404);
    expect((await admin('DELETE', '/api/v1/groups/dev')).status).toBe(204);
    expect((await admin('GET', '/api/v1/groups')).json.map((g: any) => g.name)).not.toContain('dev');
  });

  it('changes roles but never leaves the service without an admin; nobody deletes themselves', async () => {
    const demote = await admin('PATCH', '/api/v1/users/admin%40localhost', { role: 'user' });
    expect(demote.status).toBe(409);
    expect(demote.json.error.message).toMatch(/last admin/);
    expect((await admin('DELETE', '/api/v1/users/admin%40localhost')).status).toBe(409);
    const up = await admin('PATCH', '/api/v1/users/carol%40example.com', { role: 'admin' });
    expect(up.json).toMatchObject({ role: 'admin', groups: ['admins', 'ops'] });
    const down = await admin('PATCH', '/api/v1/users/carol%40example.com', { role: 'user' });
    expect(down.json).toMatchObject({ role: 'user', groups: ['ops'] });
    expect((await admin('PATCH', '/api/v1/users/carol%40example.com', { role: 'root' })).status).toBe(400);
  });

  it('deleting a user closes their shell, removes them from policies and keeps their log rows', async () => {
    const dave = await userWith('dave@example.com');
    const put = await admin('PUT', '/api/v1/policies/dave-shell', {
      name: 'dave-shell', kind: 'target_access', subjects: { users: ['dave@example.com', 'carol@example.com'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER],
    });
    expect(put.status).toBe(201);
    const { id, t } = await openShell(dave.token, TUSER);
    expect((await admin('DELETE', '/api/v1/users/dave%40example.com')).status).toBe(204);
    const closed = await t.closed;
    expect(closed.reason).toMatch(/user deleted/);
    expect((await admin('GET', '/api/v1/policies/dave-shell')).json.subjects).toEqual({ users: ['carol@example.com'] });
    const conn = await admin('GET', `/api/v1/connections/${id}`);
    expect(conn.json).toMatchObject({ userEmail: 'dave@example.com', state: 'closed', closeReason: 'user deleted' });
    expect((await dave.call('GET', '/api/v1/targets')).status).toBe(401);
    const ev = await admin('GET', '/api/v1/logs/events?type=user.delete');
    expect(ev.json[0]).toMatchObject({ actor: 'admin@localhost', object: 'dave@example.com', details: { connectionsClosed: 1, policiesUpdated: ['dave-shell'] } });
  });
});

describe('TOTP', () => {
  it('enrols with a verified code, then requires a fresh code at login; an admin can reset it', async () => {
    const erin = await userWith('erin@example.com');
    const enrol = await erin.call('POST', '/api/v1/auth/totp/enrol', {});
    expect(enrol.status).toBe(200);
    const secret: string = enrol.json.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrol.json.otpauthUrl).toContain(`secret=${secret}`);
    // Not on until proven: login still needs no code.
    expect((await login('erin@example.com', PASSWORD)).status).toBe(200);
    const wrong = await erin.call('POST', '/api/v1/auth/totp/verify', { code: totpCode(secret, 5) });
    expect(wrong.status).toBe(400);
    expect((await erin.call('POST', '/api/v1/auth/totp/verify', { code: totpCode(secret) })).status).toBe(204);
    expect((await erin.call('GET', '/api/v1/auth/me')).json.totpEnabled).toBe(true);
    expect((await erin.call('POST', '/api/v1/auth/totp/enrol', {})).status).toBe(409);

    const none = await login('erin@example.com', PASSWORD);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('MFA_REQUIRED');
    expect((await login('erin@example.com', PASSWORD, totpCode(secret, 10))).status).toBe(401);
    // The code used to verify is spent; the next step's code works once, then is a replay.
    const next = totpCode(secret, 1);
    expect((await login('erin@example.com', PASSWORD, next)).status).toBe(200);
    const replay = await login('erin@example.com', PASSWORD, next);
    expect(replay.status).toBe(401);
    expect(replay.json.error.message).toMatch(/already used/);
    expect((await login('erin@example.com', 'wrong password here', next)).status).toBe(401);

    expect((await admin('POST', '/api/v1/users/erin%40example.com/reset-mfa', {})).status).toBe(204);
    expect((await login('erin@example.com', PASSWORD)).status).toBe(200);
    const types = (await admin('GET', '/api/v1/logs/events?type=auth.*&user=erin%40example.com')).json.map((e: any) => `${e.type}:${e.outcome}`);
    expect(types).toContain('auth.totp:success');
    expect(types).toContain('auth.login:failure');
  });
});

describe('sessions', () => {
  it('an expired session stops working; logout revokes the token at once', async () => {
    const frank = await userWith('frank@example.com');
    expect((await frank.call('GET', '/api/v1/auth/me')).status).toBe(200);
    await s.services.store.db.run("UPDATE auth_sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = (SELECT id FROM users WHERE email = 'frank@example.com')");
    expect((await frank.call('GET', '/api/v1/auth/me')).status).toBe(401);
    const again = await userWith('frank2@example.com');
    expect((await again.call('POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await again.call('GET', '/api/v1/auth/me')).status).toBe(401);
  });
});

describe('API keys as subjects', () => {
  it('a key acts with what policies give it and nothing else; deleting it stops it at once', async () => {
    const k = await admin('POST', '/api/v1/keys', { name: 'deploy-bot' });
    expect(k.status).toBe(201);
    const header = { 'x-api-key': `${k.json.id}:${k.json.secret}` };
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${s.url}${path}`, { method, headers: { ...header, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect(await (await call('GET', '/api/v1/targets')).json()).toEqual([]);
    expect((await call('GET', '/api/v1/users')).status).toBe(403);
    expect((await call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER })).status).toBe(404);
    await admin('PUT', '/api/v1/policies/bot', { name: 'bot', kind: 'target_access', subjects: { apiKeys: [k.json.id] }, targets: ['local'], actions: ['shell'], targetUsers: ['{username}', TUSER] });
    const targets = await (await call('GET', '/api/v1/targets')).json();
    expect(targets[0]).toMatchObject({ name: 'local', targetUsers: ['deploy-bot', TUSER].sort(), actions: ['shell'] });
    const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER, command: 'id -un' });
    expect(c.status).toBe(201);
    const conn = (await c.json()) as any;
    expect(conn.userEmail).toBe(`apikey:${k.json.id}`);
    const t = await openTerminal(`${s.wsUrl}${conn.wsPath}`, header);
    await t.waitFor(TUSER);
    await t.closed;
    expect((await admin('DELETE', `/api/v1/keys/${k.json.id}`)).status).toBe(204);
    expect((await call('GET', '/api/v1/targets')).status).toBe(401);
  });
});

describe('policies', () => {
  it('applies a batch all or nothing, naming the bad field by index', async () => {
    const good = { name: 'ops-a', kind: 'target_access', subjects: { groups: ['ops'] }, environments: ['default'], actions: ['shell'], targetUsers: ['{username}'] };
    const bad = await admin('POST', '/api/v1/policies/apply', [good, { ...good, name: 'ops-b', actions: ['shell', 'sudo'] }]);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^\[1\]\.actions\[1\]/);
    expect((await admin('GET', '/api/v1/policies/ops-a')).status).toBe(404);
    for (const [doc, field] of [
      [{ ...good, colour: 'red' }, /^\[0\]\.colour: unknown field/],
      [{ ...good, kind: 'firewall' }, /^\[0\]\.kind/],
      [{ ...good, name: 'no spaces' }, /^\[0\]\.name/],
      [{ ...good, targetUsers: ['root;rm'] }, /^\[0\]\.targetUsers\[0\]/],
      [{ ...good, subjects: {} }, /^\[0\]\.subjects/],
    ] as const) {
      const r = await admin('POST', '/api/v1/policies/apply', [doc]);
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(field);
    }
    const rec = { name: 'rec-ops', kind: 'session_recording', subjects: { groups: ['ops'] }, recordInput: true };
    const proxy = { name: 'pg', kind: 'proxy', subjects: { groups: ['dba'] }, targets: ['pg-main'], targetUsers: ['postgres'] };
    const ok = await admin('POST', '/api/v1/policies/apply', [good, rec, proxy]);
    expect(ok.status).toBe(200);
    expect(ok.json.applied).toEqual([{ name: 'ops-a', created: true }, { name: 'rec-ops', created: true }, { name: 'pg', created: true }]);
    expect(ok.json.warnings).toEqual(expect.arrayContaining(['pg: no group dba (yet)', 'pg: no target pg-main (yet)']));
    const again = await admin('POST', '/api/v1/policies/apply', good);
    expect(again.json.applied).toEqual([{ name: 'ops-a', created: false }]);
    expect((await admin('GET', '/api/v1/policies/rec-ops')).json).toEqual(rec);
    expect((await admin('DELETE', '/api/v1/policies/pg')).status).toBe(204);
    expect((await admin('DELETE', '/api/v1/policies/pg')).status).toBe(404);
  });

  it('a recording policy makes new shells record input; others record output only', async () => {
    const gina = await userWith('gina@example.com', ['ops']);
    const hank = await userWith('hank@example.com');
    await admin('PUT', '/api/v1/policies/nobody-shell', {
      name: 'nobody-shell', kind: 'target_access', subjects: { users: ['gina@example.com', 'hank@example.com'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER],
    });
    for (const [who, input] of [[gina, true], [hank, false]] as const) {
      const { id, t } = await openShell(who.token, TUSER);
      t.send('exit\r');
      await t.closed;
      expect((await admin('GET', `/api/v1/recordings/${id}`)).json.recordsInput).toBe(input);
    }
  });
});

describe('targets and environments', () => {
  it('moving a target to another environment closes shells only that environment allowed', async () => {
    expect((await admin('POST', '/api/v1/environments', { name: 'staging', offlineRemoval: '7d' })).json).toMatchObject({ name: 'staging', offlineRemovalSeconds: 604800 });
    expect((await admin('POST', '/api/v1/environments', { name: 'staging' })).status).toBe(409);
    const ivan = await userWith('ivan@example.com');
    await admin('PUT', '/api/v1/policies/ivan-default', {
      name: 'ivan-default', kind: 'target_access', subjects: { users: ['ivan@example.com'] }, environments: ['default'], actions: ['shell'], targetUsers: [TUSER],
    });
    const { id, t } = await openShell(ivan.token, TUSER);
    const moved = await admin('PATCH', '/api/v1/targets/local', { environment: 'staging' });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ name: 'local', environment: 'staging' });
    const closed = await t.closed;
    expect(closed.reason).toMatch(/access revoked: target local moved to staging/);
    expect((await admin('GET', `/api/v1/connections/${id}`)).json.closeReason).toMatch(/access revoked/);
    const busy = await admin('DELETE', '/api/v1/environments/staging');
    expect(busy.status).toBe(409);
    expect((await admin('PATCH', '/api/v1/targets/local', { name: 'bastion' })).status).toBe(400);
    expect((await admin('PATCH', '/api/v1/targets/nope', { environment: 'x' })).status).toBe(404);
    expect((await admin('PATCH', '/api/v1/targets/local', { environment: 'default' })).status).toBe(200);
    expect((await admin('DELETE', '/api/v1/environments/staging')).status).toBe(204);
  });
});

describe('event log', () => {
  it('filters by type, outcome, text and time; users see only their own events', async () => {
    const all = await admin('GET', '/api/v1/logs/events?limit=5000');
    expect(all.status).toBe(200);
    expect(all.json.length).toBeGreaterThan(20);
    expect(all.json[0].id).toBeGreaterThan(all.json[1].id);
    const puts = await admin('GET', '/api/v1/logs/events?type=policy.put');
    expect(puts.json.length).toBeGreaterThan(0);
    expect(puts.json.every((e: any) => e.type === 'policy.put' && e.requestId && e.source === '127.0.0.1')).toBe(true);
    const denied = await admin('GET', '/api/v1/logs/events?outcome=denied');
    expect(denied.json.every((e: any) => e.outcome === 'denied')).toBe(true);
    const grep = await admin('GET', '/api/v1/logs/events?grep=ivan-default');
    expect(grep.json.length).toBeGreaterThan(0);
    expect((await admin('GET', '/api/v1/logs/events?since=2099-01-01T00:00:00Z')).json).toEqual([]);
    expect((await admin('GET', '/api/v1/logs/events?since=yesterday-ish')).status).toBe(400);
    expect((await admin('GET', '/api/v1/logs/events?type=DROP TABLE')).status).toBe(400);
    const jo = await userWith('jo@example.com');
    const own = await jo.call('GET', '/api/v1/logs/events?user=admin%40localhost');
    expect(own.json.length).toBeGreaterThan(0);
    expect(own.json.every((e: any) => e.actor === 'jo@example.com')).toBe(true);
  });

  it('a refused or invalid state change still leaves exactly one event row', async () => {
    const r = await fetch(`${s.url}/api/v1/policies/apply`, { method: 'POST', headers: { authorization: `Bearer ${adminBearer}`, 'content-type': 'application/json' }, body: '[{"name":' });
    expect(r.status).toBe(400);
    const id = r.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const rows = (await admin('GET', `/api/v1/logs/events?requestId=${id}`)).json;
    expect(rows).toEqual([expect.objectContaining({ type: 'api.call', outcome: 'failure', details: { method: 'POST', route: '/api/v1/policies/apply', status: 400 } })]);
    const anon = await fetch(`${s.url}/api/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
    const anonRows = (await admin('GET', `/api/v1/logs/events?requestId=${anon.headers.get('x-request-id')}`)).json;
    expect(anonRows).toEqual([expect.objectContaining({ type: 'api.call', outcome: 'denied', actor: null })]);
    expect(s.stateChangingCalls()).toBeGreaterThan(40);
  });
});

/** Actions that take no body at all (clients send none). */
const NO_BODY = new Set(['post /api/v1/auth/logout', 'post /api/v1/auth/totp/enrol', 'post /api/v1/users/{email}/reset-mfa', 'put /api/v1/groups/{name}/members/{email}', 'post /api/v1/requests/{id}/approve']);

describe('OpenAPI', () => {
  it('documents every route with its schemas', async () => {
    const r = await fetch(`${s.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as any;
    expect(doc.openapi).toBe('3.0.3');
    const ops = Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) => Object.entries(methods).map(([m, op]: [string, any]) => ({ path, m, op })));
    const routes = s.app.printRoutes({ commonPrefix: false });
    for (const want of ['/api/v1/users/{email}', '/api/v1/groups/{name}/members/{email}', '/api/v1/policies/apply', '/api/v1/logs/events', '/api/v1/auth/totp/verify']) expect(doc.paths[want]).toBeDefined();
    expect(ops.length).toBeGreaterThan(35);
    expect(routes).toContain('openapi.json');
    for (const { path, m, op } of ops) {
      const placeholders = [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
      expect(op.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name).sort(), `${m} ${path}`).toEqual(placeholders.sort());
      if (['post', 'put', 'patch'].includes(m) && !NO_BODY.has(`${m} ${path}`)) expect(op.requestBody, `${m} ${path} has a body schema`).toBeDefined();
    }
  });
});

describe('login rate limiting', () => {
  it('locks an account out with growing waits after repeated failures, even for the right password', async () => {
    await userWith('kim@example.com');
    for (let i = 0; i < 5; i++) expect((await login('kim@example.com', 'wrong password ' + i)).status).toBe(401);
    const sixth = await login('kim@example.com', 'wrong password 6');
    expect(sixth.status).toBe(401);
    const locked = await login('kim@example.com', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const ev = (await admin('GET', '/api/v1/logs/events?type=auth.login&outcome=denied')).json;
    expect(ev[0]).toMatchObject({ actor: 'kim@example.com', details: { reason: 'rate limited' } });
    await new Promise((r) => setTimeout(r, 1100 * Number(locked.headers.get('retry-after'))));
    expect((await login('kim@example.com', PASSWORD)).status).toBe(200);
  });
});
