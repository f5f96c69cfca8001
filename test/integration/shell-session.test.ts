/**
 * A recorded shell on the `local` target through the real service and the embedded agent:
 * first-login password change, shell I/O, resize, exit code, recording, persistence across
 * client disconnects, newest-client-wins.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { startInProcess, adminToken, api, apiLogin, type TestServer } from '../helpers/in-process-server';
import { openTerminal } from '../helpers/ws-terminal';

let s: TestServer;
let token: string;
const auth = () => ({ authorization: `Bearer ${token}` });

async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  s = await startInProcess();
});
afterAll(async () => {
  await s?.stop();
});

describe('first login', () => {
  it('requires a password change before anything else', async () => {
    const first = await apiLogin(s.url, 'admin@localhost', s.adminPassword);
    expect(first.mustChangePassword).toBe(true);
    const call = api(s, first.token);
    const r = await call('GET', '/api/v1/targets');
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const short = await call('POST', '/api/v1/auth/password', { currentPassword: s.adminPassword, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.json.error.message).toMatch(/at least 12 characters/);
    token = await adminToken(s);
    const me = await api(s, token)('GET', '/api/v1/auth/me');
    expect(me.json.mustChangePassword).toBe(false);
    const targets = await api(s, token)('GET', '/api/v1/targets');
    expect(targets.status).toBe(200);
    expect(targets.json).toEqual([
      expect.objectContaining({ name: 'local', kind: 'local', status: 'online', environment: 'default', targetUsers: ['root'], actions: ['shell', 'tunnel', 'copy'] }),
    ]);
  });
});

describe('recorded shell', () => {
  it('runs, resizes, exits with the code, and leaves a complete recording', async () => {
    const call = api(s, token);
    const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'root', cols: 90, rows: 25 });
    expect(c.status).toBe(201);
    expect(c.json.state).toBe('open');
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, auth());
    t.send('echo gatehouse-$((6*7)); stty size\r');
    await t.waitFor(/gatehouse-42[\s\S]*25 90/);
    t.resize(120, 40);
    t.send('stty size; id -un\r');
    await t.waitFor(/40 120[\s\S]*root/);
    t.send('exit 3\r');
    const closed = await t.closed;
    expect(closed.code).toBe(4410);
    expect(t.controls).toContainEqual({ type: 'exit', code: 3 });

    const row = await until(async () => {
      const r = await call('GET', `/api/v1/connections/${c.json.id}`);
      return r.json.state === 'closed' ? r.json : null;
    });
    expect(row.closeReason).toBe('exited');
    const rec = await until(async () => {
      const r = await call('GET', `/api/v1/recordings/${c.json.id}`);
      return r.status === 200 && !r.json.live ? r.json : null;
    });
    expect(rec.sizeBytes).toBeGreaterThan(100);
    expect(rec.targetUser).toBe('root');

    const cast = await fetch(`${s.url}/api/v1/recordings/${c.json.id}/cast`, { headers: auth() });
    expect(cast.headers.get('content-type')).toMatch(/asciicast/);
    const lines = (await cast.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    const header = lines[0];
    expect(header).toMatchObject({ version: 2, width: 90, height: 25, env: { TERM: 'xterm-256color' }, title: 'root@local by admin@localhost' });
    expect(header.env.SHELL).toMatch(/sh$/);
    const events = lines.slice(1);
    expect(events.some((e) => e[1] === 'r' && e[2] === '120x40')).toBe(true);
    expect(events.filter((e) => e[1] === 'o').map((e) => e[2]).join('')).toContain('gatehouse-42');
    expect(events.some((e) => e[1] === 'i')).toBe(false); // input is not recorded without a policy asking
    const times = events.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const dl = await fetch(`${s.url}/api/v1/recordings/${c.json.id}/cast?download=1`, { headers: auth() });
    expect(dl.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.cast"/);

    await s.services.audit.flush();
    const types = (await s.services.store.db.all<{ type: string }>('SELECT type FROM events WHERE object = ?', [c.json.id])).map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['connection.open', 'connection.close', 'recording.written']));
    const states = (await s.services.store.db.all<{ state: string }>('SELECT state FROM connection_events WHERE connection_id = ? ORDER BY id', [c.json.id])).map((r) => r.state);
    expect(states).toEqual(['open', 'connected', 'closed']);
  });

  it('keeps running when the client leaves, redraws the screen on re-attach, newest client wins', async () => {
    const call = api(s, token);
    const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'root' });
    const t1 = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, auth());
    t1.send('export MARK=persist; echo before-$((1+1))-detach\r');
    await t1.waitFor('before-2-detach');
    t1.close();
    await t1.closed;
    await until(async () => (await call('GET', `/api/v1/connections/${c.json.id}`)).json.state === 'disconnected');
    // Output while nobody is attached is still recorded.
    const t2 = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, auth());
    await t2.waitFor('before-2-detach'); // the redraw
    expect(t2.controls[0]).toMatchObject({ type: 'attached', redraw: true });
    t2.send('echo still-$MARK\r');
    await t2.waitFor('still-persist');
    const t3 = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, auth());
    const replaced = await t2.closed;
    expect(replaced.code).toBe(4409);
    t3.send('exit\r');
    expect((await t3.closed).code).toBe(4410);
    const rec = readFileSync(s.services.store && (await s.services.store.recordings.byConnection(c.json.id))!.path, 'utf8');
    expect(rec).toContain('still-persist');
  });

  it('an admin close ends the shell with the reason', async () => {
    const call = api(s, token);
    const c = await call('POST', '/api/v1/connections', { target: 'local', targetUser: 'root' });
    const t = await openTerminal(`${s.wsUrl}${c.json.wsPath}`, auth());
    t.send('echo ready-$((2*2))\r');
    await t.waitFor('ready-4');
    expect((await call('DELETE', `/api/v1/connections/${c.json.id}`)).status).toBe(204);
    const closed = await t.closed;
    expect(closed.code).toBe(4410);
    expect(closed.reason).toBe('closed by user');
    const row = (await call('GET', `/api/v1/connections/${c.json.id}`)).json;
    expect(row.state).toBe('closed');
    expect(row.closeReason).toBe('closed by user');
  });
});
