/**
 * The command log's service side: exec connections become rows with their exit status, rows
 * are searchable by substring (FTS5 trigram, and a scan for short needles), filtered by user,
 * target, connection and time, followed with `after`, and private to their user.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal } from '../helpers/ws-terminal';

let s: TestServer;
let admin: ReturnType<typeof api>;
let token: string;

async function exec(command: string, bearer = token): Promise<string> {
  const c = await api(s, bearer)('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', command });
  expect(c.status).toBe(201);
  const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, { authorization: `Bearer ${bearer}` });
  await t.closed;
  return c.json.id;
}

beforeAll(async () => {
  s = await startInProcess();
  token = await adminToken(s);
  admin = api(s, token);
});
afterAll(async () => {
  await s?.stop();
});

describe('command log', () => {
  it('logs an exec connection as one command with its exit status', async () => {
    const ok = await exec('echo command-log-ok');
    const bad = await exec('exit 3');
    const rows = (await admin('GET', `/api/v1/logs/commands?connection=${ok}`)).json;
    expect(rows).toEqual([
      expect.objectContaining({ connectionId: ok, command: 'echo command-log-ok', userEmail: 'admin@localhost', targetName: 'local', targetUser: 'root', environment: 'default', exitCode: 0, offsetSeconds: 0 }),
    ]);
    expect(Date.parse(rows[0].at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await admin('GET', `/api/v1/logs/commands?connection=${bad}`)).json[0]).toMatchObject({ command: 'exit 3', exitCode: 3 });
  });

  it('finds commands by substring, long and short needles alike', async () => {
    await exec('ls /tmp/needle-in-haystack');
    const long = (await admin('GET', '/api/v1/logs/commands?grep=le-in-hay')).json;
    expect(long.map((r: any) => r.command)).toEqual(['ls /tmp/needle-in-haystack']);
    const short = (await admin('GET', '/api/v1/logs/commands?grep=3')).json;
    expect(short.map((r: any) => r.command)).toEqual(['exit 3']);
    const quoted = (await admin('GET', `/api/v1/logs/commands?grep=${encodeURIComponent('"x" OR ls')}`)).json;
    expect(quoted).toEqual([]); // the needle is a phrase, never FTS query syntax
    expect((await admin('GET', '/api/v1/logs/commands?grep=zzz-not-there')).json).toEqual([]);
  });

  it('filters by target, time and after-id, newest first by default', async () => {
    const all = (await admin('GET', '/api/v1/logs/commands')).json;
    expect(all.length).toBe(3);
    expect(all[0].id).toBeGreaterThan(all[1].id);
    expect((await admin('GET', '/api/v1/logs/commands?target=elsewhere')).json).toEqual([]);
    expect((await admin('GET', '/api/v1/logs/commands?since=2099-01-01T00:00:00Z')).json).toEqual([]);
    const after = (await admin('GET', `/api/v1/logs/commands?after=${all[2].id}`)).json;
    expect(after.map((r: any) => r.id)).toEqual([all[1].id, all[0].id]);
    expect((await admin('GET', '/api/v1/logs/commands?after=-1')).status).toBe(400);
  });

  it('a user sees only their own commands', async () => {
    const made = await admin('POST', '/api/v1/users', { email: 'cmd@example.com', password: 'a long enough password 1' });
    expect(made.status).toBe(201);
    await admin('PUT', '/api/v1/policies/cmd-root', { name: 'cmd-root', kind: 'target_access', subjects: { users: ['cmd@example.com'] }, targets: ['local'], actions: ['shell'], targetUsers: ['root'] });
    const user = await apiLogin(s.url, 'cmd@example.com', 'a long enough password 1');
    const id = await exec('echo mine', user.token);
    const own = (await api(s, user.token)('GET', '/api/v1/logs/commands?user=admin%40localhost')).json;
    expect(own.map((r: any) => r.connectionId)).toEqual([id]);
  });
});
