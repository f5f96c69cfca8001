/**
 * Access control end to end (SPEC §3 Policies, §7 Security) through the real service, its REST
 * API and the embedded local agent on the `local` target:
 * - a representative slice of the decision table (user, group, API key, environment policies,
 *   `{username}`, several target users), each proven by a real shell printing `id -un`;
 * - bypass attempts: target users and actions no policy gives, other users' connections and
 *   recordings, admin routes, revoked sessions and deleted keys, and live shells that must close
 *   within 2 s of losing their policy, with a close reason that says why;
 * - every state-changing API call leaves exactly one event row carrying its `x-request-id`.
 *
 * Needs root (useradd, and the agent switching to the target users), as the appliance does.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startInProcess, type TestServer } from '../helpers/in-process-server';
import { openTerminal, type WsTerminal } from '../helpers/ws-terminal';

const isRoot = process.getuid?.() === 0;
const PASSWORD = 'access bypass test password';
const TAG = randomBytes(3).toString('hex');
/** Unix accounts made for this run: UA is alice's email local part (for `{username}`), UB a shared one. */
const UA = `ghab${TAG}`;
const UB = `ghapp${TAG}`;
const GROUP = `ab-grp-${TAG}`;
const ALICE = `${UA}@example.com`;
const BOB = `bob.${TAG}@example.com`;
const CAROL = `carol.${TAG}@example.com`;
const DAVE = `dave.${TAG}@example.com`;
const ERIN = `erin.${TAG}@example.com`;

let s: TestServer;

// ---------------------------------------------------------------------------------------------
// An API client that keeps the x-request-id of every reply, and of every state-changing call.
// ---------------------------------------------------------------------------------------------
interface Sent {
  method: string;
  path: string;
  status: number;
  requestId: string | null;
}
const stateChanging: Sent[] = [];
const allReplies: Sent[] = [];

type Auth = Record<string, string>;
interface Reply {
  status: number;
  json: any;
  requestId: string | null;
  at: number;
}

function client(auth: Auth) {
  return async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const r = await fetch(`${s.url}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    const at = Date.now();
    const sent: Sent = { method, path, status: r.status, requestId: r.headers.get('x-request-id') };
    allReplies.push(sent);
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) stateChanging.push(sent);
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: r.status, json, requestId: sent.requestId, at };
  };
}
const bearer = (token: string): Auth => ({ authorization: `Bearer ${token}` });
const apiKeyAuth = (k: { id: string; secret: string }): Auth => ({ 'x-api-key': `${k.id}:${k.secret}` });

async function login(email: string, password: string): Promise<string> {
  const r = await client({})('POST', '/api/v1/auth/login', { email, password });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.token as string;
}

async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A terminal whose close is timestamped, to measure how fast a revocation lands. */
interface Shell extends WsTerminal {
  closedAt: Promise<{ code: number; reason: string; at: number }>;
}
async function attach(id: string, auth: Auth): Promise<Shell> {
  const t = await openTerminal(`${s.wsUrl}/ws/connections/${id}`, auth);
  const closedAt = t.closed.then((c) => ({ ...c, at: Date.now() }));
  return Object.assign(t, { closedAt });
}

/** Opens a shell through the API and proves, with `id -un`, which Unix user it runs as. */
async function shellAs(auth: Auth, targetUser: string | undefined): Promise<{ id: string; t: Shell; permitUser: string }> {
  const c = await client(auth)('POST', '/api/v1/connections', { target: 'local', ...(targetUser ? { targetUser } : {}) });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const t = await attach(c.json.id, auth);
  t.send('echo "who=$(id -un)="\r');
  await t.waitFor(`who=${c.json.targetUser}=`);
  return { id: c.json.id, t, permitUser: c.json.targetUser };
}

/** Waits for the close and returns how long after `replyAt` it happened (negative: before). */
async function closedWithin(t: Shell, replyAt: number): Promise<{ code: number; reason: string; ms: number }> {
  const c = await Promise.race([t.closedAt, new Promise<never>((_r, rej) => setTimeout(() => rej(new Error('the shell was not closed within 5 s')), 5000))]);
  return { code: c.code, reason: c.reason, ms: c.at - replyAt };
}

/**
 * Asks for a TCP tunnel to `local` and returns how the service refused it and how long the
 * refused socket took to close (a refusal must not leave the client hanging).
 */
async function refusedTunnel(auth: Auth): Promise<{ code: number; reason: string; ms: number }> {
  const start = Date.now();
  const t = await openTerminal(`${s.wsUrl}/ws/tunnels?target=local&port=22`, auth);
  const closed = await t.closed;
  return { ...closed, ms: Date.now() - start };
}
const TUNNEL_REFUSAL_MS = 5000;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// ---------------------------------------------------------------------------------------------
// The world: users, a group, API keys and policies
// ---------------------------------------------------------------------------------------------
let admin: ReturnType<typeof client>;
let adminAuth: Auth;
const tokens: Record<string, string> = {};
let key: { id: string; secret: string };
let key2: { id: string; secret: string };
const as = (email: string) => client(bearer(tokens[email]!));

const policies = () => [
  // user policy, several target users, {username}
  { name: `ab-alice-${TAG}`, kind: 'target_access', subjects: { users: [ALICE] }, targets: ['local'], actions: ['shell'], targetUsers: ['{username}', UB] },
  // group policy, one target user
  { name: `ab-group-${TAG}`, kind: 'target_access', subjects: { groups: [GROUP] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] },
  // environment policy (the local target is in `default`)
  { name: `ab-env-${TAG}`, kind: 'target_access', subjects: { users: [BOB] }, environments: ['default'], actions: ['shell'], targetUsers: ['root'] },
  // API-key policy
  { name: `ab-key-${TAG}`, kind: 'target_access', subjects: { apiKeys: [key.id] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] },
  // a key's name used as a group must not match the key (keys have no groups): it would give root
  { name: `ab-key-as-group-${TAG}`, kind: 'target_access', subjects: { groups: [`ci-${TAG}`] }, targets: ['local'], actions: ['shell', 'tunnel', 'copy'], targetUsers: ['root'] },
  // dave: a proxy policy naming the (non-proxy) local target and a recording policy grant nothing
  { name: `ab-dave-proxy-${TAG}`, kind: 'proxy', subjects: { users: [DAVE] }, targets: ['local'], environments: ['default'], targetUsers: ['root'] },
  { name: `ab-dave-rec-${TAG}`, kind: 'session_recording', subjects: { users: [DAVE] }, recordInput: true },
  // the second key, whose deletion is tested
  { name: `ab-key2-${TAG}`, kind: 'target_access', subjects: { apiKeys: [key2.id] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] },
  // erin: deleted while her shell runs
  { name: `ab-erin-${TAG}`, kind: 'target_access', subjects: { users: [ERIN] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] },
];

beforeAll(async () => {
  if (!isRoot) return;
  sh('/usr/sbin/useradd', ['-m', '-s', '/bin/bash', UA]);
  sh('/usr/sbin/useradd', ['-m', '-s', '/bin/bash', UB]);
  s = await startInProcess();
  // Retire the bootstrap password (through the recording client: these are state changes too).
  const first = await login('admin@localhost', s.adminPassword);
  const pw = await client(bearer(first))('POST', '/api/v1/auth/password', { currentPassword: s.adminPassword, newPassword: PASSWORD });
  expect(pw.status).toBe(204);
  s.adminPassword = PASSWORD;
  adminAuth = bearer(first);
  admin = client(adminAuth);

  for (const email of [ALICE, BOB, CAROL, DAVE, ERIN]) {
    const r = await admin('POST', '/api/v1/users', { email, role: 'user', password: PASSWORD });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    tokens[email] = await login(email, PASSWORD);
  }
  expect((await admin('POST', '/api/v1/groups', { name: GROUP })).status).toBe(201);
  expect((await admin('PUT', `/api/v1/groups/${GROUP}/members/${encodeURIComponent(CAROL)}`)).status).toBe(204);
  const k = await admin('POST', '/api/v1/keys', { name: `ci-${TAG}` });
  expect(k.status).toBe(201);
  key = { id: k.json.id, secret: k.json.secret };
  const k2 = await admin('POST', '/api/v1/keys', { name: `doomed-${TAG}` });
  expect(k2.status).toBe(201);
  key2 = { id: k2.json.id, secret: k2.json.secret };
  const applied = await admin('POST', '/api/v1/policies/apply', policies());
  expect(applied.status, JSON.stringify(applied.json)).toBe(200);
});

afterAll(async () => {
  await s?.stop();
  if (!isRoot) return;
  for (const u of [UA, UB]) {
    try {
      sh('/usr/sbin/userdel', ['-r', '-f', u]);
    } catch {
      /* not created */
    }
  }
});

// ---------------------------------------------------------------------------------------------
describe.skipIf(!isRoot)('decision table, end to end', () => {
  it('user policy with several target users: refused without a choice, the message lists them', async () => {
    const r = await as(ALICE)('POST', '/api/v1/connections', { target: 'local' });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toContain(`choose a target user: ${[UA, UB].sort().join(', ')}`);
  });

  it('user policy, {username}: the shell runs as the user named by the email', async () => {
    const { t, permitUser } = await shellAs(bearer(tokens[ALICE]!), UA);
    expect(permitUser).toBe(UA);
    t.send('exit\r');
    expect((await t.closed).code).toBe(4410);
  });

  it('user policy, the other granted target user', async () => {
    const { t, permitUser } = await shellAs(bearer(tokens[ALICE]!), UB);
    expect(permitUser).toBe(UB);
    t.send('exit\r');
    await t.closed;
  });

  it('group policy with one target user: chosen without asking', async () => {
    const { t, permitUser } = await shellAs(bearer(tokens[CAROL]!), undefined);
    expect(permitUser).toBe(UB);
    t.send('exit\r');
    await t.closed;
  });

  it('environment policy', async () => {
    const { t, permitUser } = await shellAs(bearer(tokens[BOB]!), undefined);
    expect(permitUser).toBe('root');
    t.send('exit\r');
    await t.closed;
  });

  it('API-key policy through X-API-KEY, and the key attaches over the websocket', async () => {
    const { t, permitUser } = await shellAs(apiKeyAuth(key), undefined);
    expect(permitUser).toBe(UB);
    t.send('exit\r');
    await t.closed;
  });

  it('/api/v1/targets shows each caller exactly its target users and actions', async () => {
    const local = async (auth: Auth) => ((await client(auth)('GET', '/api/v1/targets')).json as any[]).find((x) => x.name === 'local');
    expect(await local(bearer(tokens[ALICE]!))).toMatchObject({ targetUsers: [UA, UB].sort(), actions: ['shell'] });
    expect(await local(bearer(tokens[CAROL]!))).toMatchObject({ targetUsers: [UB], actions: ['shell'] });
    expect(await local(bearer(tokens[BOB]!))).toMatchObject({ targetUsers: ['root'], actions: ['shell'] });
    expect(await local(apiKeyAuth(key))).toMatchObject({ targetUsers: [UB], actions: ['shell'] });
    // dave has only a proxy policy on a non-proxy target and a recording policy: nothing visible
    expect((await as(DAVE)('GET', '/api/v1/targets')).json).toEqual([]);
  });

  it('a user with no granting policy: the target is invisible (404), for shells and tunnels', async () => {
    const r = await as(DAVE)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root' });
    expect(r.status).toBe(404);
    const t = await refusedTunnel(bearer(tokens[DAVE]!));
    expect(t.code).toBe(4404);
    expect(t.ms).toBeLessThan(TUNNEL_REFUSAL_MS);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------
describe.skipIf(!isRoot)('bypass attempts', () => {
  it('a target user no policy gives → 403, for users and keys alike', async () => {
    for (const [auth, tu] of [
      [bearer(tokens[ALICE]!), 'root'],
      [bearer(tokens[ALICE]!), UA.toUpperCase()],
      [bearer(tokens[ALICE]!), '{username}'],
      [bearer(tokens[CAROL]!), UA],
      [bearer(tokens[BOB]!), UB],
      // the key's name is a group giving root, which must not count
      [apiKeyAuth(key), 'root'],
    ] as [Auth, string][]) {
      const r = await client(auth)('POST', '/api/v1/connections', { target: 'local', targetUser: tu });
      expect(r.status, `${tu}: ${JSON.stringify(r.json)}`).toBe(403);
      expect(r.json.error.message).toContain(`no policy allows ${tu} on local`);
    }
  });

  it('an action not granted: no tunnel (websocket refused with 4403), for users and keys', async () => {
    const refusals = await Promise.all([bearer(tokens[ALICE]!), bearer(tokens[CAROL]!), apiKeyAuth(key)].map(refusedTunnel));
    for (const closed of refusals) {
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(/no policy allows tunnel on local/);
    }
    for (const closed of refusals) expect(closed.ms).toBeLessThan(TUNNEL_REFUSAL_MS);
    // The admin's default policy grants tunnel: the same request gets through the decision.
    const targets = (await admin('GET', '/api/v1/targets')).json as any[];
    expect(targets.find((x) => x.name === 'local').actions).toContain('tunnel');
  }, 90_000);

  it('another user\'s connection is invisible: GET, DELETE → 404, websocket attach → 4404; admins see it', async () => {
    const { id, t } = await shellAs(bearer(tokens[CAROL]!), UB);
    for (const auth of [bearer(tokens[ALICE]!), bearer(tokens[DAVE]!), apiKeyAuth(key)]) {
      expect((await client(auth)('GET', `/api/v1/connections/${id}`)).status).toBe(404);
      expect((await client(auth)('DELETE', `/api/v1/connections/${id}`)).status).toBe(404);
      const list = (await client(auth)('GET', '/api/v1/connections?all=1')).json as any[];
      expect(list.map((c) => c.id)).not.toContain(id);
      const intruder = await openTerminal(`${s.wsUrl}/ws/connections/${id}`, auth);
      expect((await intruder.closed).code).toBe(4404);
    }
    // The owner's terminal was not replaced nor disturbed by the attempts.
    t.send('echo still-mine-$((3*3))\r');
    await t.waitFor('still-mine-9');
    const seen = await admin('GET', `/api/v1/connections/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.json.userEmail).toBe(CAROL);

    // Recordings: the owner and admins only.
    await until(async () => (await admin('GET', `/api/v1/recordings/${id}`)).status === 200);
    for (const auth of [bearer(tokens[ALICE]!), bearer(tokens[DAVE]!), apiKeyAuth(key)]) {
      expect((await client(auth)('GET', `/api/v1/recordings/${id}`)).status).toBe(404);
      expect((await client(auth)('GET', `/api/v1/recordings/${id}/cast`)).status).toBe(404);
      const list = (await client(auth)('GET', '/api/v1/recordings')).json as any[];
      expect(JSON.stringify(list)).not.toContain(id);
      expect((await client(auth)('DELETE', `/api/v1/recordings/${id}`)).status).toBeGreaterThanOrEqual(400);
    }
    expect((await as(CAROL)('GET', `/api/v1/recordings/${id}`)).status).toBe(200);
    expect((await admin('GET', `/api/v1/recordings/${id}/cast`)).status).toBe(200);
    t.send('exit\r');
    await t.closed;
  });

  it('admin routes answer 403 to users and API keys, and change nothing', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/v1/users'],
      ['GET', `/api/v1/users/${encodeURIComponent(ALICE)}`],
      ['POST', '/api/v1/users', { email: `mallory.${TAG}@example.com`, role: 'admin', password: PASSWORD }],
      ['PATCH', `/api/v1/users/${encodeURIComponent(ALICE)}`, { role: 'admin' }],
      ['DELETE', `/api/v1/users/${encodeURIComponent(BOB)}`],
      ['POST', `/api/v1/users/${encodeURIComponent(BOB)}/reset-mfa`, {}],
      ['GET', '/api/v1/groups'],
      ['POST', '/api/v1/groups', { name: `evil-${TAG}` }],
      ['PUT', `/api/v1/groups/${GROUP}/members/${encodeURIComponent(ALICE)}`],
      ['DELETE', `/api/v1/groups/${GROUP}/members/${encodeURIComponent(CAROL)}`],
      ['GET', '/api/v1/keys'],
      ['POST', '/api/v1/keys', { name: `evil-${TAG}` }],
      ['DELETE', `/api/v1/keys/${key.id}`],
      ['GET', '/api/v1/policies'],
      ['GET', `/api/v1/policies/ab-alice-${TAG}`],
      ['PUT', `/api/v1/policies/evil-${TAG}`, { name: `evil-${TAG}`, kind: 'target_access', subjects: { users: [ALICE] }, targets: ['local'], actions: ['shell', 'tunnel', 'copy'], targetUsers: ['root'] }],
      ['POST', '/api/v1/policies/apply', [{ name: `evil-${TAG}`, kind: 'target_access', subjects: { users: [ALICE] }, targets: ['local'], actions: ['shell'], targetUsers: ['root'] }]],
      ['DELETE', `/api/v1/policies/ab-group-${TAG}`],
      ['GET', '/api/v1/environments'],
      ['POST', '/api/v1/environments', { name: `evil-${TAG}` }],
      ['PATCH', '/api/v1/targets/local', { environment: `evil-${TAG}` }],
      ['DELETE', '/api/v1/targets/local'],
    ];
    for (const auth of [bearer(tokens[ALICE]!), apiKeyAuth(key)]) {
      for (const [method, path, body] of calls) {
        const r = await client(auth)(method, path, body);
        expect(r.status, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`).toBe(403);
      }
    }
    // Nothing changed.
    expect((await admin('GET', `/api/v1/users/${encodeURIComponent(ALICE)}`)).json.role).toBe('user');
    expect((await admin('GET', `/api/v1/users/${encodeURIComponent(`mallory.${TAG}@example.com`)}`)).status).toBe(404);
    expect((await admin('GET', `/api/v1/policies/evil-${TAG}`)).status).toBe(404);
    expect((await admin('GET', `/api/v1/policies/ab-group-${TAG}`)).status).toBe(200);
    const groups = (await admin('GET', '/api/v1/groups')).json as any[];
    expect(groups.find((g) => g.name === GROUP).members).toEqual([CAROL]);
    expect(groups.map((g) => g.name)).not.toContain(`evil-${TAG}`);
    expect((await as(ALICE)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root' })).status).toBe(403);
  });

  it('a user reads only their own events', async () => {
    const r = await as(ALICE)('GET', '/api/v1/logs/events?limit=1000');
    expect(r.status).toBe(200);
    expect(r.json.length).toBeGreaterThan(0);
    for (const e of r.json) expect(e.actor).toBe(ALICE);
    const other = await as(ALICE)('GET', `/api/v1/logs/events?user=${encodeURIComponent(CAROL)}`);
    expect(other.status === 200 ? other.json.filter((e: any) => e.actor !== ALICE) : []).toEqual([]);
  });

  it('a logged-out session token stops working at once; the other session of the same user does not', async () => {
    const second = await login(ALICE, PASSWORD);
    const c2 = client(bearer(second));
    expect((await c2('GET', '/api/v1/auth/me')).status).toBe(200);
    const out = await c2('POST', '/api/v1/auth/logout');
    expect(out.status, JSON.stringify(out.json)).toBe(204);
    expect((await c2('GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await c2('GET', '/api/v1/targets')).status).toBe(401);
    expect((await c2('POST', '/api/v1/connections', { target: 'local', targetUser: UA })).status).toBe(401);
    const ws = await refusedTunnel(bearer(second));
    expect(ws.code).toBe(4401);
    expect(ws.ms).toBeLessThan(TUNNEL_REFUSAL_MS);
    expect((await as(ALICE)('GET', '/api/v1/auth/me')).status).toBe(200);
  }, 90_000);

  it('a deleted API key stops working at once (401), and its live shell is closed', async () => {
    const k = client(apiKeyAuth(key2));
    const { t } = await shellAs(apiKeyAuth(key2), undefined);
    const del = await admin('DELETE', `/api/v1/keys/${key2.id}`);
    expect(del.status).toBe(204);
    expect((await k('GET', '/api/v1/targets')).status).toBe(401);
    expect((await k('POST', '/api/v1/connections', { target: 'local', targetUser: UB })).status).toBe(401);
    const closed = await closedWithin(t, del.at);
    expect(closed.ms).toBeLessThan(2000);
    expect(closed.code).toBe(4410);
    expect(closed.reason).toMatch(/key|revoked/i);
  });

  it('a connection made under a policy cannot be attached once the policy is gone', async () => {
    const name = `ab-late-${TAG}`;
    expect((await admin('PUT', `/api/v1/policies/${name}`, { name, kind: 'target_access', subjects: { users: [DAVE] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] })).status).toBe(201);
    const c = await as(DAVE)('POST', '/api/v1/connections', { target: 'local', targetUser: UB });
    expect(c.status).toBe(201);
    expect((await admin('DELETE', `/api/v1/policies/${name}`)).status).toBe(204);
    const t = await openTerminal(`${s.wsUrl}/ws/connections/${c.json.id}`, bearer(tokens[DAVE]!));
    const closed = await t.closed;
    expect([4403, 4404, 4410]).toContain(closed.code);
    expect(t.output()).not.toMatch(/\$|#/);
  });
});

// ---------------------------------------------------------------------------------------------
describe.skipIf(!isRoot)('revocation closes live shells within 2 s, saying why', () => {
  it('PUT the policy without the user → closed; a shell the new policy still allows stays', async () => {
    const name = `ab-alice-${TAG}`;
    const ua = await shellAs(bearer(tokens[ALICE]!), UA);
    const ub = await shellAs(bearer(tokens[ALICE]!), UB);
    // Narrow the policy to UB only: the UA shell loses its grant, the UB shell keeps it.
    const narrowed = await admin('PUT', `/api/v1/policies/${name}`, { name, kind: 'target_access', subjects: { users: [ALICE] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] });
    expect(narrowed.status).toBe(200);
    const c1 = await closedWithin(ua.t, narrowed.at);
    expect(c1.ms).toBeLessThan(2000);
    expect(c1.code).toBe(4410);
    expect(c1.reason).toMatch(new RegExp(`access revoked.*${name}`));
    ub.t.send('echo ub-alive-$((5*5))\r');
    await ub.t.waitFor('ub-alive-25');
    // Now take alice out of the policy altogether.
    const put = await admin('PUT', `/api/v1/policies/${name}`, { name, kind: 'target_access', subjects: { users: [ERIN] }, targets: ['local'], actions: ['shell'], targetUsers: [UB] });
    expect(put.status).toBe(200);
    const c2 = await closedWithin(ub.t, put.at);
    expect(c2.ms).toBeLessThan(2000);
    expect(c2.code).toBe(4410);
    expect(c2.reason).toMatch(new RegExp(`access revoked.*policy ${name} changed`));
    const row = await until(async () => {
      const r = await as(ALICE)('GET', `/api/v1/connections/${ub.id}`);
      return r.json?.state === 'closed' ? r.json : null;
    });
    expect(row.closeReason).toMatch(new RegExp(`access revoked.*policy ${name} changed`));
    expect((await as(ALICE)('POST', '/api/v1/connections', { target: 'local', targetUser: UB })).status).toBe(404);
  });

  it('DELETE the policy → closed', async () => {
    const name = `ab-env-${TAG}`;
    const { t, id } = await shellAs(bearer(tokens[BOB]!), 'root');
    const del = await admin('DELETE', `/api/v1/policies/${name}`);
    expect(del.status).toBe(204);
    const c = await closedWithin(t, del.at);
    expect(c.ms).toBeLessThan(2000);
    expect(c.code).toBe(4410);
    expect(c.reason).toMatch(new RegExp(`access revoked.*policy ${name} deleted`));
    const row = await until(async () => {
      const r = await as(BOB)('GET', `/api/v1/connections/${id}`);
      return r.json?.state === 'closed' ? r.json : null;
    });
    expect(row.closeReason).toMatch(/access revoked/);
  });

  it('remove the user from the group → closed; a detached shell too', async () => {
    const attached = await shellAs(bearer(tokens[CAROL]!), UB);
    const detached = await shellAs(bearer(tokens[CAROL]!), UB);
    detached.t.close();
    await detached.t.closed;
    await until(async () => (await as(CAROL)('GET', `/api/v1/connections/${detached.id}`)).json.state === 'disconnected');
    const rm = await admin('DELETE', `/api/v1/groups/${GROUP}/members/${encodeURIComponent(CAROL)}`);
    expect(rm.status).toBe(204);
    const c = await closedWithin(attached.t, rm.at);
    expect(c.ms).toBeLessThan(2000);
    expect(c.code).toBe(4410);
    expect(c.reason).toMatch(new RegExp(`access revoked.*${CAROL.replace(/\./g, '\\.')} removed from group ${GROUP}`));
    const row = await until(async () => {
      const r = await as(CAROL)('GET', `/api/v1/connections/${detached.id}`);
      return r.json?.state === 'closed' ? r.json : null;
    }, 2000);
    expect(row.closeReason).toMatch(/access revoked/);
  });

  it('delete the user → closed with "user deleted", and their token stops working', async () => {
    const { t } = await shellAs(bearer(tokens[ERIN]!), UB);
    const del = await admin('DELETE', `/api/v1/users/${encodeURIComponent(ERIN)}`);
    expect(del.status).toBe(204);
    const c = await closedWithin(t, del.at);
    expect(c.ms).toBeLessThan(2000);
    expect(c.code).toBe(4410);
    expect(c.reason).toBe('user deleted');
    expect((await as(ERIN)('GET', '/api/v1/auth/me')).status).toBe(401);
    // Erin was the policy's only subject: a policy with no subject could not be applied again
    // as `show` prints it (SPEC §3), so it is deleted, and the event says so.
    expect((await admin('GET', `/api/v1/policies/ab-erin-${TAG}`)).status).toBe(404);
    const ev = await admin('GET', '/api/v1/logs/events?type=user.delete&grep=' + encodeURIComponent(ERIN));
    expect(ev.json[0].details.connectionsClosed).toBe(1);
    expect(ev.json[0].details.policiesDeleted).toContain(`ab-erin-${TAG}`);
  });
});

// ---------------------------------------------------------------------------------------------
describe.skipIf(!isRoot)('audit: one event row per state-changing call', () => {
  it('every reply has a distinct x-request-id', () => {
    expect(allReplies.filter((r) => !r.requestId)).toEqual([]);
    const ids = allReplies.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('each POST/PUT/PATCH/DELETE of this file appears in exactly one event row', async () => {
    expect(stateChanging.length).toBeGreaterThan(40);
    await s.services.audit.flush();
    const events = (await admin('GET', '/api/v1/logs/events?limit=10000')).json as { requestId: string | null; type: string; outcome: string }[];
    expect(Array.isArray(events)).toBe(true);
    const count = new Map<string, number>();
    for (const e of events) if (e.requestId) count.set(e.requestId, (count.get(e.requestId) ?? 0) + 1);
    const wrong = stateChanging.filter((c) => count.get(c.requestId!) !== 1).map((c) => `${c.method} ${c.path} → ${c.status}: ${count.get(c.requestId!) ?? 0} rows`);
    expect(wrong).toEqual([]);
    // Refusals are recorded as such.
    const byId = new Map(events.filter((e) => e.requestId).map((e) => [e.requestId!, e]));
    for (const c of stateChanging.filter((x) => x.status === 401 || x.status === 403 || x.status === 404)) {
      expect(byId.get(c.requestId!)?.outcome, `${c.method} ${c.path} → ${c.status}`).toBe('denied');
    }
  });
});
