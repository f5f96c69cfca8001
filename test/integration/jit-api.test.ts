/**
 * Just-in-time access through the API (the web UI and `gate` use the same calls): request,
 * approve, use, expiry; deny; auto-approval; the refusals (no policy, access already held,
 * a live grant or pending request for the same access, the requester approving their own
 * request, a non-approver); and that a decision happens once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal } from '../helpers/ws-terminal';

const TUSER = 'ghjittest';
const PASSWORD = 'a long enough password 1';
let s: TestServer;
let admin: ReturnType<typeof api>;

async function user(email: string, groups: string[] = []) {
  expect((await admin('POST', '/api/v1/users', { email, password: PASSWORD, groups })).status).toBe(201);
  const l = await apiLogin(s.url, email, PASSWORD);
  return { call: api(s, l.token), token: l.token };
}

beforeAll(async () => {
  execFileSync('sh', ['-c', `id ${TUSER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${TUSER}`]);
  s = await startInProcess();
  admin = api(s, await adminToken(s));
  const r = await admin('POST', '/api/v1/policies/apply', [
    { name: 'jit-dev', kind: 'just_in_time', subjects: { groups: ['dev'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER], approval: 'manual', duration: '1h', approvers: { groups: ['sre'] } },
    { name: 'jit-dev-quick', kind: 'just_in_time', subjects: { groups: ['dev'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER], approval: 'auto', duration: '10m' },
    { name: 'jit-auto', kind: 'just_in_time', subjects: { groups: ['auto'] }, environments: ['default'], actions: ['shell'], targetUsers: [TUSER], approval: 'auto', duration: '5s' },
  ]);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
});
afterAll(async () => {
  await s?.stop();
  execFileSync('sh', ['-c', `userdel -r ${TUSER} 2>/dev/null || true`]);
});

describe('just-in-time requests', () => {
  it('a manual request is approved by an approver, grants exactly that, and cannot be decided twice', async () => {
    const dev = await user('dev1@example.com', ['dev']);
    const sre = await user('sre1@example.com', ['sre']);
    const other = await user('other1@example.com');

    const requestable = (await dev.call('GET', '/api/v1/requestable')).json;
    // manual beats auto: jit-dev governs although jit-dev-quick would auto-approve.
    expect(requestable).toEqual([{ target: 'local', environment: 'default', options: [{ action: 'shell', targetUsers: [TUSER], approval: 'manual', maxDurationSeconds: 3600, policy: 'jit-dev' }] }]);
    const denied = await dev.call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER });
    expect(denied.status).toBe(403);
    expect(denied.json.error.message).toMatch(/you may request it: gate request local --user ghjittest --action shell/);

    expect((await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: '   ' })).status).toBe(400);
    expect((await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'x', duration: '2h' })).json.error.message).toMatch(/at most 1h/);
    expect((await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: 'root', action: 'shell', reason: 'x' })).status).toBe(403);
    const r = await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'INC-42 disk full', duration: '30m' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ state: 'pending', approval: 'manual', policy: 'jit-dev', durationSeconds: 1800, requester: 'dev1@example.com', canDecide: false });
    const again = await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/still pending/);

    expect((await dev.call('POST', `/api/v1/requests/${r.json.id}/approve`)).json.error.message).toMatch(/your own request/);
    expect((await other.call('POST', `/api/v1/requests/${r.json.id}/approve`)).status).toBe(404);
    expect((await other.call('GET', `/api/v1/requests/${r.json.id}`)).status).toBe(404);
    expect((await sre.call('GET', '/api/v1/requests')).json.map((x: any) => [x.id, x.canDecide])).toEqual([[r.json.id, true]]);

    const ok = await sre.call('POST', `/api/v1/requests/${r.json.id}/approve`);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ state: 'approved', decidedBy: 'sre1@example.com', grantPolicy: expect.stringMatching(/^JIT-[a-z0-9]{8}$/) });
    expect(Date.parse(ok.json.expiresAt) - Date.now()).toBeGreaterThan(1790_000);
    const twice = await sre.call('POST', `/api/v1/requests/${r.json.id}/deny`, { reason: 'changed my mind' });
    expect(twice.status).toBe(409);
    expect((await admin('GET', `/api/v1/requests/${r.json.id}`)).json.state).toBe('approved');

    const grant = (await admin('GET', `/api/v1/policies/${ok.json.grantPolicy}`)).json;
    expect(grant).toMatchObject({ kind: 'target_access', subjects: { users: ['dev1@example.com'] }, targets: ['local'], actions: ['shell'], targetUsers: [TUSER], request: r.json.id });
    const live = await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'more' });
    expect(live.status).toBe(409);
    expect(live.json.error.message).toMatch(/already have shell|live until/);

    const c = await dev.call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER, command: 'id -un' });
    expect(c.status).toBe(201);
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${dev.token}` });
    await t.waitFor(TUSER);
    await t.closed;
    const types = (await admin('GET', `/api/v1/logs/events?grep=${r.json.id}`)).json.map((e: any) => `${e.type}:${e.outcome}`);
    expect(types).toEqual(expect.arrayContaining(['jit.request:success', 'jit.decision:success', 'jit.decision:denied']));
  });

  it('a deny says why and grants nothing', async () => {
    const dev = await user('dev2@example.com', ['dev']);
    const sre = await user('sre2@example.com', ['sre']);
    const r = await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'curious' });
    const d = await sre.call('POST', `/api/v1/requests/${r.json.id}/deny`, { reason: 'not today' });
    expect(d.json).toMatchObject({ state: 'denied', decidedBy: 'sre2@example.com', decisionReason: 'not today', grantPolicy: null });
    expect((await dev.call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER })).status).toBe(403);
    // A denied request does not block asking again.
    expect((await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'please' })).status).toBe(201);
  });

  it('an auto request is granted at once; at expiry the live shell closes with "jit expired" and the JIT policy is gone', async () => {
    const auto = await user('auto1@example.com', ['auto']);
    const r = await auto.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'deploy' });
    expect(r.json).toMatchObject({ state: 'approved', approval: 'auto', decidedBy: 'auto' });
    const c = await auto.call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER });
    expect(c.status).toBe(201);
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${auto.token}` });
    t.send('echo jit-$((6*7))\r');
    await t.waitFor('jit-42');
    const closed = await t.closed;
    expect(closed.reason).toBe('jit expired');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(r.json.expiresAt) - 50);
    expect((await admin('GET', `/api/v1/connections/${c.json.id}`)).json.closeReason).toBe('jit expired');
    const end = Date.now() + 5000;
    while ((await admin('GET', `/api/v1/policies/${r.json.grantPolicy}`)).status !== 404 && Date.now() < end) await new Promise((x) => setTimeout(x, 100));
    expect((await admin('GET', `/api/v1/policies/${r.json.grantPolicy}`)).status).toBe(404);
    expect((await auto.call('POST', '/api/v1/connections', { target: 'local', targetUser: TUSER })).status).toBe(403);
    const expired = (await admin('GET', `/api/v1/logs/events?type=jit.expire&grep=${r.json.id}`)).json;
    expect(expired[0]).toMatchObject({ details: { what: 'grant', grantPolicy: r.json.grantPolicy } });
  });

  it('a pending request nobody answers lapses, and can then be asked again', async () => {
    const dev = await user('dev3@example.com', ['dev']);
    const r = await dev.call('POST', '/api/v1/requests', { target: 'local', targetUser: TUSER, action: 'shell', reason: 'waiting' });
    expect(Date.parse(r.json.expiresAt) - Date.now()).toBeGreaterThan(3500_000); // an hour to answer
    await s.services.store.db.run("UPDATE access_requests SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", [r.json.id]);
    await s.services.jit.sweep();
    expect((await admin('GET', `/api/v1/requests/${r.json.id}`)).json).toMatchObject({ state: 'expired', decisionReason: 'nobody answered in time' });
    expect((await admin('GET', `/api/v1/logs/events?type=jit.expire&grep=${r.json.id}`)).json[0].details).toMatchObject({ what: 'request' });
    expect((await dev.call('POST', `/api/v1/requests`, { target: 'local', targetUser: TUSER, action: 'shell', reason: 'again' })).status).toBe(201);
  });

  it('nobody requests access they already have, and API keys cannot request', async () => {
    const r = await admin('POST', '/api/v1/requests', { target: 'local', targetUser: 'root', action: 'shell', reason: 'x' });
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/already have/);
  });
});
